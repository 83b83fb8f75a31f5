"""Getting updates in and replies out reliably.

* `Limiter`: python-telegram-bot's AIORateLimiter with a steady overall rate (never more
  than `MESSAGES_PER_SECOND` requests to chats in any second, queued, never dropped),
  the typing action skipped while that queue is busy or a group has used half its 20
  messages a minute (it is cosmetic and would take a reply's place), and replies retried
  after 5xx answers and timeouts (429 RetryAfter is retried by AIORateLimiter itself).
* `Deliveries` + `AckingProcessor` + `Poller`: long polling that acknowledges an update
  to Telegram (the getUpdates `offset`) only once it has been handled, so updates that
  were fetched but not yet answered when the bot stopped or crashed are delivered again
  after a restart. PTB's own Updater acknowledges an update on the next poll, before it
  is answered.
* `serve_polling`: `Application.run_polling` with that poller (signals, start-up, a
  clean stop that answers everything already fetched).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from telegram import Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, SimpleUpdateProcessor

log = logging.getLogger(__name__)

# Telegram allows about 30 messages a second in total. The limiter spaces requests to
# chats evenly at this rate, so no 1-second window holds more than this many (plus one).
MESSAGES_PER_SECOND = 28
COSMETIC = frozenset({"sendChatAction"})  # skipped rather than queued while the limiter is busy
NETWORK_RETRY_DELAYS = (0.5, 1.5, 3.0)  # after a 5xx or a timeout, for calls that deliver content
POLL_TIMEOUT = 10  # seconds a getUpdates long poll waits for new updates
BUSY_POLL = 0.25  # seconds between polls while fetched updates are still being answered
STUCK_AFTER = 600.0  # an update unanswered this long no longer holds back the offset
POLL_LIMIT = 100  # getUpdates' maximum; also bounds the updates fetched but not yet answered


def _delivers_content(endpoint: str) -> bool:
    return (endpoint.startswith(("send", "edit")) and endpoint not in COSMETIC) or endpoint == "copyMessage"


class Limiter(AIORateLimiter):
    """AIORateLimiter with an even overall rate, cosmetic calls skipped when busy, and retries
    of content deliveries after network errors (a timed-out reply may arrive twice; a lost
    one never arrives, so retrying is the better failure)."""

    def __init__(self, per_second: float = MESSAGES_PER_SECOND, *, max_retries: int = 3, network_retry_delays: Sequence[float] = NETWORK_RETRY_DELAYS) -> None:
        # A bucket of one that drains `per_second` times a second: requests are spaced
        # evenly instead of bursting 30 at once and 30 more as the bucket drains.
        super().__init__(overall_max_rate=1, overall_time_period=1 / per_second, max_retries=max_retries)
        self.network_retry_delays = tuple(network_retry_delays)
        self.skipped = 0  # cosmetic calls left out under load

    async def _run_request(
        self,
        chat: bool,
        group: str | int | bool,
        allow_paid_broadcast: bool,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """AIORateLimiter's, except that a request that got its turn while a 429 pause was
        on queues again behind the pause. (AIORateLimiter lets every request that got a
        turn during the pause go at once when it ends: a burst over Telegram's limit.)"""
        if allow_paid_broadcast or not (chat and self._base_limiter):
            return await super()._run_request(chat, group, allow_paid_broadcast, callback, args, kwargs)
        group_limit = self._get_group_limiter(group) if group and self._group_max_rate else contextlib.nullcontext()
        async with group_limit:
            while True:
                await self._retry_after_event.wait()
                await self._base_limiter.acquire()
                if self._retry_after_event.is_set():
                    return await callback(*args, **kwargs)

    def busy(self, chat_id: object = None) -> bool:
        """Are replies queuing (overall), or has this group used half its per-minute budget?"""
        if self._base_limiter is not None and not self._base_limiter.has_capacity():
            return True
        group = self._group_limiters.get(chat_id) if isinstance(chat_id, int) and chat_id < 0 else None
        return group is not None and not group.has_capacity(group.max_rate / 2)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint in COSMETIC and self.busy(_chat_id(data)):
            self.skipped += 1
            return True
        delays = self.network_retry_delays if _delivers_content(endpoint) else ()
        for attempt in range(len(delays) + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                if attempt == len(delays):
                    raise
                log.warning("%s failed (%s); retrying in %.1f s", endpoint, exc, delays[attempt])
                await asyncio.sleep(delays[attempt])
        raise AssertionError("unreachable")


def _chat_id(data: dict[str, Any]) -> object:
    try:
        return int(data.get("chat_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return data.get("chat_id")


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
    """Handles updates concurrently and tells `Deliveries` when each one is done
    (handlers and error handler both finished)."""

    def __init__(self, max_concurrent_updates: int, deliveries: Deliveries) -> None:
        super().__init__(max_concurrent_updates)
        self.deliveries = deliveries

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        finally:
            if isinstance(update, Update):
                self.deliveries.finish(update.update_id)


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
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    poller = Poller(app, deliveries, allowed_updates=allowed_updates)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        try:
            await poller.start()
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({poller.task, stopping}, return_when=asyncio.FIRST_COMPLETED)  # type: ignore[arg-type]
            stopping.cancel()
            if poller.task is not None and poller.task.done():
                poller.task.result()  # a fatal polling error (e.g. the token was revoked)
        finally:
            log.info("stopping: answering the updates already fetched")
            await poller.stop()
            await app.stop()
            await poller.acknowledge()
            if app.post_stop:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
