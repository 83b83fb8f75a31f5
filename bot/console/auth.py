"""Who may see and change what in the console: the one gate, and logging in and out.

`requires(role)` wraps every console endpoint except the login page and the static files
(tests/console/test_security.py walks the routes to hold it to that). It is the only place
here that decides rights, with the same `Roles` as Telegram:

- no valid session (no cookie, a forged or expired one, logged out) → 401;
- a session whose Telegram user id lacks the role (staff on an admin page) → 403;
- any other method than GET/HEAD without the session's CSRF token (form field `csrf` or
  header `X-CSRF-Token`) → 403.

Logging in: the link from /console (or `python -m bot console`) opens a page with one
button; pressing it redeems the link (`bot.storage.logins`) and sets the session cookie:
HttpOnly, SameSite=Strict, Secure when the console is reached over https. The link is only
used up by that POST, so a link preview or a scanner fetching the URL cannot spend it.
"""

from __future__ import annotations

import functools
import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.errors import BotError, LoginError
from bot.roles import Role
from bot.storage.logins import Session

if TYPE_CHECKING:
    from bot.console.app import Console

log = logging.getLogger(__name__)

COOKIE = "console_session"
SAFE_METHODS = frozenset({"GET", "HEAD"})
MAX_FORM_FIELDS = 60
Endpoint = Callable[[Request], Any]


def console_of(request: Request) -> Console:
    return request.app.state.console


def requires(role: Role) -> Callable[[Endpoint], Callable[[Request], Awaitable[Response]]]:
    """Run the endpoint only for a live session whose user has `role` (admins count as
    staff) and, for changes, the session's CSRF token. Sync endpoints run in a thread."""

    def decorate(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(endpoint)
        async def gated(request: Request) -> Response:
            console = console_of(request)
            session = await run_in_threadpool(console.logins.session, request.cookies.get(COOKIE))
            if session is None:
                return console.refusal(request, 401, "请先登录", "在 Telegram 中向机器人发送 /console,点开它回复的一次性链接即可登录(链接 10 分钟内有效)。")
            if not console.roles.allows(session.user_id, role):
                log.info("refused %s %s to a user without the %s role", request.method, request.url.path, role.name.lower())
                return console.refusal(request, 403, "没有权限", "这个页面只有管理员可以使用。")
            if request.method not in SAFE_METHODS:
                form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
                given = request.headers.get("x-csrf-token") or str(form.get("csrf") or "")
                if not secrets.compare_digest(given.encode(), session.csrf.encode()):
                    log.info("refused %s %s: missing or wrong CSRF token", request.method, request.url.path)
                    return console.refusal(request, 403, "请求已过期", "请刷新页面后重试(表单缺少有效的安全令牌)。")
                request.state.form = form
            request.state.session = session
            request.state.role = console.roles.of(session.user_id)
            if inspect.iscoroutinefunction(endpoint):
                return await endpoint(request)
            return await run_in_threadpool(endpoint, request)

        gated.required_role = role  # type: ignore[attr-defined]  # checked by tests/console/test_security.py
        return gated

    return decorate


def session_of(request: Request) -> Session:
    return request.state.session


# -- logging in and out (public: the link itself is the credential) --------------------


async def login_page(request: Request) -> Response:
    """GET /login?token=…: who the link is for, and the button that uses it."""
    console = console_of(request)
    token = request.query_params.get("token", "")
    if not token:
        return console.page(request, "login.html", {"token": "", "name": "", "role": None}, public=True)
    try:
        user_id, name = await run_in_threadpool(console.logins.peek, token)
    except LoginError as exc:
        return console.refusal(request, 401, "登录链接无效", f"{exc} 请在 Telegram 中重新发送 /console 获取新链接。")
    role = console.roles.of(user_id)
    if role < Role.STAFF:
        return console.refusal(request, 403, "没有权限", "这个账号不是管理员或学校工作人员。")
    return console.page(request, "login.html", {"token": token, "name": name or str(user_id), "role": role}, public=True)


async def login(request: Request) -> Response:
    """POST /login: use the link up and open a session (cookie), then go to the console."""
    console = console_of(request)
    origin = request.headers.get("origin", "null")
    foreign = origin != "null" and origin != f"{request.url.scheme}://{request.url.netloc}"
    if foreign or request.headers.get("sec-fetch-site") == "cross-site":  # a login form posted from another site
        return console.refusal(request, 403, "登录被拒绝", "登录表单只能从控制台自己的页面提交。")
    form = await request.form(max_files=0, max_fields=4)
    try:
        session, cookie = await run_in_threadpool(console.logins.redeem, str(form.get("token") or ""))
    except LoginError as exc:
        return console.refusal(request, 401, "登录链接无效", f"{exc} 请在 Telegram 中重新发送 /console 获取新链接。")
    except BotError as exc:
        log.error("console login failed: %s", exc)
        return console.refusal(request, 500, "暂时无法登录", str(exc))
    if not console.roles.allows(session.user_id, Role.STAFF):
        await run_in_threadpool(console.logins.end, cookie)
        return console.refusal(request, 403, "没有权限", "这个账号不是管理员或学校工作人员。")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE, cookie, max_age=int(console.settings.session_hours * 3600), path="/",
        httponly=True, samesite="strict", secure=console.secure(request),
    )
    return response


@requires(Role.STAFF)
async def logout(request: Request) -> Response:
    """POST /logout: end the session (its cookie is worthless from now on)."""
    await run_in_threadpool(console_of(request).logins.end, request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=console_of(request).secure(request))
    return response
