"""Faults, each survived: Telegram answering 429 / 5xx / too slowly, a build killed while the
bot runs, damaged index files at start-up and at /reindex, a locked or read-only database,
and a restart in the middle of traffic (updates are acknowledged only once answered).

The build-level kill and failure tests are in tests/test_build.py, a failing /reindex in
tests/telegram/test_admin.py, a 429 on a reply in tests/telegram/test_bot.py."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from telegram.error import BadRequest, NetworkError

import bot.index.build as build_module
from bot.config import load_config
from bot.index.store import BUILDS, MANIFEST, VECTORS, read_current
from bot.service import Service
from bot.storage.db import DatabaseError, SqliteDatabase
from bot.storage.store import Store, Vote
from bot.telegram.delivery import Deliveries
from bot.telegram.limiter import Limiter
from tests.fake_bot_api import PARENT, TOKEN, FakeBotApi
from tests.helpers_index import subprocess_env
from tests.telegram.test_run import start_bot, stop_bot, write_config
from tests.telegram_support import ADMIN, REPO, CachedService, copy_project, make_config, running_bot

FEE = "课后服务怎么收费?"
HOMEWORK = "书面作业时间有什么规定?"
QUESTIONS = (FEE, HOMEWORK, "举报投诉电话是多少?", "校外培训机构怎么监管?", "課後服務怎麼收費?", "课后服务是自愿的吗", "托管费按什么标准收", "哪里可以举报校外培训")
APOLOGY = "抱歉,处理您的消息时出了点问题,请稍后再试。"


def parent(n: int) -> dict:
    return {"id": 5000 + n, "is_bot": False, "first_name": f"家长{n}", "language_code": "zh-hans"}


async def until(condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
def config(shipped_config: Path, tmp_path: Path):
    return make_config(shipped_config, tmp_path, user_questions_per_minute=100)


def answered(bot, chat_id: int = PARENT["id"]) -> list[str]:
    return [t for t in bot.replies(chat_id) if "<b>答:</b>" in t]  # a note about the place may come first


# -- Telegram itself failing ------------------------------------------------------------------


async def test_replies_survive_429_5xx_and_timeouts(config, shipped_service, caplog: pytest.LogCaptureFixture) -> None:
    async with running_bot(config, CachedService(shipped_service)) as bot:
        with caplog.at_level(logging.WARNING):
            bot.api.inject("sendMessage", status=429, retry_after=1)
            await bot.send(FEE)
            bot.api.inject("sendMessage", status=502, times=2)
            bot.api.inject("sendChatAction", status=500)  # the typing hint failing changes nothing
            await bot.send(HOMEWORK)
            bot.api.inject("sendMessage", status=500)
            await bot.send(FEE, user=parent(1))
            bot.api.inject("sendMessage", status=200, delay=6)  # longer than PTB's 5 s read timeout
            await bot.send(HOMEWORK, user=parent(2))
        faults = [c.fault for c in bot.api.calls if c.method == "sendMessage" and c.fault]
        assert faults == [429, 502, 502, 500]
        assert len(answered(bot)) == 2 and len(answered(bot, parent(1)["id"])) == 1
        # The timed-out reply was retried; the slow one also arrived late (as it would at Telegram).
        await bot.api.wait_for("sendMessage", lambda c: c["chat_id"] == parent(2)["id"], count=2, timeout=15)
        assert len(answered(bot, parent(2)["id"])) == 2
        assert all(APOLOGY not in r for chat in (PARENT["id"], parent(1)["id"], parent(2)["id"]) for r in bot.replies(chat))
        assert "error while handling an update" not in caplog.text
        assert "retrying" in caplog.text


async def test_polling_survives_5xx_and_429_from_get_updates(config, shipped_service) -> None:
    async with running_bot(config, CachedService(shipped_service)) as bot:
        await bot.send(FEE)  # the poll after this one meets the faults
        bot.api.inject("getUpdates", status=502, times=2)
        bot.api.inject("getUpdates", status=429, retry_after=1)
        await until(lambda: len([c for c in bot.api.calls if c.method == "getUpdates" and c.fault]) == 3, 30, "the failing polls")
        await bot.send(HOMEWORK)
        assert len(answered(bot)) == 2


async def test_the_limiter_queues_every_reply_and_drops_only_the_typing_action() -> None:
    limiter = Limiter(per_second=20, network_retry_delays=(0.01,))
    done: list[str] = []

    async def call(name: str) -> bool:
        done.append(name)
        return True

    async def send(name: str, endpoint: str = "sendMessage", chat_id: int = 1) -> object:
        return await limiter.process_request(call, (name,), {}, endpoint, {"chat_id": chat_id}, None)

    await send("first")
    replies = [asyncio.create_task(send(f"reply {n}")) for n in range(20)]
    await asyncio.sleep(0)  # the replies are waiting for their turn
    assert await send("typing", "sendChatAction") is True  # replies are queuing: left out
    await asyncio.gather(*replies)  # queued, none dropped
    assert sorted(done) == sorted(["first", *(f"reply {n}" for n in range(20))])
    assert limiter.skipped == 1

    group = Limiter(per_second=1000)
    for n in range(11):  # over half of a group's 20 messages a minute
        await group.process_request(call, (f"group {n}",), {}, "sendMessage", {"chat_id": -100}, None)
    await asyncio.sleep(0.01)  # the overall bucket (1,000 a second) is empty again: only the group is busy
    await group.process_request(call, ("typing in the busy group",), {}, "sendChatAction", {"chat_id": -100}, None)
    await group.process_request(call, ("typing elsewhere",), {}, "sendChatAction", {"chat_id": -200}, None)
    assert "typing in the busy group" not in done and "typing elsewhere" in done

    flaky = iter([NetworkError("Bad Gateway"), None])

    async def once_broken(name: str) -> bool:
        error = next(flaky)
        if error:
            raise error
        done.append(name)
        return True

    await limiter.process_request(once_broken, ("retried",), {}, "sendMessage", {"chat_id": 1}, None)
    assert done[-1] == "retried"
    with pytest.raises(BadRequest):  # a bad request is not retried
        await limiter.process_request(bad_request, (), {}, "sendMessage", {"chat_id": 1}, None)


async def bad_request() -> bool:
    raise BadRequest("can't parse entities")


def test_deliveries_hold_the_offset_at_the_oldest_unanswered_update() -> None:
    now = [0.0]
    deliveries = Deliveries(clock=lambda: now[0], stuck_after=100)
    assert deliveries.offset() == 0  # nothing seen: everything Telegram holds
    assert [deliveries.take(i) for i in (5, 6, 7)] == [True, True, True]
    assert deliveries.take(6) is False  # a redelivery of an update being answered
    deliveries.finish(6)
    assert deliveries.offset() == 5  # 6 is done, but 5 is not: nothing is acknowledged
    deliveries.finish(5)
    assert deliveries.offset() == 7
    deliveries.finish(7)
    assert deliveries.offset() == 8 and deliveries.open == 0
    deliveries.take(8)
    now[0] = 150.0  # a handler that never returns does not block the bot for ever
    assert deliveries.offset() == 9


# -- the index ---------------------------------------------------------------------------------


def current_build(config_path: Path) -> Path:
    index_dir = load_config(config_path, env={}).index.dir
    return index_dir / BUILDS / read_current(index_dir)


def run_bot_process(project: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot run` with a token and a Bot API address that is never contacted."""
    env = {**subprocess_env(), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9"}
    return subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(project)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_run_refuses_to_start_on_a_truncated_faiss_file_naming_it(shipped_config: Path, tmp_path: Path) -> None:
    project = copy_project(shipped_config, tmp_path / "project")
    vectors = current_build(project) / VECTORS
    vectors.write_bytes(vectors.read_bytes()[: vectors.stat().st_size // 2])
    done = run_bot_process(project, tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"error: index file {vectors} is unusable" in done.stderr and "truncated" in done.stderr
    assert "Rebuild it with `python -m bot index build`" in done.stderr
    assert TOKEN.split(":")[1] not in done.stderr and "Traceback" not in done.stderr


def test_run_refuses_to_start_on_a_broken_manifest_naming_it(shipped_config: Path, tmp_path: Path) -> None:
    project = copy_project(shipped_config, tmp_path / "project")
    manifest = current_build(project) / MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    done = run_bot_process(project, tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"error: index file {manifest} is unusable: not valid JSON" in done.stderr
    assert "Rebuild it with `python -m bot index build`" in done.stderr


async def test_a_damaged_index_at_reindex_keeps_the_last_good_one_serving(shipped_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_project(shipped_config, tmp_path / "project")
    config = make_config(project, tmp_path)
    service = Service.from_config(load_config(project, env={}), build_if_missing=False)
    loaded = service.pipeline.index.build_id
    # The files on disk get damaged while the bot runs: the index in memory goes on serving.
    on_disk = current_build(project) / VECTORS
    on_disk.write_bytes(on_disk.read_bytes()[:100])
    real_write = build_module.write_build

    def damaged_write(folder: Path, **kwargs: object) -> dict:
        manifest = real_write(folder, **kwargs)
        (folder / VECTORS).write_bytes((folder / VECTORS).read_bytes()[:-16])  # a write that went wrong
        return manifest

    async with running_bot(config, service) as bot:
        await bot.send(FEE)
        assert answered(bot)
        monkeypatch.setattr(build_module, "write_build", damaged_write)
        await bot.send("/reindex", user=ADMIN)
        failed = await bot.api.wait_for("editMessageText", lambda c: "重建失败" in c["text"], timeout=120)
        assert "vectors.faiss" in failed["text"] and "python -m bot index build" in failed["text"] and "旧索引继续服务" in failed["text"]
        assert service.pipeline.index.build_id == loaded and read_current(config.index.dir) == loaded  # the bad build never became current
        await bot.send(HOMEWORK)
        assert len(answered(bot)) == 2
        monkeypatch.setattr(build_module, "write_build", real_write)
        await bot.send("/reindex", user=ADMIN)  # a good rebuild recovers
        await bot.api.wait_for("editMessageText", lambda c: "重建完成" in c["text"], timeout=120)
        assert service.pipeline.index.build_id == read_current(config.index.dir) != loaded
        await bot.send(FEE, user=parent(3))
        assert answered(bot, parent(3)["id"])


KILLED_BUILD = """
import sys
from pathlib import Path
from bot.index.build import build_index
from bot.config import load_config
from tests.helpers_index import HashEmbedder
slow = HashEmbedder(model_id="fake:slow", delay=0.5, marker=Path(sys.argv[2]))
build_index(load_config(sys.argv[1]), embedder=slow, progress=False)
"""


async def test_a_build_killed_half_way_while_the_bot_runs_changes_nothing(shipped_config: Path, tmp_path: Path) -> None:
    project = copy_project(shipped_config, tmp_path / "project")
    config = make_config(project, tmp_path)
    service = Service.from_config(load_config(project, env={}), build_if_missing=False)
    before = read_current(config.index.dir)
    marker = tmp_path / "embedding-started"
    builder = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(project), str(marker)], cwd=REPO, env=subprocess_env(), stderr=subprocess.PIPE)
    try:
        async with running_bot(config, service) as bot:
            await until(lambda: marker.exists() or builder.poll() is not None, 120, "the command-line build to start embedding")
            assert builder.poll() is None, builder.stderr.read().decode()
            builder.send_signal(signal.SIGKILL)
            builder.wait(30)
            assert read_current(config.index.dir) == before
            await bot.send(FEE)
            assert answered(bot)
            await bot.send("/reindex", user=ADMIN)  # the killed builder's lock died with it
            await bot.api.wait_for("editMessageText", lambda c: "重建完成" in c["text"], timeout=120)
            await bot.send(HOMEWORK)
            assert len(answered(bot)) == 2
    finally:
        if builder.poll() is None:
            builder.kill()
            builder.wait()
    assert read_current(config.index.dir) != before
    assert not list((config.index.dir / BUILDS).glob("*.partial"))


# -- the database ------------------------------------------------------------------------------


async def test_a_locked_database_is_logged_and_answering_goes_on(config, shipped_service, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(config.storage.path, salt="s", busy_timeout=0.05)
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="bot.storage.store"):
            async with running_bot(config, CachedService(shipped_service), store=store) as bot:
                await bot.send(FEE)
                reply = bot.api.find("sendMessage")[0]
                assert reply["text"].startswith("<b>答:</b>") and "reply_markup" not in reply.params
        assert "could not log the question" in caplog.text and "database is locked" in caplog.text
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


_real_open = SqliteDatabase.__init__


def refuse_to_write(self: SqliteDatabase, path: Path, **kwargs) -> None:
    """What opening a read-only file for writing does; used as root, who can write anyway."""
    if not kwargs.get("read_only"):
        raise DatabaseError("attempt to write a readonly database")
    _real_open(self, path, **kwargs)


async def test_a_read_only_database_is_logged_and_answering_goes_on(config, shipped_service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    writable = Store(config.storage.path, salt="s")
    writable.set_region(PARENT["id"], "重庆市涪陵区")
    writable.close()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        monkeypatch.setattr(SqliteDatabase, "__init__", refuse_to_write)  # the read-only connection (mode=ro) is real
    else:
        for path in config.storage.path.parent.iterdir():
            path.chmod(0o444)
        config.storage.path.parent.chmod(0o555)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.storage.store"):
            store = Store(config.storage.path, salt="s")
            assert store.available and store.record_vote("x", 1, 1) is Vote.FAILED
            async with running_bot(config, CachedService(shipped_service), store=store) as bot:
                await bot.send(FEE)
                assert bot.service.asked == [(FEE, "重庆市涪陵区")]  # settings are still read
                assert answered(bot)
        assert "cannot be written" in caplog.text and "readonly" in caplog.text
    finally:
        config.storage.path.parent.chmod(0o755)


# -- restarts ----------------------------------------------------------------------------------


async def test_a_restart_in_the_middle_of_traffic_loses_no_question(shipped_config: Path, tmp_path: Path) -> None:
    api = FakeBotApi()
    await api.start()
    config = write_config(shipped_config, tmp_path)
    bots = []
    try:
        # 1. A crash (SIGKILL) while Telegram is failing: fetched questions are not yet answered.
        (tmp_path / "run1").mkdir()
        first, _ = await start_bot(config, api, tmp_path / "run1")
        bots.append(first)
        await api.wait_for("deleteWebhook", timeout=120)
        api.inject("sendMessage", status=502, times=100_000)
        ids = [api.push_message(q, user=parent(n)) for n, q in enumerate(QUESTIONS)]
        await until(lambda: set(ids) <= set(api.delivered), 60, "the questions to be fetched")
        polls = len(api.poll_offsets)
        await until(lambda: len(api.poll_offsets) > polls and any(c.fault for c in api.calls if c.method == "sendMessage"), 30, "a further poll")
        first.send_signal(signal.SIGKILL)
        assert await first.wait() == -signal.SIGKILL
        assert api.acknowledged < ids[0], "a fetched but unanswered update was acknowledged"
        api.faults.clear()
        # 2. After the restart every question is delivered again and answered.
        (tmp_path / "run2").mkdir()
        second, log_file = await start_bot(config, api, tmp_path / "run2")
        bots.append(second)
        for n in range(len(QUESTIONS)):
            await api.wait_for("sendMessage", lambda c, n=n: c["chat_id"] == parent(n)["id"], timeout=120)
        assert all(api.delivered.count(i) >= 2 for i in ids)
        # 3. A clean stop (SIGTERM) while replies are slow: what was fetched is answered first.
        for _ in range(len(QUESTIONS)):
            api.inject("sendMessage", status=200, delay=1)
        more = [api.push_message(q, user=parent(20 + n)) for n, q in enumerate(QUESTIONS)]
        await until(lambda: set(more) <= set(api.delivered), 60, "the second burst to be fetched")
        assert await stop_bot(second) == 0
        for n in range(len(QUESTIONS)):
            assert api.find("sendMessage", lambda c, n=n: c["chat_id"] == parent(20 + n)["id"]), f"question {n} of the second burst was not answered"
        assert api.acknowledged >= max(more)
        assert "error while handling an update" not in log_file.read_text(encoding="utf-8")
    finally:
        for process in bots:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await api.stop()
