"""One SQL interface over two backends: SQLite (one machine, the default) and PostgreSQL
(several instances sharing one database, through psycopg 3 and a connection pool).

Statements are written once, with `?` placeholders, in the dialect both understand
(`INSERT ... ON CONFLICT`, `RETURNING`, `COUNT`/`SUM`/`CASE`); `adapt` turns them into
psycopg's `%s` form in this one place. Where the dialects really differ (column types,
`FOR UPDATE SKIP LOCKED`, advisory locks), the callers keep one constant per backend and
pick it by `Database.kind`.

Every call either succeeds or raises `DatabaseError` (a StorageError) naming the database
and what to check; `Store` turns that into a logged warning on the parents' path.
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from bot.errors import StorageError

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 1.5  # seconds a SQLite write waits for a lock before giving up (and logging)
POOL_TIMEOUT = 2.0  # seconds a PostgreSQL call waits for a free pooled connection
UNREACHABLE_PAUSE = 3.0  # after no connection could be had, calls fail at once for this long
CONNECT_TIMEOUT = 5  # seconds to open one PostgreSQL connection
_LITERAL_OR_MARK = re.compile(r"'(?:[^']|'')*'|\?|%")


class DatabaseError(StorageError):
    """The database could not run a statement (gone, locked, read-only, broken)."""


@functools.lru_cache(maxsize=512)
def adapt(sql: str) -> str:
    """`?` placeholders → psycopg's `%s` (and a literal `%` → `%%`), outside string literals."""
    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        return "%s" if token == "?" else token.replace("%", "%%")  # psycopg reads % inside literals too

    return _LITERAL_OR_MARK.sub(swap, sql)


def describe_url(url: str) -> str:
    """A PostgreSQL URL without its password, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{host}{port}{parts.path}"


class Cursor(Protocol):
    """What a transaction hands out: run statements, read rows."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...
    def fetchone(self) -> tuple[Any, ...] | None: ...
    @property
    def rowcount(self) -> int: ...


class Database(Protocol):
    kind: str  # "sqlite" or "postgres"
    where: str  # the file or the URL without password, for messages

    def transaction(self, *, immediate: bool = False) -> Any: ...  # a context manager yielding a Cursor; commits on success
    def close(self) -> None: ...


class SqliteDatabase:
    """One connection, WAL, each statement or transaction committed at once; thread-safe by a lock."""

    kind = "sqlite"

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT, read_only: bool = False) -> None:
        self.path = Path(path)
        self.where = str(self.path)
        self.read_only = read_only
        self._lock = threading.RLock()
        try:
            if read_only:
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                self._conn: sqlite3.Connection | None = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = FULL")
        except (sqlite3.Error, OSError, ValueError) as exc:
            raise DatabaseError(f"cannot open the database {self.path}: {exc}.", hint="Check the file's owner and permissions.") from exc

    @contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[sqlite3.Cursor]:
        """`immediate` takes the write lock at once (a transaction that reads, then writes);
        otherwise readers are never blocked by another process's writer (WAL)."""
        with self._lock:
            if self._conn is None:
                raise DatabaseError(f"the database {self.path} is closed.")
            try:
                cursor = self._conn.cursor()
                if not self.read_only:
                    cursor.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
                try:
                    yield cursor
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.rollback()
                    raise
                if self._conn.in_transaction:
                    self._conn.commit()
            except (sqlite3.Error, ValueError) as exc:  # ValueError: text SQLite cannot take
                raise DatabaseError(f"{self.path}: {exc}.") from exc

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class _PgCursor:
    """psycopg's cursor with `?` placeholders (see `adapt`)."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _PgCursor:
        self._cursor.execute(adapt(sql), params or None)
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cursor.fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cursor.fetchone()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


class PostgresDatabase:
    """A psycopg_pool ConnectionPool; each `transaction()` borrows one connection."""

    kind = "postgres"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, pool_timeout: float = POOL_TIMEOUT) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self.url = url
        self.where = describe_url(url)
        self.pool_timeout = pool_timeout
        self._errors: tuple[type[BaseException], ...] = (psycopg.Error, _pool_errors())
        self._pool_timeout_error = _pool_errors()
        self._down_until = 0.0  # while the server is unreachable, fail fast instead of waiting each time
        self._pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=pool_timeout,
            kwargs={"connect_timeout": CONNECT_TIMEOUT, "application_name": "shuangjian-bot"},
            check=ConnectionPool.check_connection,  # a connection the server dropped is replaced, not handed out
            open=False,
            name="shuangjian",
        )
        try:
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT).close()  # fails fast, with the server's reason
            self._pool.open(wait=True, timeout=pool_timeout + CONNECT_TIMEOUT)
        except self._errors as exc:
            self._pool.close()
            raise DatabaseError(f"cannot connect to the database {self.where}: {_reason(exc)}.", hint="Check that PostgreSQL is running and DATABASE_URL ([storage] url) is right.") from exc

    @contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[_PgCursor]:
        """One pooled connection, one transaction (`immediate` is SQLite's; rows are locked as used here).

        When no connection could be had (the server is down or unreachable), calls fail at
        once for UNREACHABLE_PAUSE seconds, so a parent's answer is not held up by every
        storage call waiting in turn; the pool keeps reconnecting in the background."""
        if time.monotonic() < self._down_until:
            raise DatabaseError(f"{self.where} is unreachable (reconnecting in the background).")
        try:
            with self._pool.connection() as conn, conn.cursor() as cursor:
                yield _PgCursor(cursor)
        except self._errors as exc:
            if isinstance(exc, self._pool_timeout_error):
                self._down_until = time.monotonic() + UNREACHABLE_PAUSE
            raise DatabaseError(f"{self.where}: {_reason(exc)}.") from exc

    def connect(self, *, autocommit: bool = True) -> Any:
        """A dedicated connection outside the pool (advisory session locks, LISTEN)."""
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT, application_name="shuangjian-bot")
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot connect to the database {self.where}: {_reason(exc)}.") from exc

    def close(self) -> None:
        self._pool.close()


def _pool_errors() -> type[BaseException]:
    from psycopg_pool import PoolTimeout

    return PoolTimeout


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def is_postgres_url(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in ("postgresql", "postgres")
