"""Passwordless console logins: one-time links and the sessions they open.

Shared by the two front ends that need it, so neither imports the other: the Telegram
bot's /console command (and `python -m bot console`) mints a link; the web console
redeems it and checks the session cookie on every request.

- A **link** carries a signed, timestamped payload (itsdangerous, key derived from the
  store's salt, so the bot and a separately started console agree): the user id, the
  name to credit, and a random nonce. It is valid for LINK_MINUTES and only once: the
  nonce's hash is recorded when minted and marked used in one conditional UPDATE.
- A **session** is a random id in a signed cookie; only its hash is stored, with the
  user's salted hash (never the raw Telegram id), the CSRF token and the expiry.
  The raw id travels only in the admin's own signed cookie, where roles are read from it
  (and checked against the stored hash) on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from bot.errors import LoginError, StorageError
from bot.storage.store import Store

LINK_MINUTES = 10
MAX_NAME = 60
NEW_LINK = "Send /console to the bot in a private chat for a new one."


@dataclass(frozen=True)
class Session:
    """Who is logged in: the Telegram user id (roles are decided from it), a name to credit
    their FAQ entries with, and the CSRF token every form of this session carries."""

    user_id: int
    name: str
    csrf: str
    expires: float


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class Logins:
    """Mint and redeem login links; open, check and end sessions. Thread-safe (the store is)."""

    def __init__(self, store: Store, *, session_hours: float = 8.0) -> None:
        self.store = store
        self.session_seconds = session_hours * 3600
        key = store.derived_key("console-login")
        clock = store.clock

        class Signer(TimestampSigner):  # link age measured on the store's clock (tests move it)
            def get_timestamp(self) -> int:
                return int(clock())

        self._links = URLSafeTimedSerializer(key, salt="console-link", signer=Signer)
        self._cookies = URLSafeSerializer(key, salt="console-session")

    # -- links -------------------------------------------------------------------------

    def mint_link(self, user_id: int, name: str) -> str:
        """A one-time token for `user_id`, valid LINK_MINUTES; raises StorageError when it cannot be recorded."""
        now = self.store.clock()
        nonce = secrets.token_urlsafe(18)
        self.store.write("forget expired login links", "DELETE FROM console_links WHERE expires < ?", (now - 86400,))
        changed = self.store.write(
            "record the login link",
            "INSERT INTO console_links (nonce, user_hash, created, expires) VALUES (?, ?, ?, ?)",
            (_digest(nonce), self.store.user_hash(user_id), now, now + LINK_MINUTES * 60),
        )
        if not changed:
            raise StorageError(f"the login link cannot be recorded in {self.store.where}.", hint="Check the database file and its permissions.")
        return self._links.dumps({"u": int(user_id), "n": (name or "")[:MAX_NAME], "x": nonce})

    def peek(self, token: str) -> tuple[int, str]:
        """(user id, name) of a valid, unused link, without using it up."""
        data = self._verified(token)
        rows = self.store.read("read the login link", "SELECT used FROM console_links WHERE nonce = ? AND expires >= ?", (_digest(data["x"]), self.store.clock()))
        if not rows or rows[0][0] is not None:
            raise LoginError("this login link was already used or has expired; each link works once.", hint=NEW_LINK)
        return data["u"], str(data.get("n") or "")

    def _verified(self, token: str) -> dict:
        try:
            data = self._links.loads(token, max_age=LINK_MINUTES * 60)
        except SignatureExpired:
            raise LoginError(f"this login link has expired (links are valid for {LINK_MINUTES} minutes).", hint=NEW_LINK) from None
        except BadSignature:
            raise LoginError("this login link is not valid.", hint=NEW_LINK) from None
        if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("x"), str):
            raise LoginError("this login link is not valid.", hint=NEW_LINK)
        return data

    def redeem(self, token: str) -> tuple[Session, str]:
        """The session a valid, unused, unexpired link opens, and its cookie value.

        Raises LoginError saying why a link is refused (forged, expired, used)."""
        data = self._verified(token)
        user_id, nonce = data["u"], data["x"]
        now = self.store.clock()
        used = self.store.write(
            "use the login link",
            "UPDATE console_links SET used = ? WHERE nonce = ? AND user_hash = ? AND used IS NULL AND expires >= ?",
            (now, _digest(nonce), self.store.user_hash(user_id), now),
        )
        if used is None:
            raise StorageError(f"the login cannot be checked in {self.store.where}.", hint="Check the database file and its permissions.")
        if used != 1:
            raise LoginError("this login link was already used or has expired; each link works once.", hint=NEW_LINK)
        return self._open(user_id, str(data.get("n") or ""))

    # -- sessions ----------------------------------------------------------------------

    def _open(self, user_id: int, name: str) -> tuple[Session, str]:
        now = self.store.clock()
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        session = Session(user_id, name, csrf, now + self.session_seconds)
        self.store.write("forget expired console sessions", "DELETE FROM console_sessions WHERE expires < ?", (now,))
        changed = self.store.write(
            "open the console session",
            "INSERT INTO console_sessions (session, user_hash, name, csrf, created, expires) VALUES (?, ?, ?, ?, ?, ?)",
            (_digest(session_id), self.store.user_hash(user_id), name, csrf, now, session.expires),
        )
        if not changed:
            raise StorageError(f"the session cannot be recorded in {self.store.where}.", hint="Check the database file and its permissions.")
        return session, self._cookies.dumps({"s": session_id, "u": user_id})

    def session(self, cookie: str | None) -> Session | None:
        """The live session a cookie names, or None (missing, forged, ended or expired)."""
        found = self._find(cookie)
        return found[1] if found else None

    def end(self, cookie: str | None) -> None:
        """Log out: the session is deleted, its cookie is worthless from now on."""
        found = self._find(cookie)
        if found:
            self.store.write("end the console session", "DELETE FROM console_sessions WHERE session = ?", (found[0],))

    def _find(self, cookie: str | None) -> tuple[str, Session] | None:
        if not cookie:
            return None
        try:
            data = self._cookies.loads(cookie)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str) or not isinstance(data.get("u"), int):
            return None
        key = _digest(data["s"])
        rows = self.store.read(
            "read the console session",
            "SELECT user_hash, name, csrf, expires FROM console_sessions WHERE session = ? AND expires > ?",
            (key, self.store.clock()),
        )
        if not rows or not secrets.compare_digest(rows[0][0], self.store.user_hash(data["u"])):
            return None
        _, name, csrf, expires = rows[0]
        return key, Session(data["u"], name, csrf, expires)
