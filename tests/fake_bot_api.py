"""A fake Telegram Bot API server on loopback, for running the real PTB Application in tests.

Start it, point PTB at it (`base_url=api.base_url`, or TELEGRAM_API_BASE_URL=api.root for
`python -m bot run`), feed updates with `push_*`, and assert on `calls` (every request,
decoded) or `chat_log` (the current text of every message the bot sent or edited).

Fault injection for load and fault tests: `inject(method, status=429, retry_after=1)`,
`inject(method, status=502)`, `inject(method, status=200, delay=6)` (a slow response → client
timeout, while the call itself still succeeds, as with Telegram); each applies to the next
`times` calls of that method. `acknowledged` is the highest update id a getUpdates offset has
confirmed (Telegram forgets those). Files for getFile: `add_file(bytes)` → a document dict.

    api = FakeBotApi()
    await api.start()
    api.push_message("课后服务怎么收费?")
    call = await api.wait_for("sendMessage")
    await api.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTests-abcdefghijklmnopq"
BOT_ID = 123456789
BOT_USERNAME = "shuangjian_test_bot"
PARENT = {"id": 1001, "is_bot": False, "first_name": "王妈妈", "language_code": "zh-hans"}
# Parameters PTB sends JSON-encoded inside the form body.
_JSON_FIELDS = {"reply_markup", "results", "commands", "entities", "caption_entities", "reply_parameters", "link_preview_options", "allowed_updates", "scope", "button"}
_TEXT_FIELDS = {"text", "caption", "query", "description", "title"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "user_id", "max_connections"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    fault: int | None = None  # the status returned when a fault was injected

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons of the call's reply_markup, flattened."""
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class Fault:
    status: int = 500
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 1


class FakeBotApi:
    """The Bot API methods the bot uses, with recording, long polling and fault injection."""

    def __init__(self, token: str = TOKEN, *, bot_id: int = BOT_ID, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.bot = {"id": bot_id, "is_bot": True, "first_name": "双减问答助手", "username": username, "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.sent: dict[tuple[int, int], dict[str, Any]] = {}  # (chat id, message id) -> message
        self.webhook: dict[str, Any] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.files: dict[str, bytes] = {}  # file_id -> content, served under /file/bot<token>/
        self.acknowledged = 0  # every update id below the highest getUpdates offset seen
        self.delivered: list[int] = []  # update ids returned by getUpdates, in order (redeliveries too)
        self.poll_offsets: list[int] = []  # the offset of every getUpdates call, as it arrives
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(5000)
        self._changed: asyncio.Condition | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def root(self) -> str:
        """For TELEGRAM_API_BASE_URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For PTB's `base_url` (the token is appended)."""
        return f"{self.root}/bot"

    # -- feeding updates -------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue one update (its update_id is assigned here) and wake long polls."""
        update_id = next(self._ids)
        self.updates.append({"update_id": update_id, **update})
        for key in ("message", "edited_message"):
            if key in update:
                chat = update[key]["chat"]
                self.chats[chat["id"]] = chat
        self._notify()
        return update_id

    def message(self, text: str | None = None, *, user: dict[str, Any] | None = None, chat: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        """A Message dict; entities for a leading /command and @mentions are added for you."""
        user = user or PARENT
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": user, **extra}
        if text is not None:
            message["text"] = text
            entities = _entities(text)
            if entities:
                message["entities"] = entities
        if "caption" in extra and "caption_entities" not in extra:
            entities = _entities(extra["caption"])
            if entities:
                message["caption_entities"] = entities
        return message

    def push_message(self, text: str | None = None, **kwargs: Any) -> int:
        return self.push({"message": self.message(text, **kwargs)})

    def push_callback(self, data: str, message: dict[str, Any], *, user: dict[str, Any] | None = None) -> int:
        """A button press on `message` (a message the bot sent: see `last_sent`)."""
        return self.push({"callback_query": {"id": str(next(self._ids)), "from": user or PARENT, "chat_instance": "ci", "data": data, "message": message}})

    def push_inline(self, query: str, *, user: dict[str, Any] | None = None) -> int:
        return self.push({"inline_query": {"id": str(next(self._ids)), "from": user or PARENT, "query": query, "offset": ""}})

    # -- assertions --------------------------------------------------------------------------

    def find(self, method: str, predicate: Callable[[Call], bool] | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.fault is None and (predicate is None or predicate(c))]

    async def wait_for(self, method: str, predicate: Callable[[Call], bool] | None = None, *, count: int = 1, timeout: float = 20.0) -> Call:
        """The `count`-th successful call of `method` matching `predicate` (waits for it)."""
        assert self._changed is not None, "start() the server first"

        def ready() -> bool:
            return len(self.find(method, predicate)) >= count

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), timeout)
            except TimeoutError:
                seen = [f"{c.method}({c.params.get('text', '')!s:.40})" for c in self.calls[-15:]]
                raise AssertionError(f"no {count}x {method} matching within {timeout} s; last calls: {seen}") from None
        return self.find(method, predicate)[count - 1]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to a chat, in order, with their current (edited) text."""
        return [m for (c, _), m in sorted(self.sent.items()) if c == chat_id]

    def last_sent(self, chat_id: int) -> dict[str, Any]:
        return self.sent_to(chat_id)[-1]

    def add_file(self, data: bytes, *, file_name: str | None = "report.txt", mime_type: str | None = "text/plain", file_size: int | None = -1) -> dict[str, Any]:
        """Store a file and return the `document` dict of a message carrying it (file_size
        defaults to the real size; pass None to leave it out, or a number to lie)."""
        file_id = f"file{len(self.files) + 1}"
        self.files[file_id] = data
        document: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if file_name is not None:
            document["file_name"] = file_name
        if mime_type is not None:
            document["mime_type"] = mime_type
        if file_size is not None:
            document["file_size"] = len(data) if file_size == -1 else file_size
        return document

    def add_photo(self, data: bytes, width: int, height: int, *, file_size: int | None = -1) -> list[dict[str, Any]]:
        """Store a photo and return the `photo` list of a message carrying it: a thumbnail and
        the full size, as Telegram sends them (file_size as in `add_file`)."""
        file_id = f"photo{len(self.files) + 1}"
        self.files[file_id] = data
        self.files[f"{file_id}t"] = data[:64]  # a thumbnail nobody should pick
        full: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": width, "height": height}
        if file_size is not None:
            full["file_size"] = len(data) if file_size == -1 else file_size
        thumb = {"file_id": f"{file_id}t", "file_unique_id": f"u{file_id}t", "width": 90, "height": max(1, 90 * height // max(width, 1)), "file_size": 64}
        return [thumb, full]

    def inject(self, method: str, *, status: int = 500, description: str = "", retry_after: int | None = None, delay: float = 0.0, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail (or answer late, with delay and status 200)."""
        self.faults.setdefault(method, []).append(Fault(status, description, retry_after, delay, times))

    # -- the server --------------------------------------------------------------------------

    def _notify(self) -> None:
        if self._changed is None:
            return

        async def wake() -> None:
            async with self._changed:  # type: ignore[union-attr]
                self._changed.notify_all()  # type: ignore[union-attr]

        task = asyncio.get_running_loop().create_task(wake())
        self._tasks.add(task)  # keep a reference until it has run
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        call = Call(method, params)
        fault = self._take_fault(method)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status != 200:
                call.fault = fault.status
                self.calls.append(call)
                self._notify()
                extra = {"parameters": {"retry_after": fault.retry_after}} if fault.retry_after is not None else {}
                return _error(fault.status, fault.description or _PHRASES.get(fault.status, "Error"), **extra)
        if method.lower() == "getupdates":
            result: Any = await self._get_updates(params)
        else:
            result = self._result(method, params)
            if result is None:
                return _error(404, f"Not Found: method {method} is not implemented by the fake server")
        self.calls.append(call)
        self._notify()
        return web.json_response({"ok": True, "result": result})

    def _take_fault(self, method: str) -> Fault | None:
        queue = self.faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        self.acknowledged = max(self.acknowledged, offset - 1)
        self.poll_offsets.append(offset)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        assert self._changed is not None
        while True:
            pending = [u for u in self.updates if u["update_id"] >= offset]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0:
                self.delivered += [u["update_id"] for u in pending[:limit]]
                return pending[:limit]
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    pass

    def _result(self, method: str, p: dict[str, Any]) -> Any:
        name = method.lower()
        if name == "getme":
            return self.bot
        if name in ("sendmessage", "editmessagetext", "editmessagereplymarkup"):
            return self._message_result(name, p)
        if name == "getwebhookinfo":
            return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": len(self.updates)}
        if name == "setwebhook":
            self.webhook = dict(p)
            return True
        if name == "deletewebhook":
            self.webhook = {}
            return True
        if name == "getmycommands":
            return []
        if name == "getfile":
            data = self.files.get(str(p.get("file_id")))
            if data is None:
                return None
            return {"file_id": p["file_id"], "file_unique_id": f"u{p['file_id']}", "file_size": len(data), "file_path": f"documents/{p['file_id']}"}
        if name in ("answercallbackquery", "answerinlinequery", "sendchataction", "setmycommands", "deletemycommands", "close", "logout"):
            return True
        return None

    def _message_result(self, name: str, p: dict[str, Any]) -> Any:
        if "inline_message_id" in p:
            return True
        chat_id = int(p["chat_id"])
        chat = self.chats.get(chat_id) or {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "group"}
        if name == "sendmessage":
            message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": self.bot, "text": p.get("text", "")}
        else:
            message = dict(self.sent.get((chat_id, int(p["message_id"]))) or {"message_id": int(p["message_id"]), "date": int(time.time()), "chat": chat, "from": self.bot})
            if name == "editmessagetext":
                message["text"] = p.get("text", "")
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # Telegram echoes inline keyboards only
            message["reply_markup"] = markup
        elif name != "sendmessage" or markup is not None:
            message.pop("reply_markup", None)
        self.sent[(chat_id, message["message_id"])] = message
        return message


    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return _error(404, "Not Found")
        self.calls.append(Call("download", {"file_id": file_id}))
        self._notify()
        return web.Response(body=self.files[file_id])


_PHRASES = {400: "Bad Request", 403: "Forbidden: bot was blocked by the user", 429: "Too Many Requests: retry later", 500: "Internal Server Error", 502: "Bad Gateway"}


def _error(status: int, description: str, **extra: Any) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description, **extra}, status=status)


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        raw = await request.json()
    else:
        raw = dict(await request.post())
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and key in _JSON_FIELDS:
            value = json.loads(value)
        elif isinstance(value, str) and key in _INT_FIELDS and value.lstrip("-").isdigit():
            value = int(value)
        elif value in ("true", "false") and key not in _TEXT_FIELDS:
            value = value == "true"
        params[key] = value
    return params


def _entities(text: str) -> list[dict[str, Any]]:
    """bot_command at the start and @mentions, with UTF-16 offsets as Telegram sends them."""
    entities = []
    if text.startswith("/"):
        command = text.split()[0]
        entities.append({"type": "bot_command", "offset": 0, "length": _u16(command)})
    for match in re.finditer(r"(?<![A-Za-z0-9_])@[A-Za-z0-9_]{3,32}", text):
        entities.append({"type": "mention", "offset": _u16(text[: match.start()]), "length": _u16(match.group(0))})
    return entities


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
