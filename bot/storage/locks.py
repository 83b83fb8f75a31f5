"""PostgreSQL advisory locks held on a connection of their own: one polling leader, one index
build at a time across every machine.

A session lock belongs to its connection: if the process dies or the connection breaks, the
database releases it and another instance can take it. `held()` asks the database, so a
leader whose connection broke (a database restart) notices and stops polling. Lock names
are scoped by the schema, so two bots sharing a database (in two schemas) do not collide.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.storage.db import DatabaseError, PostgresDatabase, adapt

log = logging.getLogger(__name__)

_TRY = "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ?, 0))"
_ALIVE = "SELECT 1"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(current_schema() || ?, 0))"

LEADER = ":telegram-poller"
INDEX_BUILD = ":index-build"


class SessionLock:
    def __init__(self, db: PostgresDatabase, name: str) -> None:
        self.db = db
        self.name = name
        self._conn: Any = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when we hold it (now or already)."""
        if self.held():
            return True
        self.release()
        try:
            self._conn = self.db.connect()
            (got,) = self._conn.execute(adapt(_TRY), (self.name,)).fetchone()
        except (DatabaseError, Exception) as exc:  # psycopg.Error: the database is unreachable
            log.warning("could not ask for lock %s: %s", self.name, exc)
            self.release()
            return False
        if not got:
            self.release()
        return bool(got)

    def held(self) -> bool:
        """Do we still hold it? A session lock lasts as long as its connection: False when it broke."""
        if self._conn is None:
            return False
        try:
            self._conn.execute(_ALIVE).fetchone()
            return True
        except Exception:  # noqa: BLE001 - any failure means we cannot count on the lock
            self.release()
            return False

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.execute(adapt(_UNLOCK), (self.name,))
            except Exception:  # noqa: BLE001 - closing the connection releases it anyway
                pass
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass

    def __enter__(self) -> SessionLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

