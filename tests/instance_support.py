"""One bot instance in webhook mode on the durable queue, in this process: the real
Application, its limiter (shared budget, replies recorded), the queue worker and the HTTP
listener, over a store given by location (a SQLite file or a PostgreSQL URL).

    async with webhook_instance(config, service, api, location) as one:
        status = await one.post(update_dict)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from telegram.ext import Application

from bot.config import Config
from bot.storage.budget import SharedBudget
from bot.storage.queue import UpdateQueue
from bot.storage.store import Store
from bot.telegram.app import build_application, use_queue
from bot.telegram.limiter import SLOT_RATE
from bot.telegram.queue_worker import QueueWorker
from bot.telegram.webhook import Listener, watch
from tests.fake_bot_api import TOKEN, FakeBotApi
from tests.pg_server import free_port

SECRET = "instance-test-secret"
HOOK = "/tg/hook"


@dataclass
class Instance:
    app: Application
    store: Store
    queue: UpdateQueue
    worker: QueueWorker
    listener: Listener
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def post(self, update: dict, secret: str = SECRET) -> int:
        async with aiohttp.ClientSession() as session:
            headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
            async with session.post(self.url + HOOK, data=json.dumps(update), headers=headers) as response:
                return response.status

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.url + path) as response:
            return response.status, await response.text()


@asynccontextmanager
async def webhook_instance(config: Config, service: object, api: FakeBotApi, location: str | Path, *, lease: float = 15.0, owner: str | None = None) -> AsyncIterator[Instance]:
    store = Store(location, salt="test-salt")
    queue = UpdateQueue(store.db)
    budget = SharedBudget(store.db, SLOT_RATE) if store.kind == "postgres" else None
    app = build_application(config, TOKEN, base_url=api.base_url, service=service, store=store, journal=queue, budget=budget)
    worker = QueueWorker(app, queue, lease=lease, owner=owner)
    use_queue(app, worker)
    watch(queue)
    listener = Listener(app, path=HOOK, secret=SECRET, queue=queue, worker=worker)
    port = free_port()
    await app.initialize()
    await app.post_init(app)
    await app.start()
    listener.start("127.0.0.1", port)
    await worker.start()
    try:
        yield Instance(app, store, queue, worker, listener, port)
    finally:
        await listener.stop()
        await worker.stop()
        await app.stop()
        await worker.close()
        await app.shutdown()
        await app.post_shutdown(app)
