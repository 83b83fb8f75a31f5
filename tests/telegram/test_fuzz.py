"""Hostile input, property-based: whatever parents, staff and strangers send, the bot never
crashes (the error handler is never reached), every reply is valid Telegram HTML within
4,096 characters, and user text comes back escaped.

Most cases go through `Application.process_update` (the entry point the running
application feeds every fetched update to) of the real Application, with its real
handlers, answer pipeline, store and rate limiter, replying over loopback to the fake
Bot API server. A smaller set makes the full round trip through polling.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.storage.store import Store
from bot.telegram.app import build_application
from bot.telegram.handlers import MAX_QUESTION, TOPICS
from bot.telegram.render import clean_user_text
from bot.text import detect_script, to_script, to_simplified
from tests.fake_bot_api import BOT_USERNAME, PARENT, TOKEN, Call, FakeBotApi
from tests.telegram_support import ADMIN, STAFF, CachedService, make_config, running_bot, telegram_html_problems

NASTY = (
    "<b>", "</b>", "</code>", "<code>", "<pre>", "</blockquote>", "<i>", "&amp;", "&", "&lt;", "&#0;", "&#x110000;", "&nbsp;",
    '<a href="javascript:alert(1)">点我</a>', "<script>alert(1)</script>", "<tg-spoiler>", '<span class="x">',
    "'; DROP TABLE feedback;--", '" OR 1=1 --', "Robert'); DELETE FROM question_log; --",
    "\u200b", "\u200c", "\u200d", "\u202e", "\u202d", "\u200f", "\u200e", "\u2066", "\u2069", "\ufeff", "\u061c",
    "\x00", "\x07", "\x08", "\x1b[31m", "\x7f", "\x85", "\r\n", "\t", "\u2028", "\u3000",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "😀", "👨‍👩‍👧", "🇨🇳", "\U0010fffd", "\U000e0001", "𠀀𠮷",
    "课后服务怎么收费", "課後服務怎麼收費", "作业时长", "举报投诉电话", f"@{BOT_USERNAME}", "@someone_else",
    "/start", "%s%n%x", "{0}{1}", "${jndi:ldap://x}", "\\", "]]>", "<!--", "-->", "\u0000\u0000",
)
LONG = ("问" * 10_000, ("<b>&amp;" + "课后服务怎么收费?") * 700)
COMMANDS = ("start", "help", "region", "ask", "faq", "faq_pending", "stats", "unanswered", "whatever", "ask@" + BOT_USERNAME, "start@other_bot", "a" * 32)
GROUP = {"id": -100777, "type": "supergroup", "title": "家长群 <b>&"}
TRADITIONAL = {"id": 2002, "is_bot": False, "first_name": "陳爸爸", "language_code": "zh-hant"}
PHOTO = [{"file_id": "p", "file_unique_id": "p", "width": 10, "height": 10}]
STICKER = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1, "is_animated": False, "is_video": False}
KINDS = ("private", "forwarded", "group_mention", "ask", "caption", "photo", "sticker", "voice", "location", "document", "inline", "callback", "edited")

texts = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=40)), max_size=12).map("".join)
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CASES = itertools.count(1)  # every case run, fuzzed or fixed (reported by test_the_number_of_cases_run)


class FuzzBot:
    """The real Application on a private event loop, for synchronous hypothesis tests."""

    def __init__(self, config: Any, service: CachedService, store: Store) -> None:
        self.loop = asyncio.new_event_loop()
        self.api = FakeBotApi()
        self.service = service
        self.errors: list[BaseException] = []
        self.warnings: list[str] = []  # the bot's own warnings (a retried reply, a failed write, ...)
        self.ids = itertools.count(1)
        self._keep = _Keep(self.warnings)
        logging.getLogger("bot").addHandler(self._keep)
        self.loop.run_until_complete(self._start(config, store))

    async def _start(self, config: Any, store: Store) -> None:
        await self.api.start()
        # The limiter's rate is raised only so that hundreds of cases fit in seconds.
        self.app = build_application(config, TOKEN, base_url=self.api.base_url, service=self.service, store=store, messages_per_second=1000)
        self.app.add_error_handler(self._record)
        await self.app.initialize()
        await self.app.post_init(self.app)
        await self.app.start()

    async def _record(self, update: object, context: Any) -> None:
        self.errors.append(context.error)

    def close(self) -> None:
        logging.getLogger("bot").removeHandler(self._keep)

        async def stop() -> None:
            await self.app.stop()
            await self.app.shutdown()
            await self.app.post_shutdown(self.app)
            await self.api.stop()

        self.loop.run_until_complete(stop())
        self.loop.close()

    def handle(self, update: dict[str, Any]) -> list[Call]:
        """Process one update as the application does; the Bot API calls it caused."""
        next(CASES)
        before = len(self.api.calls)
        self.loop.run_until_complete(self.app.process_update(Update.de_json({"update_id": next(self.ids), **update}, self.app.bot)))
        return self.api.calls[before:]


class _Keep(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


@pytest.fixture(scope="module")
def fuzz_bot(shipped_config: Path, shipped_service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzBot]:
    tmp = tmp_path_factory.mktemp("fuzz")
    config = make_config(shipped_config, tmp, user_questions_per_minute=1_000_000)
    bot = FuzzBot(config, CachedService(shipped_service), Store.from_settings(config.storage, salt="fuzz-salt"))
    yield bot
    bot.close()


def check_replies(bot: FuzzBot, calls: list[Call]) -> None:
    """No error reached the error handler, and every message is valid Telegram HTML."""
    assert not bot.errors, f"the error handler was reached: {bot.errors!r}"
    assert not bot.warnings, f"the bot logged warnings: {bot.warnings[:5]}"
    for call in calls:
        assert call.fault is None
        if call.method in ("sendMessage", "editMessageText"):
            assert call.get("parse_mode") == "HTML"
            problems = telegram_html_problems(call["text"])
            assert not problems, f"{call.method} is not valid Telegram HTML: {problems}: {call['text'][:300]!r}"
            assert '<a href="javascript' not in call["text"]  # a user's link never becomes a real one
        elif call.method == "answerInlineQuery":
            for result in call["results"]:
                content = result["input_message_content"]
                assert content["parse_mode"] == "HTML" and not telegram_html_problems(content["message_text"])
        elif call.method == "answerCallbackQuery":
            assert len(call.get("text") or "") <= 200
        for button in call.buttons:
            assert len(button.get("callback_data", "").encode("utf-8")) <= 64


def asked_form(text: str) -> str:
    """What the bot asks (and echoes) for a message text: cleaned, our @mention removed,
    whitespace collapsed, a topic button's label turned into its question, trimmed."""
    question = " ".join(re.sub(rf"@{BOT_USERNAME}\b", " ", clean_user_text(text), flags=re.IGNORECASE).split())
    topic = TOPICS.get(to_simplified(question))
    return (to_script(topic, detect_script(question)) if topic else question)[:MAX_QUESTION]


def update_for(bot: FuzzBot, kind: str, text: str, user: dict[str, Any]) -> dict[str, Any]:
    api = bot.api
    if kind == "private":
        return {"message": api.message(text, user=user)}
    if kind == "forwarded":
        return {"message": api.message(text, user=user, forward_origin={"type": "hidden_user", "date": 1700000000, "sender_user_name": text[:64] or "x"})}
    group = {**GROUP, "id": GROUP["id"] - next(bot.ids)}  # many groups: one would reach Telegram's 20 messages a minute
    if kind == "group_mention":
        return {"message": api.message(f"@{BOT_USERNAME} {text}", user=user, chat=group)}
    if kind == "ask":
        return {"message": api.message(f"/ask {text}", user=user, chat=group if len(text) % 2 else None)}
    if kind == "caption":
        return {"message": api.message(None, user=user, photo=PHOTO, caption=text)}
    if kind == "photo":
        return {"message": api.message(None, user=user, photo=PHOTO)}
    if kind == "sticker":
        return {"message": api.message(None, user=user, sticker=STICKER)}
    if kind == "voice":
        return {"message": api.message(None, user=user, voice={"file_id": "v", "file_unique_id": "v", "duration": 3})}
    if kind == "location":
        return {"message": api.message(None, user=user, location={"latitude": 29.7, "longitude": 107.4})}
    if kind == "document":  # a parent's file is never downloaded: the caption is a question, else a hint
        return {"message": api.message(None, user=user, document=api.add_file(text.encode("utf-8", "replace"), file_name=f"{text[:20]}.txt"), **({"caption": text} if text else {}))}
    if kind == "inline":
        return {"inline_query": {"id": str(next(bot.ids)), "from": user, "query": text, "offset": ""}}
    if kind == "callback":
        message = {"message_id": 1, "date": 1700000000, "chat": {"id": user["id"], "type": "private"}, "from": api.bot, "text": "x"}
        return {"callback_query": {"id": str(next(bot.ids)), "from": user, "chat_instance": "ci", "data": text.encode("utf-8")[:64].decode("utf-8", "ignore"), "message": message}}
    if kind == "edited":
        return {"edited_message": api.message(text, user=user, edit_date=1700000001)}
    raise AssertionError(kind)


@settings(FUZZ, max_examples=600)
@given(kind=st.sampled_from(KINDS), text=texts, traditional=st.booleans())
@example(kind="private", text="", traditional=False)
@example(kind="private", text=" \t\n\u3000 ", traditional=False)
@example(kind="private", text=LONG[0], traditional=False)
@example(kind="forwarded", text=LONG[1], traditional=True)
@example(kind="caption", text=LONG[1], traditional=False)
@example(kind="forwarded", text='<b>课后服务</b>怎么收费?&amp; <a href="http://evil.example">x</a>', traditional=False)
@example(kind="private", text="'; DROP TABLE feedback;--", traditional=False)
@example(kind="private", text="\u202e\u200b\x00\x1b[31m课后服务怎么收费?\U0001d518😀", traditional=False)
@example(kind="inline", text=LONG[1], traditional=False)
def test_any_message_is_answered_safely(fuzz_bot: FuzzBot, kind: str, text: str, traditional: bool) -> None:
    user = TRADITIONAL if traditional else PARENT
    asked_before = len(fuzz_bot.service.asked)
    calls = fuzz_bot.handle(update_for(fuzz_bot, kind, text, user))
    check_replies(fuzz_bot, calls)
    sent = [c for c in calls if c.method == "sendMessage"]
    if kind == "edited" or (kind == "group_mention" and not asked_form(text)):
        assert not sent
    if kind in ("voice", "location"):
        assert len(sent) == 1 and "只能读懂文字" in to_simplified(sent[0]["text"])
    if kind == "sticker":
        assert len(sent) == 1 and "收到您的表情" in to_simplified(sent[0]["text"])
    if kind == "photo":  # PHOTO is not on the server: a friendly word, nothing asked
        assert len(sent) == 1 and "没能下载" in to_simplified(sent[0]["text"])
        assert len(fuzz_bot.service.asked) == asked_before
    if kind == "document":
        assert not any(c.method in ("getFile", "download") for c in calls)
    if kind == "forwarded" and asked_form(text) and not text.startswith("/"):  # a forwarded command is a command
        question = fuzz_bot.service.asked[-1][0]
        assert len(fuzz_bot.service.asked) == asked_before + 1 and question == asked_form(text)
        joined = "".join(c["text"] for c in sent).replace("</blockquote><blockquote>", "")  # a long one spans messages
        assert f"<blockquote>{html.escape(question, quote=False)}</blockquote>" in joined  # echoed, escaped
    if (kind == "caption" or (kind == "private" and not text.startswith("/"))) and asked_form(text):
        assert fuzz_bot.service.asked[-1][0] == asked_form(text)


@settings(FUZZ, max_examples=200)
@given(command=st.one_of(st.sampled_from(COMMANDS), st.from_regex(r"[a-z0-9_]{1,32}", fullmatch=True)), args=texts, who=st.sampled_from(("parent", "staff", "admin")), huge=st.booleans())
@example(command="ask", args=LONG[0], who="parent", huge=False)
@example(command="region", args=LONG[1], who="parent", huge=False)
@example(command="faq", args=f"{LONG[1]} | {LONG[1]}", who="staff", huge=False)
@example(command="faq", args="<b>问</b> | &amp; 答 <script> | 地区'; DROP TABLE x;--", who="staff", huge=False)
def test_any_command_and_argument_is_handled_safely(fuzz_bot: FuzzBot, command: str, args: str, who: str, huge: bool) -> None:
    user = {"parent": PARENT, "staff": STAFF, "admin": ADMIN}[who]
    if huge:
        args = (args or "参数") * (10_000 // max(1, len(args or "参数")) + 1)
    calls = fuzz_bot.handle({"message": fuzz_bot.api.message(f"/{command} {args}", user=user)})
    check_replies(fuzz_bot, calls)
    if who == "parent" and command in ("faq", "faq_pending", "stats", "unanswered"):
        assert [c["text"] for c in calls if c.method == "sendMessage"][0].startswith("抱歉")


def test_admin_reports_stay_valid_after_hostile_questions(fuzz_bot: FuzzBot) -> None:
    """The questions above are in the log now (up to 1,000 characters each): the admin's
    lists that quote them must still be valid and short enough."""
    for question in (LONG[1], "<b>" * 300, "&" * 900):
        check_replies(fuzz_bot, fuzz_bot.handle({"message": fuzz_bot.api.message(question, user=PARENT)}))
    for command in ("/stats", "/unanswered", "/faq_pending"):
        calls = fuzz_bot.handle({"message": fuzz_bot.api.message(command, user=ADMIN)})
        check_replies(fuzz_bot, calls)
        assert [c for c in calls if c.method == "sendMessage"]


ROUND_TRIPS = (
    *NASTY,
    "",
    *LONG,
    "/ask " + LONG[0],
    "/region " + LONG[1],
    "/" + "x" * 40,
    json.dumps({"update_id": 1, "message": {"text": "<b>"}}),
)


async def test_full_round_trips_through_polling(shipped_config: Path, shipped_service, tmp_path: Path) -> None:
    config = make_config(shipped_config, tmp_path, user_questions_per_minute=1_000_000)
    errors: list[BaseException] = []

    async def record(update: object, context: Any) -> None:
        errors.append(context.error)

    async with running_bot(config, CachedService(shipped_service)) as bot:
        bot.app.add_error_handler(record)
        ids = [bot.api.push_message(text) for text in ROUND_TRIPS if text]
        ids.append(bot.api.push_message(None, photo=PHOTO))
        ids.append(bot.api.push_message(None, sticker=STICKER))
        ids.append(bot.api.push_message(None, photo=PHOTO, caption=NASTY[9]))
        ids.append(bot.api.push_message(None, document=bot.api.add_file(b"<b>", file_name="../../x.txt")))
        ids.append(bot.api.push_inline(LONG[1][:256]))
        for update_id in ids:
            await bot.processed(update_id, timeout=60)
        for _ in ids:
            next(CASES)
    sent = [c for c in bot.api.calls if c.method in ("sendMessage", "answerInlineQuery")]
    assert len(sent) >= len(ids)
    assert not errors, errors
    for call in sent:
        texts = [call["text"]] if call.method == "sendMessage" else [r["input_message_content"]["message_text"] for r in call["results"]]
        for text in texts:
            assert not telegram_html_problems(text), text[:200]


def test_the_number_of_cases_run(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last in this module: reports how many hostile cases the bot handled."""
    count = next(CASES) - 1
    if count == 0:
        pytest.skip("no fuzz case ran in this session")
    with capsys.disabled():
        print(f"\nfuzz cases run: {count}")
    assert count >= 1
