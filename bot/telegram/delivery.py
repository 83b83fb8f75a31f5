"""Getting updates in reliably (replies go out through `bot.telegram.limiter`).

* `Deliveries` + `AckingProcessor` + `Poller`: long polling that acknowledges an update
  to Telegram (the getUpdates `offset`) only once it has been handled, so updates that
  were fetched but not yet answered when the bot stopped or crashed are delivered again
  after a restart. PTB's own Updater acknowledges an update on the next poll, before it
  is answered.
* `serve_polling`: `Application.run_polling` with that poller (signals, start-up, a
  clean stop that answers everything already fetched).
* `AckingProcessor` also serves the durable queue (`bot.telegram.queue_worker`): it marks
  the update being handled (`IN_FLIGHT`) so its replies are sent once.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Update
from telegram.error import Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, SimpleUpdateProcessor

from bot.telegram.limiter import IN_FLIGHT, MESSAGES_PER_SECOND, InFlight, Limiter  # noqa: F401 - Limiter re-exported

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds a getUpdates long poll waits for new updates
BUSY_POLL = 0.25  # seconds between polls while fetched updates are still being answered
STUCK_AFTER = 600.0  # an update unanswered this long no longer holds back the offset
POLL_LIMIT = 100  # getUpdates' maximum; also bounds the updates fetched but not yet answered


class Deliveries:
    """Updates fetched from Telegram and not yet handled. The getUpdates offset never
    passes the oldest of them, so Telegram keeps them until they are answered."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, stuck_after: float = STUCK_AFTER) -> None:
        self.clock = clock
        self.stuck_after = stuck_after
        self._open: dict[int, float] = {}  # update id -> when it was fetched
        self._highest = 0  # the highest update id handed to the application
        self.changed = asyncio.Event()

    def take(self, update_id: int) -> bool:
        """True for an update not seen before (it is now open); False for a redelivery."""
        if update_id <= self._highest:
            return False
        self._highest = update_id
        self._open[update_id] = self.clock()
        return True

    def finish(self, update_id: int) -> None:
        if self._open.pop(update_id, None) is not None:
            self.changed.set()

    def in_flight(self, update: Update) -> InFlight | None:
        return None  # polled updates are acknowledged once answered; nothing to record per reply

    @property
    def open(self) -> int:
        return len(self._open)

    def offset(self) -> int:
        """The getUpdates offset: the oldest open update, else one past the highest seen."""
        now = self.clock()
        for update_id, fetched in sorted(self._open.items()):
            if now - fetched < self.stuck_after:
                return update_id
            log.error("update %s has not been handled after %.0f s; no longer holding it for redelivery", update_id, now - fetched)
            self._open.pop(update_id)
        return self._highest + 1 if self._highest else 0


class AckingProcessor(SimpleUpdateProcessor):
    """Handles updates concurrently and tells its deliveries (`Deliveries` when polling,
    the `QueueWorker` with the durable queue) when each one is done (handlers and error
    handler both finished)."""

    def __init__(self, max_concurrent_updates: int, deliveries: Any) -> None:
        super().__init__(max_concurrent_updates)
        self.deliveries = deliveries

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        flight = self.deliveries.in_flight(update) if isinstance(update, Update) else None
        token = IN_FLIGHT.set(flight)
        try:
            await coroutine
        finally:
            IN_FLIGHT.reset(token)
            if flight is not None:
                flight.done = True  # background tasks it started (a /reindex) send unrecorded
            if isinstance(update, Update):
                done = self.deliveries.finish(update.update_id)
                if inspect.isawaitable(done):
                    await done


class Poller:
    """Long polling that acknowledges only handled updates (see `Deliveries`)."""

    def __init__(self, app: Application, deliveries: Deliveries, *, timeout: int = POLL_TIMEOUT, allowed_updates: Sequence[str] | None = None) -> None:
        self.app = app
        self.deliveries = deliveries
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else Update.ALL_TYPES
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        """Remove any webhook (keeping pending updates) and start polling in the background."""
        await self.app.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._run(), name="Poller")

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    async def stop(self) -> None:
        """Stop fetching (a long poll in progress is abandoned: nothing it returns is acknowledged)."""
        task, self._task = self._task, None
        self._stopping = True
        while task is not None and not task.done():
            # Repeated: the HTTP stack (httpx/anyio) may absorb a cancellation that lands
            # while a request is being set up; the loop also checks `_stopping`.
            task.cancel()
            await asyncio.wait({task}, timeout=0.1)
        if task is not None and not task.cancelled() and task.exception() is not None:
            log.debug("the poller had stopped with %r", task.exception())

    async def acknowledge(self) -> None:
        """Tell Telegram that every handled update is done (call after Application.stop)."""
        try:
            await self.app.bot.get_updates(offset=self.deliveries.offset(), timeout=0, limit=1, allowed_updates=self.allowed_updates)
        except TelegramError as exc:
            log.warning("could not acknowledge the handled updates (%s); some may be answered again after a restart", exc)

    async def _run(self) -> None:
        delay = 0.0
        while not self._stopping:
            busy = self.deliveries.open > 0
            try:
                updates = await self.app.bot.get_updates(
                    offset=self.deliveries.offset(), limit=POLL_LIMIT, timeout=0 if busy else self.timeout, allowed_updates=self.allowed_updates
                )
            except (InvalidToken, Forbidden):
                raise
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (NetworkError, Conflict) as exc:  # includes timeouts and 5xx
                delay = min(30.0, max(0.5, delay * 2))
                log.warning("getUpdates failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            except TelegramError as exc:
                delay = min(30.0, max(0.5, delay * 2))
                log.error("getUpdates failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            delay = 0.0
            fresh = [u for u in updates if self.deliveries.take(u.update_id)]
            for update in fresh:
                self.app.update_queue.put_nowait(update)
            if not fresh and self.deliveries.open:
                self.deliveries.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.deliveries.changed.wait(), BUSY_POLL)


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


async def serve_polling(app: Application, deliveries: Deliveries, *, allowed_updates: Sequence[str] | None = None) -> None:
    """Run the bot with `Poller` until SIGINT/SIGTERM; on stop, answer what was fetched first."""
    from bot.telegram.lifecycle import serve

    poller = Poller(app, deliveries, allowed_updates=allowed_updates)
    await serve(app, begin=poller.start, watch=lambda: poller.task, before_stop=poller.stop, after_stop=poller.acknowledge)
