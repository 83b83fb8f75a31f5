"""Answering from the durable update queue (bot.storage.queue), on any number of instances.

* `QueueWorker` claims queued updates (at most `capacity` at a time), hands them to the
  application, renews their leases every lease/3 seconds while they are being answered
  (well under the lease, so a slow answer is never mistaken for a dead instance), and
  marks each one done when its handlers have returned. The update processor
  (`bot.telegram.delivery.AckingProcessor`) asks it for the `InFlight` record that the
  limiter uses to send each reply once.
* `LeaderPoller` (polling mode with PostgreSQL): the instance holding the advisory lock
  polls Telegram, commits the updates to the queue and only then acknowledges them; the
  others wait for the lock (taken over when the leader dies or loses its connection).
  Every instance's worker answers from the queue.

A database failure pauses claiming and polling (with a growing wait), never crashes the bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Sequence

from telegram import Update
from telegram.error import Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot import metrics
from bot.errors import StorageError
from bot.storage.locks import LEADER, SessionLock
from bot.storage.queue import UpdateQueue
from bot.telegram.limiter import InFlight, _seconds

log = logging.getLogger(__name__)

CLAIM_CAPACITY = 16  # updates one instance works on at once; the rest stay claimable by others
IDLE_POLL = 0.2  # seconds between looks at the queue when nothing woke the worker
LEADER_RETRY = 3.0  # seconds between attempts to become the polling leader
POLL_TIMEOUT = 10


def instance_name() -> str:
    """Who holds a claim: host, process and a random part (a restarted process is someone else)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class QueueWorker:
    def __init__(self, app: Application, queue: UpdateQueue, *, lease: float, owner: str | None = None, capacity: int = CLAIM_CAPACITY, idle_poll: float = IDLE_POLL) -> None:
        self.app = app
        self.queue = queue
        self.lease = lease
        self.owner = owner or instance_name()
        self.capacity = capacity
        self.idle_poll = idle_poll
        self.wake = asyncio.Event()
        self._held: dict[int, float] = {}  # update id -> when it was queued
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    # -- the update processor's side -----------------------------------------------------

    def in_flight(self, update: Update) -> InFlight | None:
        return InFlight(update.update_id, self.owner, self.lease) if update.update_id in self._held else None

    async def finish(self, update_id: int) -> None:
        received = self._held.pop(update_id, None)
        if received is None:
            return  # not from the queue (answered directly while the database was away)
        try:
            if not await asyncio.to_thread(self.queue.finish, update_id, self.owner):
                log.warning("update %s was taken over by another instance before it was finished here", update_id)
        except StorageError as exc:
            log.error("could not mark update %s answered (%s); another instance may take it over and skip what was sent", update_id, exc)
        metrics.UPDATE_SECONDS.observe(max(0.0, time.time() - received))
        self.wake.set()

    @property
    def open(self) -> int:
        return len(self._held)

    # -- running -------------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping = False
        if self.queue.db.kind == "sqlite":  # one instance: what is claimed was ours before a restart
            try:
                if count := await asyncio.to_thread(self.queue.requeue_claimed):
                    log.info("%d updates left unanswered before the restart are answered now", count)
            except StorageError as exc:
                log.error("cannot look at the update queue (%s)", exc)
        self._tasks = [asyncio.create_task(self._claim_loop(), name="queue-claims"), asyncio.create_task(self._heartbeat(), name="queue-leases")]

    async def stop(self) -> None:
        """Stop claiming; what was claimed is answered by Application.stop (leases renewed meanwhile)."""
        self._stopping = True
        self.wake.set()
        if self._tasks:
            self._tasks[0].cancel()
            await asyncio.gather(self._tasks[0], return_exceptions=True)

    async def close(self) -> None:
        """After Application.stop: stop renewing leases."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _claim_loop(self) -> None:
        delay = 0.0
        while not self._stopping:
            free = self.capacity - len(self._held)
            if free > 0:
                try:
                    claimed = await asyncio.to_thread(self.queue.claim, self.owner, free, self.lease)
                    delay = 0.0
                except StorageError as exc:
                    delay = min(10.0, max(0.5, delay * 2))
                    log.error("cannot claim queued updates (%s); retrying in %.1f s", exc, delay)
                    await asyncio.sleep(delay)
                    continue
                for item in claimed:
                    self._hand_over(item.update_id, item.payload, item.attempts, item.received)
                if claimed:
                    continue
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), self.idle_poll)
            except TimeoutError:
                pass

    def _hand_over(self, update_id: int, payload: str, attempts: int, received: float) -> None:
        try:
            update = Update.de_json(json.loads(payload), self.app.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.error("queued update %s is not a Telegram update (%s); setting it aside", update_id, exc)
            self._held[update_id] = received
            asyncio.create_task(self.finish(update_id))
            return
        if attempts > 1:
            metrics.UPDATES_TAKEN_OVER.inc()
            log.info("update %s: taken over after another instance stopped (attempt %d)", update_id, attempts)
        self._held[update_id] = received
        self.app.update_queue.put_nowait(update)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            ids = list(self._held)
            if not ids:
                continue
            try:
                kept = await asyncio.to_thread(self.queue.renew, self.owner, ids, self.lease)
            except StorageError as exc:
                log.error("cannot renew the leases of %d updates (%s)", len(ids), exc)
                continue
            lost = [i for i in ids if i not in kept and i in self._held]
            if lost:
                log.warning("updates %s were taken over by another instance; their remaining replies are left to it", lost[:10])


class LeaderPoller:
    """Polling with PostgreSQL: one instance (the advisory lock's holder) polls and queues."""

    def __init__(self, app: Application, queue: UpdateQueue, lock: SessionLock | None, worker: QueueWorker, *, allowed_updates: Sequence[str] | None = None, timeout: int = POLL_TIMEOUT) -> None:
        self.app = app
        self.queue = queue
        self.lock = lock
        self.worker = worker
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else Update.ALL_TYPES
        self.timeout = timeout
        self.leading = False
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def for_database(cls, app: Application, queue: UpdateQueue, worker: QueueWorker, **kwargs: object) -> LeaderPoller:
        lock = SessionLock(queue.db, LEADER) if queue.db.kind == "postgres" else None  # type: ignore[arg-type]
        return cls(app, queue, lock, worker, **kwargs)  # type: ignore[arg-type]

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="leader-poller")

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    async def stop(self) -> None:
        task, self._task = self._task, None
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.1)
        if self.lock is not None:
            await asyncio.to_thread(self.lock.release)
        self.leading = False

    async def _lead(self) -> bool:
        if self.lock is None:
            return True
        return await asyncio.to_thread(self.lock.held) or await asyncio.to_thread(self.lock.try_acquire)

    async def _run(self) -> None:
        delay = 0.0
        while True:
            if not await self._lead():
                if self.leading:
                    log.warning("no longer the polling leader (the database connection broke); another instance polls")
                self.leading = False
                self._offset = None
                await asyncio.sleep(LEADER_RETRY)
                continue
            if not self.leading:
                log.info("this instance is the polling leader")
                self.leading = True
                await self.app.bot.delete_webhook(drop_pending_updates=False)
            try:
                updates = await self.app.bot.get_updates(offset=self._offset, limit=100, timeout=self.timeout, allowed_updates=self.allowed_updates)
            except (InvalidToken, Forbidden):
                raise
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (NetworkError, Conflict, TelegramError) as exc:
                delay = min(30.0, max(0.5, delay * 2))
                log.warning("getUpdates failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            delay = 0.0
            if not updates:
                continue
            batch = [(u.update_id, json.dumps(u.to_dict(), ensure_ascii=False)) for u in updates]
            try:
                await asyncio.to_thread(self.queue.enqueue_many, batch)
            except StorageError as exc:  # not acknowledged: Telegram keeps them
                log.error("cannot queue %d updates (%s); they stay at Telegram until the database is back", len(batch), exc)
                await asyncio.sleep(2.0)
                continue
            self._offset = max(u.update_id for u in updates) + 1  # acknowledged with the next poll
            self.worker.wake.set()
