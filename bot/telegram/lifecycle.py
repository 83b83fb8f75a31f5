"""Running the application until SIGINT/SIGTERM, the same way in every mode: initialise,
`post_init`, start, `begin` (the poller, the listener, the queue worker), wait for a signal
or for a fatal error in the task `watch` returns, then `before_stop` (stop taking updates
in), `Application.stop` (answers everything already taken in), `after_stop`, shut down.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import Application

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[None]]


async def nothing() -> None:
    return None


async def serve(app: Application, *, begin: Step, before_stop: Step, after_stop: Step = nothing, watch: Callable[[], asyncio.Task[Any] | None] = lambda: None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        try:
            await begin()
            stopping = asyncio.create_task(stop.wait())
            fatal = watch()
            await asyncio.wait({stopping, *([fatal] if fatal else [])}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if fatal is not None and fatal.done():
                fatal.result()  # a fatal error (e.g. the token was revoked)
        finally:
            log.info("stopping: answering the updates already taken in")
            await before_stop()
            await app.stop()
            await after_stop()
            if app.post_stop:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
