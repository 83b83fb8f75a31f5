"""SQLite (WAL) store for the Telegram side: feedback, user settings, FAQ proposals, question log.

Every write commits on its own, so a crash loses nothing already acknowledged. User ids
(parents, staff and admins alike) are kept only as salted hashes (HMAC-SHA256 keyed by
BOT_LOG_SALT, else by a 0600 file next to the database): no raw Telegram id is written
to the file. Every statement is a constant with `?` parameters. A locked, read-only or
broken database never stops the bot answering: the
parent-facing calls log the failure and return a neutral value; only the admin reports
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
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import StorageSettings
from bot.errors import StorageError
from bot.records import Script
from bot.text import compact

log = logging.getLogger(__name__)

SALT_ENV = "BOT_LOG_SALT"
PURGE_EVERY = 6 * 3600  # seconds between retention sweeps while running
BUSY_TIMEOUT = 1.5  # seconds a write waits for a lock before giving up (and logging)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS question_log (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    user_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    question TEXT NOT NULL,
    question_key TEXT NOT NULL,
    region TEXT,
    abstained INTEGER NOT NULL,
    confidence REAL NOT NULL,
    answer_id TEXT
);
CREATE INDEX IF NOT EXISTS question_log_ts ON question_log(ts);
CREATE INDEX IF NOT EXISTS question_log_answer ON question_log(answer_id);
CREATE INDEX IF NOT EXISTS question_log_key ON question_log(question_key, ts);
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    ts REAL NOT NULL,
    pages TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL,
    user_hash TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    ts REAL NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
CREATE TABLE IF NOT EXISTS user_settings (
    user_hash TEXT PRIMARY KEY,
    region TEXT,
    script TEXT,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faq_proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    author_id NOT NULL,  -- the staff member's salted hash (Store.user_hash), never the raw id
    author TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'approving', 'approved', 'rejected')),
    decided_by,  -- the deciding admin's salted hash
    decided_ts REAL
);
CREATE TABLE IF NOT EXISTS console_links (
    nonce TEXT PRIMARY KEY,  -- sha256 of the random part of a one-time login link
    user_hash TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    used REAL
);
CREATE TABLE IF NOT EXISTS console_sessions (
    session TEXT PRIMARY KEY,  -- sha256 of the session id inside the signed cookie
    user_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS console_trials (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    user_hash TEXT NOT NULL,
    question TEXT NOT NULL,
    region TEXT,
    abstained INTEGER NOT NULL,
    confidence REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS console_trials_ts ON console_trials(ts);
CREATE TABLE IF NOT EXISTS conversations (
    conv_key TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('chat', 'reply')),
    ts REAL NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_ts ON conversations(ts);
"""


_SET_REGION = (
    "INSERT INTO user_settings (user_hash, region, updated) VALUES (?, ?, ?)"
    " ON CONFLICT(user_hash) DO UPDATE SET region = excluded.region, updated = excluded.updated"
)
_SET_SCRIPT = (
    "INSERT INTO user_settings (user_hash, script, updated) VALUES (?, ?, ?)"
    " ON CONFLICT(user_hash) DO UPDATE SET script = excluded.script, updated = excluded.updated"
)
_PURGE = (
    "DELETE FROM question_log WHERE ts < ?",
    "DELETE FROM answers WHERE ts < ?",
    "DELETE FROM feedback WHERE ts < ?",
    "DELETE FROM faq_proposals WHERE ts < ? AND status IN ('approved', 'rejected')",
    "DELETE FROM console_trials WHERE ts < ?",
    "DELETE FROM conversations WHERE ts < ?",
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
    """Thread-safe: one connection guarded by a lock; call it from worker threads."""

    def __init__(self, path: Path, *, retention_days: int = 180, salt: str | None = None, clock: Callable[[], float] = time.time, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.retention_days = retention_days
        self.clock = clock
        self._lock = threading.Lock()
        self._last_purge = 0.0
        self._salt = (salt or load_salt(self.path)).encode("utf-8")
        self._conn: sqlite3.Connection | None = None
        try:
            self._conn = self._connect()
        except (sqlite3.Error, OSError) as exc:
            self._conn = self._connect_read_only()
            state = "read-only: settings are read, nothing new is saved" if self._conn else "unavailable: answering goes on without it"
            log.error("storage %s cannot be written (%s); %s. Check the file's owner and permissions.", self.path, exc, state)
            return
        self.purge()

    @classmethod
    def from_settings(cls, settings: StorageSettings, **kwargs: Any) -> Store:
        return cls(settings.path, retention_days=settings.retention_days, **kwargs)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.executescript(_SCHEMA)
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _connect_read_only(self) -> sqlite3.Connection | None:
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
            conn.execute("SELECT 1 FROM user_settings LIMIT 1")
            return conn
        except (sqlite3.Error, OSError, ValueError):
            return None

    @property
    def available(self) -> bool:
        return self._conn is not None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

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

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise sqlite3.OperationalError("storage is unavailable")
            yield self._conn

    def write(self, what: str, sql: str, params: Sequence[Any]) -> int | None:
        """Run one statement (auto-committed); the changed row count, or None on failure."""
        try:
            with self._cursor() as conn:
                return conn.execute(sql, params).rowcount
        except (sqlite3.Error, ValueError) as exc:  # ValueError: text SQLite cannot take
            log.warning("storage: could not %s (%s); going on without it.", what, exc)
            return None

    def read(self, what: str, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]] | None:
        """Run one query; its rows, or None on failure (logged)."""
        try:
            with self._cursor() as conn:
                return conn.execute(sql, params).fetchall()
        except (sqlite3.Error, ValueError) as exc:
            log.warning("storage: could not %s (%s).", what, exc)
            return None

    def insert(self, what: str, sql: str, params: Sequence[Any]) -> int | None:
        """Run one INSERT; the new row id, or None on failure (logged)."""
        try:
            with self._cursor() as conn:
                return conn.execute(sql, params).lastrowid
        except (sqlite3.Error, ValueError) as exc:
            log.warning("storage: could not %s (%s).", what, exc)
            return None

    # -- question log and answer pages -------------------------------------------------

    def log_question(self, user_id: int, question: str, *, kind: str, abstained: bool, confidence: float, region: str | None = None, answer_id: str | None = None) -> bool:
        """Append one asked question (user id hashed)."""
        now = self.clock()
        if now - self._last_purge > PURGE_EVERY:
            self.purge()
        changed = self.write(
            "log the question",
            "INSERT INTO question_log (ts, user_hash, kind, question, question_key, region, abstained, confidence, answer_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (now, self.user_hash(user_id), kind, question, compact(question) or question, region, int(abstained), float(confidence), answer_id),
        )
        return changed is not None

    def save_pages(self, answer_id: str, pages: Sequence[str], script: str) -> bool:
        """Keep an answer's pages (HTML) so its buttons work later, even after a restart."""
        data = json.dumps({"script": script, "pages": list(pages)}, ensure_ascii=False)
        changed = self.write("save the answer pages", "INSERT OR REPLACE INTO answers (answer_id, ts, pages) VALUES (?, ?, ?)", (answer_id, self.clock(), data))
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
            "INSERT OR IGNORE INTO feedback (answer_id, user_hash, vote, ts) VALUES (?, ?, ?, ?)",
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
        return removed
