"""PostgreSQL's shared pieces: the send budget all instances draw from (slots 1/28 s apart on
the database's clock, a 429 pausing everyone, no burst after it) and the advisory locks
(one polling leader, one index build; released when their holder's connection dies)."""

from __future__ import annotations

import concurrent.futures
import json

import pytest

from bot.storage.budget import SharedBudget
from bot.storage.db import PostgresDatabase
from bot.storage.locks import INDEX_BUILD, LEADER, SessionLock
from bot.storage.store import Store

RATE = 28


@pytest.fixture
def databases(postgres_url: str):
    Store(postgres_url, salt="s").close()  # migrations
    dbs = [PostgresDatabase(postgres_url, max_size=3) for _ in range(3)]
    yield dbs
    for db in dbs:
        db.close()


def most_in_one_second(slots: list[float]) -> int:
    slots = sorted(slots)
    best, start = 0, 0
    for end, slot in enumerate(slots):
        while slot - slots[start] >= 1.0 - 1e-6:  # epoch seconds as doubles: ~1e-7 apart
            start += 1
        best = max(best, end - start + 1)
    return best


def test_three_instances_share_one_budget_of_28_a_second(databases: list[PostgresDatabase]) -> None:
    budgets = [SharedBudget(db, RATE) for db in databases]

    def take(n: int) -> list[float]:
        return [budgets[n].reserve_slot()[0] for _ in range(40)]

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        slots = [s for taken in pool.map(take, range(3)) for s in taken]
    assert len(set(slots)) == 120  # every message its own slot
    ordered = sorted(slots)
    assert min(b - a for a, b in zip(ordered, ordered[1:])) == pytest.approx(1 / RATE, abs=1e-5)
    assert most_in_one_second(slots) == RATE  # 120 messages from three instances: never 29 in a second


def test_a_429_pauses_every_instance_and_no_burst_follows(databases: list[PostgresDatabase]) -> None:
    first, second = SharedBudget(databases[0], RATE), SharedBudget(databases[1], RATE)
    before, now = first.reserve_slot()
    second.pause(2.0)  # the other instance got a 429 with retry_after=2
    after = [first.reserve_slot()[0] for _ in range(10)]
    assert after[0] >= now + 2.0  # nobody sends during the pause
    assert all(b - a == pytest.approx(1 / RATE, abs=1e-5) for a, b in zip(after, after[1:]))  # spaced again after it
    assert first.reserve() > 1.5  # the wait handed to the sender


def test_the_budget_needs_postgresql(tmp_path) -> None:
    store = Store(tmp_path / "bot.sqlite3", salt="s")
    with pytest.raises(ValueError, match="PostgreSQL"):
        SharedBudget(store.db, RATE)


def test_one_leader_and_one_build_at_a_time(databases: list[PostgresDatabase], postgres_server) -> None:
    a, b = SessionLock(databases[0], LEADER), SessionLock(databases[1], LEADER)
    assert a.try_acquire() and a.held()
    assert not b.try_acquire()
    assert SessionLock(databases[1], INDEX_BUILD).try_acquire()  # another lock entirely
    postgres_server.kill_connections()  # the leader's connection dies (a database restart)
    assert not a.held()
    assert b.try_acquire()  # taken over
    assert not a.try_acquire()
    b.release()
    assert a.try_acquire()
    a.release()


def test_lock_names_are_scoped_by_schema(postgres_server) -> None:
    urls = [postgres_server.new_schema() for _ in range(2)]
    dbs = [PostgresDatabase(url, max_size=1) for url in urls]
    try:
        assert SessionLock(dbs[0], LEADER).try_acquire()
        assert SessionLock(dbs[1], LEADER).try_acquire()  # another bot in the same database
    finally:
        for db, url in zip(dbs, urls):
            db.close()
            postgres_server.drop_schema(url)


def test_adapt_keeps_literals_and_escapes_percent() -> None:
    from bot.storage.db import adapt

    assert adapt("SELECT ? WHERE a LIKE '50%?' AND b = ?") == "SELECT %s WHERE a LIKE '50%%?' AND b = %s"
    assert json.loads('"x"') == "x"
