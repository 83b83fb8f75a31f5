"""Moving a one-machine SQLite store into PostgreSQL (`python -m bot storage copy-to-postgres`).

Copies everything the store holds — question log, answer pages, votes, settings, FAQ
proposals (with their ids, so the approve buttons already sent keep working) — in one
transaction, so a failure leaves PostgreSQL as it was. The pseudonyms stay valid only with
the same salt: BOT_LOG_SALT when set; otherwise the SQLite salt file is carried into the
database (`bot_meta`), unless PostgreSQL already has a different salt, which is refused.
The update queue is not copied: it is drained by the last run of the single instance.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import StorageError
from bot.storage.db import Database

_READS = {
    "question_log": "SELECT ts, user_hash, kind, question, question_key, region, abstained, confidence, answer_id FROM question_log ORDER BY id",
    "answers": "SELECT answer_id, ts, pages FROM answers",
    "feedback": "SELECT answer_id, user_hash, vote, ts FROM feedback",
    "user_settings": "SELECT user_hash, region, script, updated FROM user_settings",
    "faq_proposals": "SELECT id, ts, author_id, author, question, answer, region, status, decided_by, decided_ts FROM faq_proposals ORDER BY id",
}
_WRITES = {
    "question_log": "INSERT INTO question_log (ts, user_hash, kind, question, question_key, region, abstained, confidence, answer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "answers": "INSERT INTO answers (answer_id, ts, pages) VALUES (?, ?, ?) ON CONFLICT (answer_id) DO NOTHING",
    "feedback": "INSERT INTO feedback (answer_id, user_hash, vote, ts) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    "user_settings": "INSERT INTO user_settings (user_hash, region, script, updated) VALUES (?, ?, ?, ?) ON CONFLICT (user_hash) DO NOTHING",
    "faq_proposals": (
        "INSERT INTO faq_proposals (id, ts, author_id, author, question, answer, region, status, decided_by, decided_ts)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
    ),
}
_FAQ_SEQUENCE = "SELECT setval(pg_get_serial_sequence('faq_proposals', 'id'), GREATEST((SELECT MAX(id) FROM faq_proposals), 1))"
_SALT = "SELECT value FROM bot_meta WHERE key = 'log_salt'"
_PUT_SALT = "INSERT INTO bot_meta (key, value) VALUES ('log_salt', ?) ON CONFLICT DO NOTHING"
_HAS_DATA = "SELECT (SELECT COUNT(*) FROM question_log) + (SELECT COUNT(*) FROM user_settings) + (SELECT COUNT(*) FROM feedback)"


@dataclass(frozen=True)
class Copied:
    rows: dict[str, int]
    salt_copied: bool


def copy_store(source: Database, target: Database, *, salt: str | None) -> Copied:
    """Copy every table of the SQLite `source` into the PostgreSQL `target` (both migrated).

    `salt` is the SQLite store's salt when it came from its file (None when BOT_LOG_SALT is set)."""
    if source.kind != "sqlite" or target.kind != "postgres":
        raise StorageError("copying goes from the SQLite file into PostgreSQL.")
    tables: dict[str, list[tuple]] = {}
    with source.transaction() as cur:
        for table in _READS:
            tables[table] = [tuple(row) for row in cur.execute(_READS[table]).fetchall()]
    copied: dict[str, int] = {}
    with target.transaction() as cur:
        salt_copied = False
        if salt is not None:
            row = cur.execute(_SALT).fetchone()
            if row is not None and row[0] != salt:
                if cur.execute(_HAS_DATA).fetchone()[0]:
                    raise StorageError(
                        "PostgreSQL already holds data pseudonymised with another salt.",
                        hint="Copy into an empty database, or set BOT_LOG_SALT to the salt those rows were made with.",
                    )
                cur.execute("UPDATE bot_meta SET value = ? WHERE key = 'log_salt'", (salt,))
            else:
                cur.execute(_PUT_SALT, (salt,))
            salt_copied = True
        for table, rows in tables.items():
            done = 0
            for row in rows:
                done += cur.execute(_WRITES[table], row).rowcount
            copied[table] = done
        cur.execute(_FAQ_SEQUENCE)
    return Copied(copied, salt_copied)
