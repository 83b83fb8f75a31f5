"""The store for the Telegram side: feedback, user settings, FAQ proposals, question log (and,
through `bot.storage.queue`, the update queue), in SQLite (WAL, one machine: the default) or
PostgreSQL (`[storage] url` / DATABASE_URL: several instances), over `bot.storage.db`.

Every write commits on its own, so a crash loses nothing already acknowledged. User ids
(parents, staff and admins alike) are kept only as salted hashes (HMAC-SHA256 keyed by
BOT_LOG_SALT, else by a 0600 file next to the database): no raw Telegram id is written
to the database. With PostgreSQL the salt is BOT_LOG_SALT, else one kept in the database
itself so that every instance hashes alike. Every statement is a constant with `?`
parameters. A locked, read-only, broken or unreachable database never stops the bot
answering: the parent-facing calls log the failure and return a neutral value (only an
unreachable PostgreSQL at start-up raises DatabaseError); only the admin reports
(`bot.storage.admin`) raise StorageError so an admin learns why they are empty.
Staff and admin data (the FAQ queue, statistics) live in `bot.storage.admin`.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import StorageSettings
from bot.errors import StorageError
from bot.records import Script
from bot.storage.db import (
    BUSY_TIMEOUT,
    POOL_TIMEOUT,
    Database,
    DatabaseError,
    PostgresDatabase,
    SqliteDatabase,
    describe_url,
    is_postgres_url,
)
from bot.storage.migrations import migrate
from bot.text import compact

log = logging.getLogger(__name__)

SALT_ENV = "BOT_LOG_SALT"
PURGE_EVERY = 6 * 3600  # seconds between retention sweeps while running

_SET_REGION = (
    "INSERT INTO user_settings (user_hash, region, updated) VALUES (?, ?, ?)"
    " ON CONFLICT(user_hash) DO UPDATE SET region = excluded.region, updated = excluded.updated"
)
_SET_SCRIPT = (
    "INSERT INTO user_settings (user_hash, script, updated) VALUES (?, ?, ?)"
    " ON CONFLICT(user_hash) DO UPDATE SET script = excluded.script, updated = excluded.updated"
)
_SAVE_PAGES = (
    "INSERT INTO answers (answer_id, ts, pages) VALUES (?, ?, ?)"
    " ON CONFLICT(answer_id) DO UPDATE SET ts = excluded.ts, pages = excluded.pages"
)
_PURGE = (
    "DELETE FROM question_log WHERE ts < ?",
    "DELETE FROM answers WHERE ts < ?",
    "DELETE FROM feedback WHERE ts < ?",
    "DELETE FROM faq_proposals WHERE ts < ? AND status IN ('approved', 'rejected')",
    "DELETE FROM console_trials WHERE ts < ?",
    "DELETE FROM conversations WHERE ts < ?",
)
# Answered updates and their sent replies are kept this long: Telegram's redeliveries (and
# a new polling leader's first getUpdates) are recognised as done within it.
QUEUE_KEEP = 2 * 86400
_PURGE_QUEUE = (
    "DELETE FROM update_replies WHERE update_id IN (SELECT update_id FROM updates WHERE state IN ('done', 'failed') AND finished < ?)",
    "DELETE FROM updates WHERE state IN ('done', 'failed') AND finished < ?",
)


class Vote(enum.Enum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    FAILED = "failed"


@dataclass(frozen=True)
class AnswerPages:
    script: Script
    pages: tuple[str, ...]  # [0] the answer's last message, then excerpt pages


@dataclass(frozen=True)
class UserSettings:
    region: str | None = None
    script: str | None = None


def load_salt(db_path: Path, env: Mapping[str, str] | None = None) -> str:
    """BOT_LOG_SALT, else the salt file next to the database (created once, mode 0600)."""
    env = os.environ if env is None else env
    if env.get(SALT_ENV):
        return env[SALT_ENV]
    salt_file = db_path.with_name(db_path.name + ".salt")
    try:
        return salt_file.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    salt = secrets.token_hex(32)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(salt_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile
        return salt_file.read_text(encoding="ascii").strip()
    except OSError as exc:
        log.error("cannot create the salt file %s (%s); using a temporary salt until restart. Set %s to keep hashes stable.", salt_file, exc, SALT_ENV)
        return salt
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(salt + "\n")
    return salt


class Store:
    """Thread-safe; call it from worker threads. SQLite (a file) or PostgreSQL (a URL)."""

    def __init__(
        self,
        location: Path | str,
        *,
        retention_days: int = 180,
        salt: str | None = None,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = BUSY_TIMEOUT,
        pool_size: int = 10,
        pool_timeout: float = POOL_TIMEOUT,
    ) -> None:
        self.retention_days = retention_days
        self.clock = clock
        self._last_purge = 0.0
        self.db: Database | None = None
        if isinstance(location, str) and is_postgres_url(location):
            self.path: Path | None = None
            self.where = describe_url(location)
            self.db = PostgresDatabase(location, max_size=pool_size, pool_timeout=pool_timeout)  # unreachable: DatabaseError, the caller decides
            migrate(self.db)
            self._salt = (salt or self._database_salt()).encode("utf-8")
            self.purge()
            return
        self.path = Path(location)
        self.where = str(self.path)
        self._salt = (salt or load_salt(self.path)).encode("utf-8")
        try:
            self.db = SqliteDatabase(self.path, busy_timeout=busy_timeout)
            migrate(self.db)
        except (DatabaseError, OSError) as exc:
            if self.db is not None:
                self.db.close()
            self.db = self._open_read_only(busy_timeout)
            state = "read-only: settings are read, nothing new is saved" if self.db else "unavailable: answering goes on without it"
            log.error("storage %s cannot be written (%s); %s. Check the file's owner and permissions.", self.path, exc, state)
            return
        self.purge()

    @classmethod
    def from_settings(cls, settings: StorageSettings, **kwargs: Any) -> Store:
        """PostgreSQL when `[storage] url` (or DATABASE_URL) is set, else the SQLite file."""
        return cls(settings.url or settings.path, retention_days=settings.retention_days, pool_size=settings.pool_size, **kwargs)

    def _open_read_only(self, busy_timeout: float) -> Database | None:
        try:
            db = SqliteDatabase(self.path, busy_timeout=busy_timeout, read_only=True)  # type: ignore[arg-type]
            with db.transaction() as cur:
                cur.execute("SELECT 1 FROM user_settings LIMIT 1")
            return db
        except DatabaseError:
            return None

    def _database_salt(self) -> str:
        """BOT_LOG_SALT, else one salt kept in the database, so every instance hashes alike."""
        if os.environ.get(SALT_ENV):
            return os.environ[SALT_ENV]
        assert self.db is not None
        with self.db.transaction() as cur:
            cur.execute("INSERT INTO bot_meta (key, value) VALUES ('log_salt', ?) ON CONFLICT DO NOTHING", (secrets.token_hex(32),))
            return cur.execute("SELECT value FROM bot_meta WHERE key = 'log_salt'").fetchone()[0]

    @property
    def kind(self) -> str:
        return self.db.kind if self.db is not None else "none"

    @property
    def available(self) -> bool:
        return self.db is not None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    @property
    def salt(self) -> str:
        """The pseudonym salt (a secret: for the log filter only)."""
        return self._salt.decode("utf-8")

    def ping(self) -> None:
        """Raise DatabaseError unless the database answers (for /readyz)."""
        if self.db is None:
            raise DatabaseError(f"storage {self.where} is unavailable.")
        with self.db.transaction() as cur:
            cur.execute("SELECT 1").fetchone()

    def user_hash(self, user_id: int) -> str:
        """The pseudonym stored instead of a Telegram user id."""
        return hmac.new(self._salt, str(user_id).encode("ascii"), hashlib.sha256).hexdigest()[:32]

    def derived_key(self, purpose: str) -> bytes:
        """A secret for `purpose` (e.g. signing console links), derived from the salt: every
        process sharing the salt (the bot, the console) derives the same one."""
        return hmac.new(self._salt, f"key:{purpose}".encode("utf-8"), hashlib.sha256).digest()

    def pseudonym(self, *parts: object) -> str:
        """A salted hash of several ids (a chat and a user, a chat and a message)."""
        return hmac.new(self._salt, "\x1f".join(map(str, parts)).encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def write(self, what: str, sql: str, params: Sequence[Any]) -> int | None:
        """Run one statement (committed at once); the changed row count, or None on failure."""
        try:
            if self.db is None:
                raise DatabaseError(f"storage {self.where} is unavailable.")
            with self.db.transaction() as cur:
                return cur.execute(sql, params).rowcount
        except DatabaseError as exc:
            log.warning("storage: could not %s (%s); going on without it.", what, exc)
            return None

    def read(self, what: str, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]] | None:
        """Run one query; its rows, or None on failure (logged)."""
        try:
            if self.db is None:
                raise DatabaseError(f"storage {self.where} is unavailable.")
            with self.db.transaction() as cur:
                return cur.execute(sql, params).fetchall()
        except DatabaseError as exc:
            log.warning("storage: could not %s (%s).", what, exc)
            return None

    def insert(self, what: str, sql: str, params: Sequence[Any]) -> int | None:
        """Run one INSERT ... RETURNING id; the new id, or None on failure (logged)."""
        try:
            if self.db is None:
                raise DatabaseError(f"storage {self.where} is unavailable.")
            with self.db.transaction() as cur:
                row = cur.execute(sql, params).fetchone()
                return int(row[0]) if row else None
        except DatabaseError as exc:
            log.warning("storage: could not %s (%s).", what, exc)
            return None

    # -- question log and answer pages -------------------------------------------------

    def log_question(
        self, user_id: int, question: str, *, kind: str, abstained: bool, confidence: float,
        region: str | None = None, answer_id: str | None = None, tentative: bool = False,
    ) -> bool:
        """Append one asked question (user id hashed) and how it was answered."""
        now = self.clock()
        if now - self._last_purge > PURGE_EVERY:
            self.purge()
        changed = self.write(
            "log the question",
            "INSERT INTO question_log (ts, user_hash, kind, question, question_key, region, abstained, confidence, answer_id, tentative)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (now, self.user_hash(user_id), kind, question, compact(question) or question, region, int(abstained), float(confidence), answer_id, int(tentative)),
        )
        return changed is not None

    def save_pages(self, answer_id: str, pages: Sequence[str], script: str) -> bool:
        """Keep an answer's pages (HTML) so its buttons work later, even after a restart."""
        data = json.dumps({"script": script, "pages": list(pages)}, ensure_ascii=False)
        changed = self.write("save the answer pages", _SAVE_PAGES, (answer_id, self.clock(), data))
        return changed is not None

    def pages(self, answer_id: str) -> AnswerPages | None:
        rows = self.read("read the answer pages", "SELECT pages FROM answers WHERE answer_id = ?", (answer_id,))
        if not rows:
            return None
        data = json.loads(rows[0][0])
        return AnswerPages(data["script"], tuple(data["pages"]))

    # -- feedback ----------------------------------------------------------------------

    def record_vote(self, answer_id: str, user_id: int, vote: int) -> Vote:
        """👍 (+1) or 👎 (-1), once per user and answer: a second press changes nothing."""
        if vote not in (-1, 1):
            raise StorageError(f"a vote must be +1 or -1, got {vote!r}.")
        changed = self.write(
            "record the vote",
            "INSERT INTO feedback (answer_id, user_hash, vote, ts) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (answer_id, self.user_hash(user_id), vote, self.clock()),
        )
        if changed is None:
            return Vote.FAILED
        return Vote.RECORDED if changed else Vote.DUPLICATE

    # -- per-user settings -------------------------------------------------------------

    def settings(self, user_id: int) -> UserSettings:
        rows = self.read("read user settings", "SELECT region, script FROM user_settings WHERE user_hash = ?", (self.user_hash(user_id),))
        return UserSettings(*rows[0]) if rows else UserSettings()

    def set_region(self, user_id: int, region: str | None) -> bool:
        return self.write("save the user's region", _SET_REGION, (self.user_hash(user_id), region, self.clock())) is not None

    def set_script(self, user_id: int, script: str) -> bool:
        return self.write("save the user's script", _SET_SCRIPT, (self.user_hash(user_id), script, self.clock())) is not None

    # -- retention ---------------------------------------------------------------------

    def purge(self) -> int:
        """Delete log entries, answer pages, votes and decided proposals past the retention."""
        now = self.clock()
        self._last_purge = now
        cutoff = now - self.retention_days * 86400
        removed = 0
        for sql in _PURGE:
            removed += self.write("apply the retention period", sql, (cutoff,)) or 0
        for sql in _PURGE_QUEUE:
            removed += self.write("forget old answered updates", sql, (now - QUEUE_KEEP,)) or 0
        return removed
