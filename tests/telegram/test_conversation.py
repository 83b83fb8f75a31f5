"""Conversations over the fake Bot API: follow-ups, /start, groups, replies, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage.store import Store
from tests.fake_bot_api import BOT_USERNAME, PARENT
from tests.telegram_support import CachedService, make_config, running_bot

OTHER = {"id": 2002, "is_bot": False, "first_name": "陈爸爸", "language_code": "zh-hans"}
GROUP = {"id": -100777, "type": "supergroup", "title": "四年级家长群"}
FIRST, FOLLOW = "泸州公布举报电话了吗", "那涪陵呢"


@pytest.fixture
def config(shipped_config: Path, tmp_path: Path):
    return make_config(shipped_config, tmp_path)


@pytest.fixture
def service(shipped_service) -> CachedService:
    return CachedService(shipped_service)


def about_fuling(text: str) -> bool:
    """An answer quoting 涪陵's report on its reporting channels (not the invitation to ask)."""
    return "《涪陵区教育" in text and "举报" in text


async def test_a_follow_up_continues_the_last_question(config, service) -> None:
    async with running_bot(config, service) as bot:
        await bot.send(FIRST)
        await bot.send(FOLLOW)
        assert about_fuling(bot.replies()[-1])


async def test_start_forgets_the_conversation(config, service) -> None:
    async with running_bot(config, service) as bot:
        await bot.send(FIRST)
        await bot.send("/start")
        await bot.send(FOLLOW)
        reply = bot.replies()[-1]
        assert not about_fuling(reply) and "您想了解涪陵区的哪方面" in reply


async def test_in_a_group_each_parent_has_their_own_conversation(config, service) -> None:
    async with running_bot(config, service) as bot:
        await bot.send(f"@{BOT_USERNAME} {FIRST}", chat=GROUP, user=PARENT)
        await bot.send(f"@{BOT_USERNAME} {FOLLOW}", chat=GROUP, user=OTHER)
        assert not about_fuling(bot.replies(GROUP["id"])[-1])  # OTHER asked nothing before
        await bot.send(f"@{BOT_USERNAME} {FOLLOW}", chat=GROUP, user=PARENT)
        assert about_fuling(bot.replies(GROUP["id"])[-1])


async def test_replying_to_an_answer_continues_from_that_answer(config, service) -> None:
    async with running_bot(config, service) as bot:
        await bot.send(FIRST)
        hotline_answer = bot.api.last_sent(PARENT["id"])
        await bot.send("课后服务是自愿参加的吗")  # a new topic in between
        await bot.send(FOLLOW, reply_to_message=hotline_answer)
        assert about_fuling(bot.replies()[-1])


async def test_the_conversation_survives_a_restart(config, service) -> None:
    async with running_bot(config, service) as bot:
        await bot.send(FIRST)
    store = Store.from_settings(config.storage, salt="test-salt")
    async with running_bot(config, service, store=store) as bot:
        await bot.send(FOLLOW)
        assert about_fuling(bot.replies()[-1])


async def test_a_forwarded_message_is_answered_on_its_own(config, service) -> None:
    async with running_bot(config, service) as bot:
        await bot.send(FIRST)
        await bot.send(FOLLOW, forward_origin={"type": "hidden_user", "date": 1700000000, "sender_user_name": "家长"})
        assert not about_fuling(bot.replies()[-1])
