"""Sending replies: one send budget, retries, and each reply of a queued update sent once.

* Pacing. Every request to a chat takes the next slot of a send budget: `LocalBudget` in
  one process, or `SharedBudget` (bot.storage.budget) in PostgreSQL for all instances
  together. 28 slots span 1.1 s, so no second holds more than 28 messages; each
  instance asks for one slot at a time, so a 429 pause reaches at most one message per
  instance that already had its slot, and after a pause the slots are spaced again (no
  burst). Groups also get 20 messages a minute each.
* The typing action is skipped while replies are queuing or a group has used half its
  minute (it is cosmetic and would take a reply's place).
* Retries: after a 429 (RetryAfter: the whole budget pauses), and after 5xx answers and
  timeouts for requests that deliver content (a timed-out reply may arrive twice; a lost
  one never arrives, so retrying is the better failure). A 400 is not retried.
* Replies recorded. While a queued update is handled (`IN_FLIGHT`, set by the update
  processor), each message it sends is numbered; before sending, the queue is asked
  whether that message was already sent (by an instance that died mid-answer: Telegram's
  recorded reply is returned instead) and whether we still hold the update (if not,
  `ClaimLost` stops the handler). After sending, Telegram's reply is recorded.

A database failure on this path never stops a reply: pacing falls back to the local
budget and the reply goes out unrecorded (both logged).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot import metrics
from bot.errors import StorageError

log = logging.getLogger(__name__)

MESSAGES_PER_SECOND = 28  # Telegram allows about 30 a second in all; we never send more than this
# Slots are planned a little wider than 1/28 s: 28 slots then span 1.1 s, so timing jitter of
# up to 100 ms between senders (threads, instances on busy CPUs, the network) never puts 29
# messages in one second. A sender that wakes more than LATE_TOLERANCE after its slot takes a
# new one (at most MAX_RESLOTS times) rather than bunching up with the senders after it.
SLOT_RATE = MESSAGES_PER_SECOND / 1.1
LATE_TOLERANCE = 0.025
MAX_RESLOTS = 3
GROUP_PER_MINUTE = 20
COSMETIC = frozenset({"sendChatAction"})  # skipped rather than queued while the budget is busy
NETWORK_RETRY_DELAYS = (0.5, 1.5, 3.0)  # after a 5xx or a timeout, for calls that deliver content
JOURNALED_TOO = frozenset({"answerCallbackQuery", "answerInlineQuery"})

Result = bool | dict[str, Any] | list[dict[str, Any]]


@dataclass
class InFlight:
    """The queued update being handled in this task (PTB runs each update in one task)."""

    update_id: int
    owner: str
    lease: float
    seq: int = 0  # messages it has sent so far
    done: bool = False  # its handlers returned; later sends (background tasks) are not recorded


IN_FLIGHT: contextvars.ContextVar[InFlight | None] = contextvars.ContextVar("in_flight", default=None)


class Budget(Protocol):
    def reserve(self) -> float: ...  # seconds to wait for our slot
    def pause(self, seconds: float) -> None: ...


class Journal(Protocol):
    def before_send(self, update_id: int, seq: int, owner: str, lease: float) -> str | None: ...
    def record_sent(self, update_id: int, seq: int, result: str) -> None: ...


class LocalBudget:
    """Slots 1/rate apart on this process's clock."""

    def __init__(self, per_second: float = SLOT_RATE, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / per_second
        self.clock = clock
        self._next = 0.0
        self._paused_until = 0.0

    def reserve(self) -> float:
        now = self.clock()
        slot = max(self._next, self._paused_until, now)
        self._next = slot + self.interval
        return slot - now

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)


def _delivers_content(endpoint: str) -> bool:
    return (endpoint.startswith(("send", "edit")) and endpoint not in COSMETIC) or endpoint == "copyMessage"


def _chat_id(data: dict[str, Any]) -> object:
    try:
        return int(data.get("chat_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return data.get("chat_id")


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


class Limiter(BaseRateLimiter[int]):
    """python-telegram-bot's rate-limiter interface over a send budget (see the module)."""

    def __init__(
        self,
        per_second: float = SLOT_RATE,
        *,
        shared: Budget | None = None,
        journal: Journal | None = None,
        max_retries: int = 3,
        network_retry_delays: Sequence[float] = NETWORK_RETRY_DELAYS,
        group_per_minute: int = GROUP_PER_MINUTE,
    ) -> None:
        self.local = LocalBudget(per_second)
        self.shared = shared
        self.journal = journal
        self.max_retries = max_retries
        self.network_retry_delays = tuple(network_retry_delays)
        self.group_per_minute = group_per_minute
        self.skipped = 0  # cosmetic calls left out under load
        self.late = 0  # slots given up because this process woke too late for them
        self._groups: dict[object, AsyncLimiter] = {}
        self._turn = asyncio.Lock()  # one slot asked for at a time
        self._waiting = 0
        self._shared_failed = False

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def busy(self, chat_id: object = None) -> bool:
        """Are replies queuing for a slot, or has this group used half its minute?"""
        if self._waiting > 0:
            return True
        group = self._groups.get(chat_id) if isinstance(chat_id, int) and chat_id < 0 else None
        return group is not None and not group.has_capacity(group.max_rate / 2)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        chat_id = _chat_id(data)
        if endpoint in COSMETIC and self.busy(chat_id):
            self.skipped += 1
            return True
        flight = IN_FLIGHT.get()
        journaled = flight is not None and not flight.done and self.journal is not None and (_delivers_content(endpoint) or endpoint in JOURNALED_TOO)
        if journaled:
            assert flight is not None
            flight.seq += 1
            seq = flight.seq
            recorded = await self._before_send(flight, seq)
            if recorded is not None:
                log.info("update %s: message %d was already sent before a takeover; not sending it again", flight.update_id, seq)
                return json.loads(recorded)
        result = await self._deliver(callback, args, kwargs, endpoint, chat_id, rate_limit_args)
        if journaled:
            assert flight is not None
            await self._record(flight, seq, result)
        return result

    async def _deliver(self, callback: Callable[..., Coroutine[Any, Any, Result]], args: Any, kwargs: dict[str, Any], endpoint: str, chat_id: object, rate_limit_args: int | None) -> Result:
        max_retries = rate_limit_args or self.max_retries
        delays = self.network_retry_delays if _delivers_content(endpoint) else ()
        network_failures = 0
        too_many = 0
        while True:
            try:
                if chat_id is not None:
                    await self._wait_turn(chat_id)
                result = await callback(*args, **kwargs)
                if chat_id is not None:
                    metrics.MESSAGES_SENT.inc()
                return result
            except RetryAfter as exc:
                metrics.TELEGRAM_429.inc()
                too_many += 1
                seconds = _seconds(exc.retry_after) + 0.1
                log.info("%s: Telegram asked to wait %.1f s (429); every instance pauses", endpoint, seconds)
                await self._pause(seconds)  # the next slot of every sender is after the pause
                if too_many > max_retries:
                    log.error("%s: still 429 after %d retries; giving up on this message", endpoint, max_retries)
                    raise
            except BadRequest:
                raise
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                if network_failures == len(delays):
                    raise
                log.warning("%s failed (%s); retrying in %.1f s", endpoint, exc, delays[network_failures])
                await asyncio.sleep(delays[network_failures])
                network_failures += 1

    async def _wait_turn(self, chat_id: object) -> None:
        if isinstance(chat_id, int) and chat_id < 0 and self.group_per_minute:
            group = self._groups.get(chat_id)
            if group is None:
                group = self._groups[chat_id] = AsyncLimiter(self.group_per_minute, 60)
            await group.acquire()
        self._waiting += 1
        loop = asyncio.get_running_loop()
        try:
            async with self._turn:
                for _ in range(MAX_RESLOTS + 1):
                    asked = loop.time()
                    wait = await self._reserve()
                    # The slot is `wait` after the budget's "now", which lies between asking and
                    # the answer: counting from the asking is the safe side.
                    if wait > 0:
                        await asyncio.sleep(max(0.0, asked + wait - loop.time()))
                    if loop.time() - (asked + wait) <= LATE_TOLERANCE:
                        break
                    self.late += 1
        finally:
            self._waiting -= 1

    async def _reserve(self) -> float:
        if self.shared is not None:
            try:
                wait = await asyncio.to_thread(self.shared.reserve)
                self._shared_failed = False
                return wait
            except StorageError as exc:
                if not self._shared_failed:
                    log.error("the shared send budget is unreachable (%s); pacing this instance alone until it is back", exc)
                self._shared_failed = True
        return self.local.reserve()

    async def _pause(self, seconds: float) -> None:
        self.local.pause(seconds)
        if self.shared is not None:
            try:
                await asyncio.to_thread(self.shared.pause, seconds)
            except StorageError as exc:
                log.warning("could not share the 429 pause with the other instances: %s", exc)

    async def _before_send(self, flight: InFlight, seq: int) -> str | None:
        assert self.journal is not None
        try:
            return await asyncio.to_thread(self.journal.before_send, flight.update_id, seq, flight.owner, flight.lease)
        except StorageError as exc:
            log.warning("update %s: cannot check its sent replies (%s); sending anyway", flight.update_id, exc)
            return None

    async def _record(self, flight: InFlight, seq: int, result: Result) -> None:
        assert self.journal is not None
        try:
            await asyncio.to_thread(self.journal.record_sent, flight.update_id, seq, json.dumps(result, ensure_ascii=False))
        except (StorageError, TypeError, ValueError) as exc:
            log.warning("update %s: could not record a sent reply (%s)", flight.update_id, exc)
