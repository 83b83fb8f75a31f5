"""A real `python -m bot run` in webhook mode on SQLite, SIGKILLed right after Telegram got its
200s: the updates were committed to the queue first, so the restarted bot answers every one
of them (nothing lost), and what the first process had already sent is not sent again."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from pathlib import Path

import aiohttp

from tests.fake_bot_api import FakeBotApi
from tests.telegram.test_run import WEBHOOK_SECRET, post_when_listening, start_bot, stop_bot, webhook_config

QUESTIONS = ("课后服务怎么收费?", "书面作业时间有什么规定?", "举报投诉电话是多少?", "校外培训机构怎么监管?")


def parent(n: int) -> dict:
    return {"id": 8000 + n, "is_bot": False, "first_name": f"家长{n}", "language_code": "zh-hans"}


async def test_a_killed_webhook_instance_loses_nothing_after_its_200(shipped_config: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = webhook_config(shipped_config, tmp_path, port)
    api = FakeBotApi()
    await api.start()
    process = None
    try:
        process, _ = await start_bot(config, api, tmp_path, TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
        await api.wait_for("setWebhook", timeout=120)
        api.inject("sendMessage", status=200, delay=30, times=100)  # replies hang: updates stay claimed, unanswered
        url = f"http://127.0.0.1:{port}/tg/hook"
        async with aiohttp.ClientSession() as session:
            for n in range(12):
                update = {"update_id": 300 + n, "message": api.message(QUESTIONS[n % len(QUESTIONS)], user=parent(n))}
                assert await post_when_listening(session, url, update, WEBHOOK_SECRET) == 200
        hang = api.faults["sendMessage"][0]
        deadline = time.monotonic() + 60
        while hang.times == 100:  # until a reply is on its way (held by the fake server)
            assert time.monotonic() < deadline, "no reply was sent"
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)  # mid-answer
        await process.wait()
        api.faults.clear()
        process, log_file = await start_bot(config, api, tmp_path, TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
        for n in range(12):
            await api.wait_for("sendMessage", lambda c, n=n: c["chat_id"] == parent(n)["id"], timeout=120)
        await asyncio.sleep(1.0)
        assert await stop_bot(process) == 0
        # Every question answered once. (The replies held by the fake server when the process
        # died are still "on their way": at Telegram, those few could arrive a second time.)
        answers = [len(api.find("sendMessage", lambda c, n=n: c["chat_id"] == parent(n)["id"])) for n in range(12)]
        assert answers == [1] * 12
        assert "taken over after another instance stopped" in log_file.read_text(encoding="utf-8")
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await api.stop()

