"""bot.storage.logins: one-time links (signed, timed, used once) and sessions (signed cookie,
only hashes stored, no raw Telegram id in the database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import LoginError
from bot.storage.logins import LINK_MINUTES, Logins
from bot.storage.store import Store

ADMIN = 987654321


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgres"])
def logins(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Logins:
    location = request.getfixturevalue("postgres_url") if request.param == "postgres" else tmp_path / "bot.sqlite3"
    return Logins(Store(location, salt="salt-one", clock=clock), session_hours=1)


def test_a_link_opens_one_session_once(logins: Logins) -> None:
    token = logins.mint_link(ADMIN, "张老师")
    assert logins.peek(token) == (ADMIN, "张老师")
    assert logins.peek(token) == (ADMIN, "张老师")  # looking does not use it up
    session, cookie = logins.redeem(token)
    assert (session.user_id, session.name) == (ADMIN, "张老师") and len(session.csrf) >= 24
    assert logins.session(cookie) == session
    for use in (logins.redeem, logins.peek):
        with pytest.raises(LoginError, match="already used"):
            use(token)


def test_links_expire_after_ten_minutes_by_signature_and_by_record(logins: Logins, clock: Clock) -> None:
    token = logins.mint_link(ADMIN, "")
    clock.now += LINK_MINUTES * 60 + 1
    with pytest.raises(LoginError, match="expired"):
        logins.redeem(token)


def test_forged_and_foreign_links_are_refused(tmp_path: Path, logins: Logins) -> None:
    token = logins.mint_link(ADMIN, "")
    other = Logins(Store(tmp_path / "other.sqlite3", salt="salt-two"))
    for bad in ("", "x", token[:-3] + "abc", other.mint_link(ADMIN, "")):
        with pytest.raises(LoginError, match="not valid"):
            logins.redeem(bad)


def test_sessions_end_expire_and_ignore_forged_cookies(logins: Logins, clock: Clock) -> None:
    _, cookie = logins.redeem(logins.mint_link(ADMIN, ""))
    payload, signature = cookie.rsplit(".", 1)
    assert logins.session(payload + "." + signature[::-1]) is None
    assert logins.session(None) is None and logins.session("garbage") is None
    _, second = logins.redeem(logins.mint_link(ADMIN, ""))
    logins.end(cookie)
    assert logins.session(cookie) is None and logins.session(second) is not None
    clock.now += 3601
    assert logins.session(second) is None


def test_no_raw_user_id_or_secret_reaches_the_database(logins: Logins) -> None:
    token = logins.mint_link(ADMIN, "张老师")
    _, cookie = logins.redeem(token)
    with logins.store.db.transaction() as cur:  # every row of the login tables, as text (either backend)
        rows = cur.execute("SELECT * FROM console_links").fetchall() + cur.execute("SELECT * FROM console_sessions").fetchall()
    dump = "\n".join(map(str, rows))
    assert str(ADMIN) not in dump
    nonce_and_session = [part for part in (token.split(".")[0], cookie.split(".")[0]) if part]
    assert all(part not in dump for part in nonce_and_session)
