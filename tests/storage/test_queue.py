"""bot.storage.queue on both backends: updates deduplicated by update_id, claimed once, leases
taken over after a crash, poison updates set aside, replies recorded so none is sent twice;
on PostgreSQL, concurrent claimers never share an update (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path

import pytest

from bot.storage.db import PostgresDatabase
from bot.storage.queue import MAX_ATTEMPTS, ClaimLost, UpdateQueue
from bot.storage.store import QUEUE_KEEP, Store


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    location = request.getfixturevalue("postgres_url") if request.param == "postgres" else tmp_path / "bot.sqlite3"
    store = Store(location, salt="s")
    yield store
    store.close()


def update(n: int) -> str:
    return json.dumps({"update_id": n, "message": {"message_id": n, "date": 0, "chat": {"id": 1, "type": "private"}, "text": f"q{n}"}})


def test_an_update_is_queued_once_whatever_telegram_retries(store: Store) -> None:
    queue = UpdateQueue(store.db)
    assert queue.enqueue(10, update(10)) is True
    assert queue.enqueue(10, update(10)) is False  # Telegram's retry of the same update
    assert queue.enqueue_many([(10, update(10)), (11, update(11)), (12, update(12))]) == 2
    assert queue.depth().waiting == 3


def test_claims_are_exclusive_and_finished_only_by_their_owner(store: Store) -> None:
    clock = Clock()
    queue = UpdateQueue(store.db, clock=clock)
    queue.enqueue_many([(n, update(n)) for n in range(1, 6)])
    first = queue.claim("a", 3, lease=10)
    assert [c.update_id for c in first] == [1, 2, 3] and all(c.attempts == 1 for c in first)
    assert [c.update_id for c in queue.claim("b", 10, lease=10)] == [4, 5]
    assert queue.claim("c", 10, lease=10) == []  # everything is claimed and the leases run
    assert queue.finish(1, "b") is False and queue.finish(1, "a") is True
    assert queue.finish(1, "a") is False  # done once
    assert queue.states() == {"done": 1, "claimed": 4}


def test_an_update_whose_instance_died_is_taken_over_when_its_lease_runs_out(store: Store) -> None:
    clock = Clock()
    queue = UpdateQueue(store.db, clock=clock)
    queue.enqueue(7, update(7))
    queue.claim("dead", 5, lease=15)
    clock.now += 10
    assert queue.renew("alive", [7], 15) == set()  # someone else's lease
    assert queue.claim("alive", 5, lease=15) == []
    clock.now += 6  # the dead instance's lease ran out
    [taken] = queue.claim("alive", 5, lease=15)
    assert (taken.update_id, taken.attempts) == (7, 2)
    assert queue.renew("dead", [7], 15) == set() and queue.renew("alive", [7], 15) == {7}
    assert queue.finish(7, "dead") is False and queue.finish(7, "alive") is True


def test_renewed_leases_are_not_taken_over(store: Store) -> None:
    clock = Clock()
    queue = UpdateQueue(store.db, clock=clock)
    queue.enqueue(8, update(8))
    queue.claim("slow", 5, lease=15)
    for _ in range(5):  # a slow answer, renewed every 5 s, outlives its first lease
        clock.now += 5
        assert queue.renew("slow", [8], 15) == {8}
        assert queue.claim("other", 5, lease=15) == []


def test_an_update_that_kills_every_instance_is_set_aside(store: Store) -> None:
    clock = Clock()
    queue = UpdateQueue(store.db, clock=clock)
    queue.enqueue(9, update(9))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        [claimed] = queue.claim(f"instance{attempt}", 1, lease=1)
        assert claimed.attempts == attempt
        clock.now += 2  # ... and the instance died
    assert queue.claim("next", 1, lease=1) == []
    assert queue.states() == {"failed": 1}


def test_a_clean_stop_hands_back_what_it_had_not_started(store: Store) -> None:
    queue = UpdateQueue(store.db)
    queue.enqueue(3, update(3))
    queue.claim("stopping", 1, lease=60)
    assert queue.release(3, "stopping") is True
    [again] = queue.claim("other", 1, lease=60)
    assert again.attempts == 1


def test_a_restarted_single_instance_takes_its_claims_back_at_once(tmp_path: Path) -> None:
    queue = UpdateQueue(Store(tmp_path / "bot.sqlite3", salt="s").db)
    queue.enqueue_many([(1, update(1)), (2, update(2))])
    queue.claim("before-restart", 5, lease=15)
    assert queue.requeue_claimed() == 2
    assert [c.attempts for c in queue.claim("after-restart", 5, lease=15)] == [2, 2]  # counted: a poison update still ends


def test_replies_are_recorded_and_not_sent_again_after_a_takeover(store: Store) -> None:
    clock = Clock()
    queue = UpdateQueue(store.db, clock=clock)
    queue.enqueue(20, update(20))
    queue.claim("dead", 1, lease=15)
    assert queue.before_send(20, 1, "dead", 15) is None  # go ahead
    queue.record_sent(20, 1, json.dumps({"message_id": 5001, "text": "第一部分"}))
    clock.now += 16
    queue.claim("alive", 1, lease=15)
    with pytest.raises(ClaimLost):
        queue.before_send(20, 2, "dead", 15)  # the dead instance, had it woken, sends nothing more
    assert json.loads(queue.before_send(20, 1, "alive", 15))["message_id"] == 5001  # already sent: skipped
    assert queue.before_send(20, 2, "alive", 15) is None  # the rest is sent by the new owner
    queue.record_sent(20, 2, "true")
    queue.record_sent(20, 2, "true")  # recording twice changes nothing
    assert queue.replies(20) == 2


def test_answered_updates_are_forgotten_after_two_days(tmp_path: Path) -> None:
    clock = Clock()
    store = Store(tmp_path / "bot.sqlite3", salt="s", clock=clock)
    queue = UpdateQueue(store.db, clock=clock)
    queue.enqueue_many([(1, update(1)), (2, update(2))])
    queue.claim("a", 2, lease=15)
    queue.finish(1, "a")
    queue.record_sent(1, 1, "true")
    clock.now += QUEUE_KEEP + 1
    store.purge()
    assert queue.states() == {"claimed": 1} and queue.replies(1) == 0
    assert queue.enqueue(1, update(1)) is True  # long gone: Telegram no longer redelivers it


def test_concurrent_claimers_on_postgresql_never_share_an_update(postgres_url: str) -> None:
    Store(postgres_url, salt="s").close()  # migrations
    databases = [PostgresDatabase(postgres_url, max_size=2) for _ in range(4)]
    try:
        UpdateQueue(databases[0]).enqueue_many([(n, update(n)) for n in range(1, 401)])

        def drain(n: int) -> list[int]:
            queue, got = UpdateQueue(databases[n]), []
            while batch := queue.claim(f"instance{n}", 7, lease=60):
                got += [c.update_id for c in batch]
            return got

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            claims = list(pool.map(drain, range(4)))
        everything = [u for got in claims for u in got]
        assert sorted(everything) == list(range(1, 401))  # each exactly once
        assert sum(1 for got in claims if got) >= 2  # they really competed
    finally:
        for db in databases:
            db.close()
