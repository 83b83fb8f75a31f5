"""The console's defences: every route behind the one gate, links that work once and for
ten minutes, cookies that cannot be forged, CSRF tokens, escaping, safe uploads, roles."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from starlette.routing import Mount, Route

from bot.console.app import PUBLIC, ROUTES
from bot.console.auth import COOKIE
from bot.roles import Role
from bot.storage import admin as queue
from bot.storage import reports
from bot.storage.logins import Logins
from bot.storage.store import Store
from tests.console_support import ADMIN, PARENT_ID, STAFF, ConsoleProject, csrf_of
from tests.helpers_index import REPO

SCRIPT = "<script>alert('x')</script>托管费多少钱"


def gated_routes() -> list[tuple[str, str, Role]]:
    """(method, concrete path, role) for every route but the login page and the static files."""
    found = []
    for route in ROUTES:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        if (route.path, route.endpoint.__name__) in PUBLIC:
            continue
        role = getattr(route.endpoint, "required_role", None)
        assert role is not None, f"{route.path} ({route.endpoint.__name__}) is not wrapped in requires()"
        path = route.path.replace("{doc_id:path}", "chongqing-fuling.txt").replace("{proposal_id:int}", "1")
        found += [(method, path, role) for method in sorted(route.methods - {"HEAD"})]
    return found


def test_every_route_is_gated_and_rights_are_checked_in_one_place_per_front_end() -> None:
    routes = gated_routes()
    assert len(routes) == len([r for r in ROUTES if isinstance(r, Route)]) - len(PUBLIC)
    assert {role for _, _, role in routes} == {Role.STAFF, Role.ADMIN}
    callers = sorted(p.relative_to(REPO / "bot").as_posix() for p in (REPO / "bot").rglob("*.py") if ".allows(" in p.read_text(encoding="utf-8"))
    assert callers == ["console/auth.py", "telegram/state.py"]


def test_without_a_session_every_route_answers_401(shared: ConsoleProject) -> None:
    client = shared.client(None)
    for method, path, _ in gated_routes():
        response = client.request(method, path, data={"csrf": "x"} if method == "POST" else None)
        assert response.status_code == 401, (method, path)
        assert "/console" in response.text
    assert client.get("/static/htmx.min.js").status_code == 200  # public, holds nothing secret


def test_staff_get_403_on_every_admin_route(shared: ConsoleProject) -> None:
    client = shared.client(STAFF["id"])
    token = csrf_of(client.get("/faq").text)
    for method, path, role in gated_routes():
        if role == Role.ADMIN:
            response = client.request(method, path, data={"csrf": token} if method == "POST" else None)
            assert response.status_code == 403, (method, path)
    assert client.get("/faq").status_code == 200


def test_a_link_works_once_and_for_ten_minutes_only(tmp_path: Path, shared: ConsoleProject) -> None:
    client = shared.client(None)
    logins = shared.console.logins
    token = logins.mint_link(ADMIN["id"], "管理员")
    assert client.get("/login", params={"token": token}).status_code == 200  # looking does not use it up
    assert client.post("/login", data={"token": token}).status_code == 303
    again = client.post("/login", data={"token": token})
    assert again.status_code == 401 and "already used" in again.text
    assert client.post("/login", data={"token": token[:-2] + "xx"}).status_code == 401  # tampered
    now = [time.time()]
    store = Store(tmp_path / "clock.sqlite3", salt="console-test-salt", clock=lambda: now[0])
    slow = Logins(store)
    old = slow.mint_link(ADMIN["id"], "管理员")
    now[0] += 10 * 60 + 1
    with pytest.raises(Exception, match="expired"):
        slow.redeem(old)
    other = Logins(Store(tmp_path / "other.sqlite3", salt="another-salt")).mint_link(ADMIN["id"], "管理员")
    assert client.post("/login", data={"token": other}).status_code == 401  # signed with another key


def test_a_login_form_posted_from_another_site_is_refused(shared: ConsoleProject) -> None:
    client = shared.client(None)
    token = shared.console.logins.mint_link(ADMIN["id"], "管理员")
    assert client.post("/login", data={"token": token}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/login", data={"token": token}, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/login", data={"token": token}, headers={"Origin": "http://testserver"}).status_code == 303


def test_parents_get_no_session_even_with_a_valid_link(shared: ConsoleProject) -> None:
    token = shared.console.logins.mint_link(PARENT_ID, "王妈妈")
    client = shared.client(None)
    assert client.get("/login", params={"token": token}).status_code == 403
    assert client.post("/login", data={"token": token}).status_code == 403
    assert COOKIE not in client.cookies


def test_session_cookie_flags_and_forged_or_ended_cookies(shared: ConsoleProject) -> None:
    client = shared.client(None)
    token = shared.console.logins.mint_link(ADMIN["id"], "管理员")
    cookie = client.post("/login", data={"token": token}).headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    value = client.cookies[COOKIE]
    payload, signature = value.rsplit(".", 1)
    for forged in (payload + ".AAAA" + signature[4:], "eyJzIjoiYSIsInUiOjQyfQ." + signature, value.replace(".", "x", 1)):
        stranger = shared.client(None)
        stranger.cookies.set(COOKIE, forged)
        assert stranger.get("/overview").status_code == 401
    assert client.get("/overview").status_code == 200
    client.post("/logout", data={"csrf": csrf_of(client.get("/faq").text)})
    replay = shared.client(None)
    replay.cookies.set(COOKIE, value)
    assert replay.get("/overview").status_code == 401  # logged out: the old cookie is worthless
    secure = shared.client(None, base_url="https://console.example.org")
    https_cookie = secure.post("/login", data={"token": shared.console.logins.mint_link(ADMIN["id"], "x")}).headers["set-cookie"]
    assert "Secure" in https_cookie


def test_changes_need_the_sessions_csrf_token(project: ConsoleProject) -> None:
    admin, other = project.client(), project.client()
    mine, theirs = csrf_of(admin.get("/faq").text), csrf_of(other.get("/faq").text)
    assert mine != theirs
    form = {"question": "课后服务几点结束?", "answer": "17:30。"}
    for token in ({}, {"csrf": ""}, {"csrf": theirs}, {"csrf": mine + "x"}):
        assert admin.post("/faq/propose", data=form | token).status_code == 403
    assert queue.pending_faqs(project.store) == []
    assert admin.post("/faq/propose", data=form, headers={"X-CSRF-Token": mine}).status_code == 303
    assert admin.post("/faq/propose", data=form | {"csrf": mine}).status_code == 303


def test_a_script_in_a_question_is_shown_escaped_on_every_page(project: ConsoleProject) -> None:
    store = project.store
    store.log_question(PARENT_ID, SCRIPT, kind="private", abstained=True, confidence=0.1, answer_id="a1")
    store.record_vote("a1", PARENT_ID, -1)
    queue.propose_faq(store, STAFF["id"], "<b>李老师</b>", SCRIPT, "<img src=x onerror=alert(1)>", "")
    reports.record_trial(store, ADMIN["id"], SCRIPT, None, True, 0.1)
    admin = project.client()
    admin.post("/try", data={"csrf": csrf_of(admin.get("/faq").text), "q": SCRIPT})
    pages = {path: admin.get(path).text for path in ("/overview", "/unanswered", "/faq", "/try", f"/faq?draft={SCRIPT}", f"/try?q={SCRIPT}")}
    pages["/try (result)"] = admin.post("/try", data={"csrf": csrf_of(pages["/faq"]), "q": SCRIPT}).text
    pages["/terms/preview"] = admin.get("/terms/preview", params={"phrase": "<script>", "targets": "<script>"}).text
    for path, page in pages.items():
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>李老师" not in page, path
        scripts = re.findall(r"<script[^>]*>", page)
        assert all(s.startswith('<script src="/static/') for s in scripts), path
    for path in ("/unanswered", "/faq", "/try", "/try (result)"):
        assert "&lt;script&gt;alert(" in pages[path], path


def test_an_upload_with_a_path_in_its_name_lands_in_the_corpus_folder_only(project: ConsoleProject) -> None:
    admin = project.client()
    token = csrf_of(admin.get("/documents").text)
    corpus = project.config.corpus.dir
    outside = corpus.parent
    before = sorted(p.name for p in outside.iterdir())
    data = "课后服务收费标准:每课时2元。".encode("utf-8") * 4
    for n, name in enumerate(("../../escape.txt", "..\\..\\escape.txt", "/etc/cron.d/escape.txt", "sub/dir/.hidden.txt")):
        response = admin.post("/documents", data={"csrf": token}, files={"file": (name, data + str(n).encode(), "text/plain")})
        assert response.status_code == 303, (name, response.text)
    assert sorted(p.name for p in outside.iterdir()) == before
    saved = sorted(p.name for p in corpus.iterdir() if "escape" in p.name or "hidden" in p.name)
    assert saved == ["escape-2.txt", "escape-3.txt", "escape.txt", "hidden.txt"]


def test_security_headers_and_body_limits(shared: ConsoleProject) -> None:
    client = shared.client()
    response = client.get("/overview")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["referrer-policy"] == "same-origin" and response.headers["x-frame-options"] == "DENY"
    limit = int(shared.config.corpus.max_file_mb * 1024 * 1024)
    too_big = client.post("/documents", content=b"x", headers={"content-length": str(limit * 2), "content-type": "text/plain"})
    assert too_big.status_code == 413
