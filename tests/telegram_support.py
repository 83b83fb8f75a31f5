"""Shared pieces of the Telegram tests: the real answer service (conftest's session-scoped
`shipped_service`) with answers memoised, configs with test admins and staff, and
`running_bot`, which runs the real Application against the fake Bot API server with the
bot's own poller (bot.telegram.delivery: updates acknowledged only once handled).
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.config import Config, StorageSettings, load_config
from bot.index.build import BuildReport
from bot.records import Answer
from bot.service import Service
from bot.storage.store import Store
from bot.telegram.app import build_application
from bot.telegram.delivery import Poller
from bot.telegram.render import utf16_len
from tests.fake_bot_api import PARENT, TOKEN, FakeBotApi

REPO = Path(__file__).resolve().parents[1]
ADMIN = {"id": 42, "is_bot": False, "first_name": "管理员", "language_code": "zh-hans"}
STAFF = {"id": 77, "is_bot": False, "first_name": "李老师", "language_code": "zh-hans"}
GUARD_LIMIT = 3  # questions per minute in test configs


class CachedService:
    """The real Service, with answers memoised per (question, region): the same question in
    several tests costs one pipeline run (query embedding is slow on small CPUs)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.config = service.config
        self.hotlines = service.hotlines
        self.asked: list[tuple[str, str | None]] = []
        self.notices: list[tuple[str, str, str | None]] = []  # (notice kind, caption, region) of photos answered

    def ask(self, question: str, *, region: str | None = None, top_k: int | None = None, state=None, now=None) -> Answer:  # noqa: ANN001
        self.asked.append((question, region))
        if state is not None or now is not None:  # a follow-up depends on its chat: not memoised
            return self.service.ask(question, region=region, top_k=top_k, state=state, now=now)
        return _cached_ask(self.service, question, region, top_k)

    def regions(self) -> list[str]:
        return self.service.regions()

    def rebuild(self, progress=None):  # noqa: ANN001, ANN201 - same signature as Service.rebuild
        return self.service.rebuild(progress)

    def read_notice(self, image: bytes):  # noqa: ANN201 - the real OCR, never memoised
        return self.service.read_notice(image)

    def answer_notice(self, notice, caption: str = "", *, region: str | None = None, script: str | None = None):  # noqa: ANN001, ANN201
        self.notices.append((notice.kind, caption, region))
        return self.service.answer_notice(notice, caption, region=region, script=script)
    def share_files(self, paths: list[Path]) -> None:
        self.service.share_files(paths)

    @property
    def pipeline(self):  # noqa: ANN201 - the real service's (for /readyz)
        return self.service.pipeline


class SpyService(CachedService):
    """The shared real service, counting rebuilds instead of running them.

    `rebuild` returns `report` when one is given; without one, a rebuild is a test failure.
    """

    def __init__(self, service: Service, report: BuildReport | None = None) -> None:
        super().__init__(service)
        self.report = report
        self.rebuilds = 0

    def rebuild(self, progress=None):  # noqa: ANN001, ANN201 - same signature as Service.rebuild
        self.rebuilds += 1
        if self.report is None:
            raise AssertionError("this test must not rebuild the index")
        return self.report


@cache
def _cached_ask(service: Service, question: str, region: str | None, top_k: int | None) -> Answer:
    return service.ask(question, region=region, top_k=top_k)


def copy_project(config_path: Path, dest: Path) -> Path:
    """A private copy of a built project (corpus, index, embedding cache) for tests that
    rebuild or edit the corpus; returns its config path."""
    shutil.copytree(config_path.parent, dest, ignore=shutil.ignore_patterns("var", "config-*.toml"))
    return dest / "config.toml"


def make_config(config_path: Path, tmp: Path, **telegram: object) -> Config:
    """The project's config with test admins/staff, a small question limit and storage in `tmp`."""
    config = load_config(config_path, env={})
    settings = dataclasses.replace(
        config.telegram,
        admin_ids=frozenset({ADMIN["id"]}),
        staff_ids=frozenset({STAFF["id"]}),
        user_questions_per_minute=GUARD_LIMIT,
    )
    settings = dataclasses.replace(settings, **telegram)
    return dataclasses.replace(config, telegram=settings, storage=StorageSettings(path=tmp / "var" / "bot.sqlite3"))


@dataclass
class Harness:
    api: FakeBotApi
    app: Application
    store: Store
    service: object
    _done: set[int]
    _changed: asyncio.Condition

    async def processed(self, update_id: int, timeout: float = 30.0) -> None:
        """Wait until every handler for `update_id` has returned."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: update_id in self._done), timeout)

    async def send(self, text: str | None = None, **kwargs: object) -> int:
        """Push a message and wait until the bot has handled it; its update id."""
        update_id = self.api.push_message(text, **kwargs)
        await self.processed(update_id)
        return update_id

    def replies(self, chat_id: int = PARENT["id"]) -> list[str]:
        return [m["text"] for m in self.api.sent_to(chat_id)]


@asynccontextmanager
async def running_bot(config: Config, service: object, *, store: Store | None = None, api: FakeBotApi | None = None, **build: object) -> AsyncIterator[Harness]:
    """The real Application, polling the fake server, with a marker handler (group 99)
    that records when each update has been fully handled. `build` goes to build_application."""
    own_api = api is None
    api = api or FakeBotApi()
    if own_api:
        await api.start()
    store = store or Store.from_settings(config.storage, salt="test-salt")
    app = build_application(config, TOKEN, base_url=api.base_url, service=service, store=store, **build)
    done: set[int] = set()
    changed = asyncio.Condition()

    async def mark(update: Update, _context: object) -> None:
        async with changed:
            done.add(update.update_id)
            changed.notify_all()

    app.add_handler(TypeHandler(Update, mark), group=99)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    poller = Poller(app, app.bot_data.deliveries, timeout=5)
    await poller.start()
    try:
        yield Harness(api, app, store, service, done, changed)
    finally:
        await poller.stop()
        await app.stop()
        await poller.acknowledge()
        await app.shutdown()
        await app.post_shutdown(app)
        if own_api:
            await api.stop()


# -- a strict checker for Telegram's HTML parse mode ------------------------------------------

TELEGRAM_TAGS: dict[str, tuple[str, ...]] = {  # https://core.telegram.org/bots/api#html-style
    "b": (), "strong": (), "i": (), "em": (), "u": (), "ins": (), "s": (), "strike": (), "del": (),
    "tg-spoiler": (), "span": ("class",), "a": ("href",), "tg-emoji": ("emoji-id",),
    "code": ("class",), "pre": (), "blockquote": ("expandable",),
}
_HTML_TOKEN = re.compile(r'<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:="[^"<>]*")?)*)\s*>|&(#[0-9]{1,8}|#x[0-9A-Fa-f]{1,7}|[A-Za-z]+);|[<>&]')
_HTML_ATTR = re.compile(r'([A-Za-z-]+)(?:="([^"]*)")?')
MAX_TEXT = 4096  # Telegram's limit, in UTF-16 code units of the text after parsing


def telegram_html_problems(text: str) -> list[str]:
    """Why Telegram would reject `text` sent with parse_mode=HTML (empty list: valid).

    Only Telegram's tags with their allowed attributes, properly nested; every <, > and &
    part of a tag or of a valid entity (&lt; &gt; &amp; &quot; or a numeric one); some
    visible text; at most 4,096 characters once parsed (and, as the bot renders it, as sent).
    """
    problems: list[str] = []
    stack: list[str] = []
    visible: list[str] = []
    pos = 0
    for match in _HTML_TOKEN.finditer(text):
        visible.append(text[pos : match.start()])
        pos = match.end()
        closing, name, attrs, entity = match.groups()
        if name is not None:
            if name not in TELEGRAM_TAGS:
                problems.append(f"tag <{name}> is not one of Telegram's")
            elif closing:
                if attrs.strip():
                    problems.append(f"</{name}> has attributes")
                if stack and stack[-1] == name:
                    stack.pop()
                else:
                    problems.append(f"</{name}> does not close {stack[-1:] or 'anything'}")
            else:
                found = dict(_HTML_ATTR.findall(attrs))
                problems += [f"<{name}> may not have {a}=" for a in found if a not in TELEGRAM_TAGS[name]]
                if name == "a" and not found.get("href"):
                    problems.append("<a> without href")
                if name == "span" and found.get("class") != "tg-spoiler":
                    problems.append("<span> other than class=tg-spoiler")
                stack.append(name)
        elif entity is not None:
            if entity.startswith("#"):
                code = int(entity[2:], 16) if entity[1:2] in ("x", "X") else int(entity[1:])
                if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
                    problems.append(f"bad character reference &{entity};")
                else:
                    visible.append(chr(code))
            elif entity in ("lt", "gt", "amp", "quot"):
                visible.append(html.unescape(f"&{entity};"))
            else:
                problems.append(f"unsupported entity &{entity};")
        else:
            problems.append(f"bare {match.group(0)!r}")
    visible.append(text[pos:])
    if stack:
        problems.append(f"unclosed {stack}")
    shown = "".join(visible)
    if not shown.strip():
        problems.append("no visible text")
    if utf16_len(shown) > MAX_TEXT or utf16_len(text) > MAX_TEXT:
        problems.append(f"too long: {utf16_len(shown)} characters shown, {utf16_len(text)} sent")
    return problems
