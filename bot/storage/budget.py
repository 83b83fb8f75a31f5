"""One send budget for the whole bot, shared by every instance through PostgreSQL.

Telegram allows a bot about 30 messages a second in all, whichever machine sends them.
Each message takes the next free slot from one row: slots are 1/rate seconds apart on
the database's clock, so no second ever holds more than `rate` messages from all the
instances together, and an instance does not need its own clock to agree. A 429
(Too Many Requests) anywhere pauses every instance: the next slot is after the pause,
and the slots after it are spaced again, so no burst follows the pause.

Each instance asks for one slot at a time (`bot.telegram.limiter`), so a pause reaches
at most one message per instance that had its slot already.
"""

from __future__ import annotations

from bot.storage.db import Database

_RESERVE = (
    "UPDATE send_budget SET next_slot = GREATEST(next_slot, paused_until, EXTRACT(EPOCH FROM clock_timestamp())) + ?"
    " WHERE name = 'telegram'"
    " RETURNING next_slot - ?, EXTRACT(EPOCH FROM clock_timestamp())"
)
_PAUSE = (
    "UPDATE send_budget SET paused_until = GREATEST(paused_until, EXTRACT(EPOCH FROM clock_timestamp()) + ?)"
    " WHERE name = 'telegram'"
)


class SharedBudget:
    """`reserve()` → seconds to wait before sending; `pause(seconds)` after a 429. Both raise
    DatabaseError when PostgreSQL cannot be reached (the limiter then paces locally)."""

    def __init__(self, db: Database, per_second: float) -> None:
        if db.kind != "postgres":
            raise ValueError("the shared send budget needs PostgreSQL")
        self.db = db
        self.interval = 1.0 / per_second

    def reserve(self) -> float:
        slot, now = self.reserve_slot()
        return max(0.0, slot - now)

    def reserve_slot(self) -> tuple[float, float]:
        """(our slot, the database's now), both on the database's clock."""
        with self.db.transaction() as cur:
            slot, now = cur.execute(_RESERVE, (self.interval, self.interval)).fetchone()
        return float(slot), float(now)

    def pause(self, seconds: float) -> None:
        with self.db.transaction() as cur:
            cur.execute(_PAUSE, (float(seconds),))
