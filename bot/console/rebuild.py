"""Rebuild: start a rebuild (`Service.rebuild`, the same as /reindex), watch its progress
live (server-sent events), the builds on disk, and a rollback to the previous build
(`Service.rollback`). `[index] keep_previous` decides how many earlier builds exist."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from bot.console.auth import console_of, requires
from bot.errors import UsageError
from bot.index.store import list_builds, previous_build
from bot.roles import Role

POLL = 0.5  # seconds between progress checks while streaming
MESSAGES = {
    "started": "重建已开始,旧索引在完成前继续服务。",
    "busy": "已有一个重建任务正在进行。",
}


def _context(request: Request) -> dict:
    console = console_of(request)
    index_dir = console.config.index.dir
    return {
        "state": console.rebuilds.state,
        "builds": list_builds(index_dir),
        "previous": previous_build(index_dir),
        "serving": console.service.pipeline.index.build_id,
        "embedder": console.service.embedder.model_id,
        "keep_previous": console.config.index.keep_previous,
        "message": MESSAGES.get(request.query_params.get("msg", "")),
        "rolled_back": request.query_params.get("to", ""),
    }


@requires(Role.ADMIN)
def show(request: Request) -> Response:
    """GET /rebuild."""
    return console_of(request).page(request, "rebuild.html", _context(request))


@requires(Role.ADMIN)
def start(request: Request) -> Response:
    """POST /rebuild: start one in the background."""
    console = console_of(request)
    started = console.rebuilds.start(by=request.state.session.name)
    return RedirectResponse(f"/rebuild?msg={'started' if started else 'busy'}", status_code=303)


@requires(Role.ADMIN)
def rollback(request: Request) -> Response:
    """POST /rebuild/rollback: serve the previous build again."""
    console = console_of(request)
    if console.rebuilds.state.running:
        raise UsageError("a rebuild is running; roll back after it has finished.")
    build_id = console.service.rollback()
    return RedirectResponse(f"/rebuild?to={build_id}", status_code=303)


@requires(Role.ADMIN)
async def events(request: Request) -> Response:
    """GET /rebuild/events: `progress` events (an HTML fragment) until the rebuild ends."""
    console = console_of(request)
    template = console.templates.get_template("_rebuild_status.html")

    async def stream() -> AsyncIterator[str]:
        version = -1
        while not await request.is_disconnected():
            state = console.rebuilds.state
            if state.version != version:
                version = state.version
                fragment = template.render(state=state).replace("\n", " ")
                yield f"event: progress\ndata: {fragment}\n\n"
                if not state.running:
                    yield "event: finished\ndata: \n\n"
                    return
            await asyncio.sleep(POLL)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})
