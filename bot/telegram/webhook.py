"""The bot's HTTP listener and the two ways of running on the durable queue.

The listener (tornado, as python-telegram-bot's own webhook server) serves:
* `POST <path of [telegram.webhook] url>`: Telegram's update. The secret header is checked
  (403), then the update is committed to the queue, and only then is 200 returned, so a
  crash after that loses nothing and Telegram's retries of it (same update_id) add nothing.
  If the database cannot take it, the update is answered directly by this instance (a
  crash could then lose it) rather than not at all; that is logged.
* `GET /healthz`: the process is alive (200).
* `GET /readyz`: 200 when the index is loaded and the database answers, else 503 with why.
* `GET /metrics`: Prometheus metrics (bot.metrics).

`serve_webhook` and `serve_queue_polling` run the application with the queue worker (and,
when polling, the leader poller) until SIGINT/SIGTERM; a clean stop answers what this
instance has claimed before it exits.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot import metrics
from bot.errors import StorageError
from bot.storage.queue import UpdateQueue
from bot.telegram.lifecycle import nothing, serve
from bot.telegram.queue_worker import LeaderPoller, QueueWorker
from bot.telegram.state import BotState

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # Telegram's updates are far smaller


class _Base(tornado.web.RequestHandler):
    def initialize(self, listener: Listener) -> None:
        self.listener = listener

    def _reply(self, status: int, text: str = "", content_type: str = "text/plain; charset=utf-8") -> None:
        self.set_status(status)
        self.set_header("Content-Type", content_type)
        self.finish(text)


class _Hook(_Base):
    async def post(self) -> None:
        expected = self.listener.secret
        given = self.request.headers.get(SECRET_HEADER, "")
        if expected is not None and not hmac.compare_digest(given.encode(), expected.encode()):
            log.info("webhook request without the right secret token refused")
            self._reply(403, "forbidden")
            return
        try:
            data = json.loads(self.request.body)
            update_id = int(data["update_id"]) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update_id = None
        if update_id is None:
            self._reply(400, "not a Telegram update")
            return
        await self.listener.accept(update_id, data, self.request.body.decode("utf-8", errors="replace"))
        self._reply(200, "ok")


class _Healthz(_Base):
    def get(self) -> None:
        self._reply(200, "ok\n")


class _Readyz(_Base):
    async def get(self) -> None:
        ready, detail = await self.listener.readiness()
        self._reply(200 if ready else 503, json.dumps(detail, ensure_ascii=False) + "\n", "application/json")


class _Metrics(_Base):
    def get(self) -> None:
        body, content_type = metrics.exposition()
        self.set_header("Content-Type", content_type)
        self.finish(body)


class Listener:
    """The HTTP side of one instance (see the module docstring)."""

    def __init__(self, app: Application, *, path: str | None, secret: str | None, queue: UpdateQueue | None, worker: QueueWorker | None) -> None:
        self.app = app
        self.path = "/" + path.lstrip("/") if path is not None else None
        self.secret = secret
        self.queue = queue
        self.worker = worker
        self._server: tornado.httpserver.HTTPServer | None = None
        self.direct = 0  # updates answered without the queue (database away)

    async def accept(self, update_id: int, data: dict[str, Any], raw: str) -> None:
        """Commit the update to the queue (or, failing that, answer it here and now)."""
        if self.queue is not None:
            try:
                await asyncio.to_thread(self.queue.enqueue, update_id, raw)
                if self.worker is not None:
                    self.worker.wake.set()
                return
            except StorageError as exc:
                log.error("cannot queue update %s (%s); answering it directly (not crash-safe until the database is back)", update_id, exc)
        self.direct += 1
        self.app.update_queue.put_nowait(Update.de_json(data, self.app.bot))

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        state: BotState = self.app.bot_data
        detail: dict[str, str] = {}
        service = state.service
        pipeline = getattr(service, "pipeline", None)
        detail["index"] = getattr(getattr(pipeline, "index", None), "build_id", None) or ("loaded" if service is not None else "not loaded")
        ready = service is not None
        store = state.store
        try:
            if store is None:
                raise StorageError("the store is not open")
            await asyncio.to_thread(store.ping)
            detail["database"] = "ok"
        except StorageError as exc:
            ready = False
            detail["database"] = str(exc)
        return ready, detail

    def start(self, listen: str, port: int) -> None:
        routes: list[Any] = [(r"/healthz", _Healthz, {"listener": self}), (r"/readyz", _Readyz, {"listener": self}), (r"/metrics", _Metrics, {"listener": self})]
        if self.path is not None:
            routes.append((re.escape(self.path), _Hook, {"listener": self}))
        application = tornado.web.Application(routes, log_function=lambda handler: None)
        self._server = tornado.httpserver.HTTPServer(application, max_body_size=MAX_BODY, xheaders=True)
        self._server.listen(port, address=listen)
        log.info("listening on %s:%d (%s/healthz, /readyz, /metrics)", listen, port, f"{self.path}, " if self.path else "")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None


async def _serve(app: Application, worker: QueueWorker | None, listener: Listener | None, listen: tuple[str, int] | None, begin: Callable[[], Awaitable[None]], watch: Callable[[], asyncio.Task[Any] | None], end: Callable[[], Awaitable[None]]) -> None:
    """The listener, `begin` (polling or registering the webhook) and the worker, run until a signal."""

    async def start() -> None:
        if listener is not None and listen is not None:
            listener.start(*listen)
        await begin()
        if worker is not None:
            await worker.start()

    async def stop_taking() -> None:
        if listener is not None:
            await listener.stop()
        await end()
        if worker is not None:
            await worker.stop()  # what it claimed is answered by Application.stop, leases renewed meanwhile

    async def stop_renewing() -> None:
        if worker is not None:
            await worker.close()

    await serve(app, begin=start, watch=watch, before_stop=stop_taking, after_stop=stop_renewing)


async def serve_webhook(app: Application, *, listen: str, port: int, url: str, path: str, secret: str | None, queue: UpdateQueue | None, worker: QueueWorker | None) -> None:
    """Webhook mode: Telegram → listener → queue → workers (this and every other instance)."""
    listener = Listener(app, path=path, secret=secret, queue=queue, worker=worker)

    async def register() -> None:
        # Every instance registers the same URL: idempotent. Nothing is dropped or deleted on stop.
        await app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)

    await _serve(app, worker, listener, (listen, port), register, lambda: None, nothing)


async def serve_queue_polling(app: Application, *, queue: UpdateQueue, worker: QueueWorker, health: tuple[str, int] | None = None) -> None:
    """Polling with PostgreSQL: the leader polls into the queue; every instance answers from it."""
    poller = LeaderPoller.for_database(app, queue, worker)
    listener = Listener(app, path=None, secret=None, queue=None, worker=None) if health else None
    await _serve(app, worker, listener, health, poller.start, lambda: poller.task, poller.stop)


async def serve_health(app: Application, listen: str, port: int) -> Listener:
    """Polling mode (SQLite): /healthz, /readyz and /metrics on their own port."""
    listener = Listener(app, path=None, secret=None, queue=None, worker=None)
    listener.start(listen, port)
    return listener


def queue_depth(queue: UpdateQueue) -> Callable[[], tuple[int, float | None]]:
    def depth() -> tuple[int, float | None]:
        d = queue.depth()
        return d.waiting, d.oldest

    return depth


def watch(queue: UpdateQueue) -> None:
    metrics.watch_queue(queue_depth(queue), time.time)
