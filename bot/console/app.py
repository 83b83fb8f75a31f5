"""The web console: every route wired here, the shared `Console` state, the security
headers, and serving with uvicorn (on its own, or in a thread beside the Telegram bot).

Pages are server-rendered Jinja2 templates; htmx (vendored in static/, no CDN) swaps in the
retrieval-test results and the term preview, and its SSE extension streams rebuild
progress. Routes stay thin: each view calls the same modules Telegram and the CLI use.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.config import Config
from bot.console import documents, faq, overview, rebuild, terms, trial, unanswered
from bot.console.auth import login, login_page, logout, requires
from bot.console.jobs import Rebuilds
from bot.corpus.readers import MB
from bot.errors import BotError
from bot.roles import Role, Roles
from bot.service import Service
from bot.storage.logins import Logins
from bot.storage.store import Store

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
FORM_OVERHEAD = 64 * 1024  # multipart headers and the other fields of an upload form
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     b"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # login links carry their token in the URL: never sent to another site
    (b"cache-control", b"no-store"),
]


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    role: Role


NAV = (
    NavItem("/overview", "概览", Role.ADMIN),
    NavItem("/documents", "文档", Role.ADMIN),
    NavItem("/try", "检索测试", Role.ADMIN),
    NavItem("/unanswered", "未答与差评", Role.ADMIN),
    NavItem("/faq", "常见问题", Role.STAFF),
    NavItem("/terms", "术语表", Role.ADMIN),
    NavItem("/rebuild", "重建索引", Role.ADMIN),
)


class Console:
    """What every console view shares: config, the answer service, the store, roles, logins."""

    def __init__(self, config: Config, service: Service, store: Store) -> None:
        self.config = config
        self.settings = config.console
        self.service = service
        self.store = store
        self.roles = Roles.from_settings(config.telegram)
        self.logins = Logins(store, session_hours=config.console.session_hours)
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.templates.env.globals["nav"] = NAV
        self.rebuilds = Rebuilds(service)

    def secure(self, request: Request) -> bool:
        """Cookies get the Secure flag when the console is reached over TLS."""
        return self.settings.public_url.startswith("https://") or request.url.scheme == "https"

    def page(self, request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200, public: bool = False) -> Response:
        """A template with the logged-in user (role decides only which links are shown)."""
        values: dict[str, Any] = {"public": public, "path": request.url.path}
        if not public:
            values |= {"session": request.state.session, "role": request.state.role}
        values |= context or {}
        return self.templates.TemplateResponse(request, name, values, status_code=status)

    def refusal(self, request: Request, status: int, title: str, detail: str) -> Response:
        """401/403/4xx pages (a short fragment for htmx requests)."""
        if request.headers.get("hx-request"):
            return HTMLResponse(f'<p class="error">{_escape(title)}:{_escape(detail)}</p>', status_code=status)
        values: dict[str, Any] = {"public": True, "title": title, "detail": detail, "path": request.url.path}
        if hasattr(request.state, "session"):  # an error inside the console keeps its menu
            values |= {"public": False, "session": request.state.session, "role": request.state.role}
        return self.templates.TemplateResponse(request, "error.html", values, status_code=status)

    def login_url(self, token: str) -> str:
        return f"{self.settings.base_url}/login?token={token}"


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


@requires(Role.STAFF)
def home(request: Request) -> Response:
    """/: admins land on the overview, staff on the FAQ page."""
    return RedirectResponse("/overview" if request.state.role >= Role.ADMIN else "/faq", status_code=303)


ROUTES = [
    Route("/", home),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/overview", overview.show),
    Route("/documents", documents.index, methods=["GET"]),
    Route("/documents", documents.upload, methods=["POST"]),
    Route("/documents/{doc_id:path}", documents.show, methods=["GET"]),
    Route("/documents/{doc_id:path}", documents.save_meta, methods=["POST"]),
    Route("/try", trial.show, methods=["GET"]),
    Route("/try", trial.run, methods=["POST"]),
    Route("/unanswered", unanswered.show),
    Route("/faq", faq.show, methods=["GET"]),
    Route("/faq/propose", faq.propose, methods=["POST"]),
    Route("/faq/{proposal_id:int}/approve", faq.approve, methods=["POST"]),
    Route("/faq/{proposal_id:int}/reject", faq.reject, methods=["POST"]),
    Route("/faq/entries/edit", faq.edit_entry, methods=["POST"]),
    Route("/faq/entries/retire", faq.retire_entry, methods=["POST"]),
    Route("/terms", terms.show, methods=["GET"]),
    Route("/terms", terms.save, methods=["POST"]),
    Route("/terms/delete", terms.delete, methods=["POST"]),
    Route("/terms/preview", terms.preview, methods=["GET"]),
    Route("/rebuild", rebuild.show, methods=["GET"]),
    Route("/rebuild", rebuild.start, methods=["POST"]),
    Route("/rebuild/events", rebuild.events, methods=["GET"]),
    Route("/rebuild/rollback", rebuild.rollback, methods=["POST"]),
    Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
]
PUBLIC = {("/login", "login_page"), ("/login", "login")}  # everything else goes through requires()


class Guard:
    """Security headers on every response; request bodies capped (413) and required to
    declare their length (411), so an upload is refused before it is read."""

    def __init__(self, app: Any, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            length = headers.get(b"content-length", b"")
            if not length.isdigit():
                await self._refuse(send, 411, "请求缺少长度(Content-Length)。")
                return
            if int(length) > self.max_body:
                await self._refuse(send, 413, f"请求太大:上限 {self.max_body // MB} MB。")
                return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                present = {name for name, _ in message["headers"]}
                message["headers"] = list(message["headers"]) + [h for h in SECURITY_HEADERS if h[0] not in present]
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _refuse(self, send: Any, status: int, text: str) -> None:
        body = text.encode("utf-8")
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())] + SECURITY_HEADERS})
        await send({"type": "http.response.body", "body": body})


async def bot_error(request: Request, exc: Exception) -> Response:
    """A BotError from a view: its message (it says what to do), 400 for user errors."""
    status = 400 if getattr(exc, "user_error", False) else 500
    if status == 500:
        log.error("console: %s", exc)
    return request.app.state.console.refusal(request, status, "操作没有完成", str(exc))


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("console: unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return request.app.state.console.refusal(request, 500, "出错了", "处理请求时出现意外错误(详见日志)。")


def build_console(config: Config, service: Service, store: Store) -> Starlette:
    """The console application over a loaded service and store (shared with the bot when run beside it)."""
    app = Starlette(
        routes=ROUTES,
        middleware=[Middleware(Guard, max_body=int(config.corpus.max_file_mb * MB) + FORM_OVERHEAD)],
        exception_handlers={BotError: bot_error, Exception: server_error},
    )
    app.state.console = Console(config, service, store)
    return app


def _server(app: Starlette, host: str, port: int) -> uvicorn.Server:
    # No access log: login URLs carry their (one-time) token.
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, access_log=False, log_level="warning", lifespan="off", server_header=False))


class _Stopped(Exception):
    pass


def _stopped(signum: int, frame: object) -> None:
    raise _Stopped


def serve(app: Starlette, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM (`python -m bot console`, main thread). uvicorn shuts down
    gracefully, then passes the signal on; SIGTERM then ends this call normally (exit code 0)."""
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        _server(app, host, port).run()
    except _Stopped:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


class ConsoleThread:
    """The console served from a background thread (`python -m bot run` with [console] enabled)."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.server = _server(app, host, port)
        self.thread = threading.Thread(target=self.server.run, name="console", daemon=True)

    def start(self) -> ConsoleThread:
        self.thread.start()
        return self

    @property
    def started(self) -> bool:
        return bool(self.server.started)

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
