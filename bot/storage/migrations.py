"""Applying the versioned schema (`bot.storage.schema`, one list per backend).

`migrate(db)` applies, in order, every migration whose version is not yet recorded in
`schema_migrations`, each in its own transaction together with its record, so a crash
leaves the schema at a known version. On PostgreSQL an advisory transaction lock makes
instances that start together apply each migration once. A database created before
migrations existed (the SQLite file of earlier versions) is adopted: migration 1 only
creates what is missing. A database newer than this program is refused with a message.
"""

from __future__ import annotations

import logging
import time

from bot.storage.db import Database, DatabaseError
from bot.storage.schema import POSTGRES, SQLITE

log = logging.getLogger(__name__)

MIGRATIONS = {"sqlite": SQLITE, "postgres": POSTGRES}

_TABLE = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied DOUBLE PRECISION NOT NULL)"
_APPLIED = "SELECT version FROM schema_migrations ORDER BY version"
_RECORD = "INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)"
_PG_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':migrations', 0))"


def latest(kind: str) -> int:
    return MIGRATIONS[kind][-1][0]


def applied_versions(db: Database) -> list[int]:
    with db.transaction() as cur:
        cur.execute(_TABLE)
        return [v for (v,) in cur.execute(_APPLIED).fetchall()]


def migrate(db: Database) -> list[int]:
    """Apply the missing migrations; the versions applied now (empty when up to date)."""
    steps = MIGRATIONS[db.kind]
    done_now: list[int] = []
    for version, name, script in steps:
        with db.transaction(immediate=True) as cur:
            if db.kind == "postgres":
                cur.execute(_PG_LOCK)  # instances starting together wait here, then see the version recorded
            cur.execute(_TABLE)
            have = {v for (v,) in cur.execute(_APPLIED).fetchall()}
            if have and max(have) > latest(db.kind):
                raise DatabaseError(
                    f"the database {db.where} has schema version {max(have)}, newer than this program knows ({latest(db.kind)}).",
                    hint="Upgrade this program to the version the other instances run.",
                )
            if version in have:
                continue
            for statement in _statements(script):
                cur.execute(statement)
            cur.execute(_RECORD, (version, name, time.time()))
            done_now.append(version)
            log.info("database %s: applied migration %d (%s)", db.where, version, name)
    return done_now


def _statements(script: str) -> list[str]:
    """The script's statements (no statement in a migration contains a semicolon inside it)."""
    return [part.strip() for part in script.split(";") if part.strip()]
