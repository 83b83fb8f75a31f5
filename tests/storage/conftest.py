"""Every PostgreSQL pool a storage test opens is closed after it (a pool left to the garbage
collector complains from its worker threads)."""

from __future__ import annotations

import pytest

from bot.storage.db import PostgresDatabase


@pytest.fixture(autouse=True)
def close_pools(monkeypatch: pytest.MonkeyPatch):
    opened: list[PostgresDatabase] = []
    real_init = PostgresDatabase.__init__

    def tracked(self: PostgresDatabase, *args, **kwargs) -> None:
        real_init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(PostgresDatabase, "__init__", tracked)
    yield
    for db in opened:
        db.close()
