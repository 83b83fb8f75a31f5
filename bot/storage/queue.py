"""The durable update queue and the record of replies sent (SQLite or PostgreSQL).

An update is committed here before the webhook answers Telegram (or, when polling with
PostgreSQL, before the leader acknowledges it), keyed by its update_id, so Telegram's
retries and a new leader's first poll add nothing twice. Workers of any instance claim
queued updates with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL: two instances never
claim the same row); a worker renews the leases of what it is working on, so an update
whose instance died is claimed again once its lease runs out. Each message sent while
answering an update is recorded (update_id, seq) with Telegram's reply, and the lease is
checked before every send: an update taken over after a crash skips the messages already
sent, and an instance that lost its claim sends nothing more. An update whose handling
killed its instance `MAX_ATTEMPTS` times is set aside as failed instead of being retried
for ever.

Times are the instances' clocks (seconds since the epoch): keep them synchronised (NTP);
leases are many seconds long, so small differences do not matter.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.storage.db import Database

MAX_ATTEMPTS = 5

_ENQUEUE = "INSERT INTO updates (update_id, payload, received, state) VALUES (?, ?, ?, 'queued') ON CONFLICT (update_id) DO NOTHING"
_CLAIM_PG = (
    "UPDATE updates SET state = 'claimed', owner = ?, lease_until = ?, attempts = attempts + 1"
    " WHERE update_id IN (SELECT update_id FROM updates"
    " WHERE state = 'queued' OR (state = 'claimed' AND lease_until < ?)"
    " ORDER BY update_id LIMIT ? FOR UPDATE SKIP LOCKED)"
    " RETURNING update_id, payload, attempts, received"
)
_CLAIM_SQLITE = (  # one writer at a time already (BEGIN IMMEDIATE), one instance
    "UPDATE updates SET state = 'claimed', owner = ?, lease_until = ?, attempts = attempts + 1"
    " WHERE update_id IN (SELECT update_id FROM updates"
    " WHERE state = 'queued' OR (state = 'claimed' AND lease_until < ?)"
    " ORDER BY update_id LIMIT ?)"
    " RETURNING update_id, payload, attempts, received"
)
_GIVE_UP = "UPDATE updates SET state = 'failed', finished = ? WHERE state = 'claimed' AND lease_until < ? AND attempts >= ?"
_RENEW = "UPDATE updates SET lease_until = ? WHERE update_id = ? AND owner = ? AND state = 'claimed'"
_FINISH = "UPDATE updates SET state = 'done', finished = ?, lease_until = NULL WHERE update_id = ? AND owner = ? AND state = 'claimed'"
_RELEASE = "UPDATE updates SET state = 'queued', owner = NULL, lease_until = NULL, attempts = attempts - 1 WHERE update_id = ? AND owner = ? AND state = 'claimed'"
_REQUEUE = "UPDATE updates SET state = 'queued', owner = NULL, lease_until = NULL WHERE state = 'claimed'"
_DEPTH = "SELECT COUNT(*), MIN(received) FROM updates WHERE state IN ('queued', 'claimed')"
_STATES = "SELECT state, COUNT(*) FROM updates GROUP BY state"
_SENT = "SELECT result FROM update_replies WHERE update_id = ? AND seq = ?"
_RECORD = "INSERT INTO update_replies (update_id, seq, sent, result) VALUES (?, ?, ?, ?) ON CONFLICT (update_id, seq) DO NOTHING"
_REPLIES = "SELECT COUNT(*) FROM update_replies WHERE update_id = ?"


@dataclass(frozen=True)
class Claimed:
    update_id: int
    payload: str  # the update's JSON, as Telegram sent it
    attempts: int  # 1 the first time; more after a takeover
    received: float


@dataclass(frozen=True)
class Depth:
    waiting: int  # queued or being answered
    oldest: float | None  # when the oldest of them arrived


class ClaimLost(Exception):
    """Another instance has taken this update over (our lease ran out): send nothing more."""


class UpdateQueue:
    """Every method raises DatabaseError when the database cannot be reached."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def enqueue(self, update_id: int, payload: str) -> bool:
        """Commit one update; False when it was already queued (a retry or a redelivery)."""
        return self.enqueue_many([(update_id, payload)]) == 1

    def enqueue_many(self, updates: Iterable[tuple[int, str]]) -> int:
        """Commit a batch in one transaction; how many were new."""
        now, added = self.clock(), 0
        with self.db.transaction(immediate=True) as cur:
            for update_id, payload in updates:
                added += cur.execute(_ENQUEUE, (int(update_id), payload, now)).rowcount
        return added

    def claim(self, owner: str, limit: int, lease: float) -> list[Claimed]:
        """Up to `limit` queued updates (or ones whose lease ran out), now ours for `lease` seconds."""
        if limit <= 0:
            return []
        now = self.clock()
        with self.db.transaction(immediate=True) as cur:
            cur.execute(_GIVE_UP, (now, now, MAX_ATTEMPTS))
            rows = cur.execute(_CLAIM_PG if self.db.kind == "postgres" else _CLAIM_SQLITE, (owner, now + lease, now, limit)).fetchall()
        return sorted((Claimed(int(r[0]), r[1], int(r[2]), float(r[3])) for r in rows), key=lambda c: c.update_id)

    def renew(self, owner: str, update_ids: Sequence[int], lease: float) -> set[int]:
        """Extend our leases; the ids we still hold (the others were taken over)."""
        held: set[int] = set()
        until = self.clock() + lease
        with self.db.transaction(immediate=True) as cur:
            for update_id in update_ids:
                if cur.execute(_RENEW, (until, update_id, owner)).rowcount:
                    held.add(update_id)
        return held

    def finish(self, update_id: int, owner: str) -> bool:
        """Mark an update answered (only if we still hold it)."""
        with self.db.transaction() as cur:
            return cur.execute(_FINISH, (self.clock(), update_id, owner)).rowcount == 1

    def release(self, update_id: int, owner: str) -> bool:
        """Hand a claimed update back untouched (a clean stop before it was started)."""
        with self.db.transaction() as cur:
            return cur.execute(_RELEASE, (update_id, owner)).rowcount == 1

    def requeue_claimed(self) -> int:
        """Hand back every claim at once: for the single instance of a SQLite store, whose
        claims can only be its own from before a restart (no need to wait for their leases)."""
        with self.db.transaction(immediate=True) as cur:
            return cur.execute(_REQUEUE).rowcount

    def depth(self) -> Depth:
        with self.db.transaction() as cur:
            count, oldest = cur.execute(_DEPTH).fetchone()
        return Depth(int(count), float(oldest) if oldest is not None else None)

    def states(self) -> dict[str, int]:
        with self.db.transaction() as cur:
            return {state: int(n) for state, n in cur.execute(_STATES).fetchall()}

    # -- replies -----------------------------------------------------------------------

    def before_send(self, update_id: int, seq: int, owner: str, lease: float) -> str | None:
        """Before the `seq`-th message of an update: Telegram's recorded reply when it was
        already sent (by us or by a dead instance); None to go ahead (our lease renewed).
        Raises ClaimLost when another instance holds the update now."""
        with self.db.transaction(immediate=True) as cur:
            row = cur.execute(_SENT, (update_id, seq)).fetchone()
            if row is not None:
                return row[0]
            if not cur.execute(_RENEW, (self.clock() + lease, update_id, owner)).rowcount:
                raise ClaimLost(f"update {update_id} was taken over by another instance")
        return None

    def record_sent(self, update_id: int, seq: int, result: str) -> None:
        """Telegram's reply to the `seq`-th message of an update, once it was sent."""
        with self.db.transaction() as cur:
            cur.execute(_RECORD, (update_id, seq, self.clock(), result))

    def replies(self, update_id: int) -> int:
        with self.db.transaction() as cur:
            return int(cur.execute(_REPLIES, (update_id,)).fetchone()[0])
