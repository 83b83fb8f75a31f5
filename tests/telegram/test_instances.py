"""Several instances on one database, in webhook mode on the durable queue, against the fake
Bot API: every update answered once whichever instance Telegram posts it to (and however
often), a dead instance's claims taken over without resending what it had sent, a 429 on one
instance pausing all, /healthz /readyz /metrics, and polling with one leader at a time."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.storage.queue import UpdateQueue
from bot.storage.store import Store
from tests.fake_bot_api import PARENT, FakeBotApi
from tests.instance_support import webhook_instance
from tests.telegram.test_faults import until
from tests.telegram_support import CachedService, make_config

FEE = "课后服务怎么收费?"
QUESTIONS = ("课后服务怎么收费?", "书面作业时间有什么规定?", "举报投诉电话是多少?", "校外培训机构怎么监管?", "課後服務怎麼收費?", "托管费按什么标准收")


def parent(n: int) -> dict:
    return {"id": 7000 + n, "is_bot": False, "first_name": f"家长{n}", "language_code": "zh-hans"}


@pytest.fixture
def config(shipped_config: Path, tmp_path: Path):
    return make_config(shipped_config, tmp_path, user_questions_per_minute=100)


@pytest.fixture
async def api():
    api = FakeBotApi()
    await api.start()
    yield api
    await api.stop()


def answers_to(api: FakeBotApi, chat_id: int) -> list[str]:
    return [c["text"] for c in api.find("sendMessage", lambda c: c["chat_id"] == chat_id)]


async def test_two_instances_answer_every_update_once_even_when_telegram_retries(config, shipped_service, api: FakeBotApi, postgres_url: str) -> None:
    service = CachedService(shipped_service)
    async with webhook_instance(config, service, api, postgres_url) as a, webhook_instance(config, service, api, postgres_url) as b:
        updates = [{"update_id": 100 + n, "message": api.message(q, user=parent(n))} for n, q in enumerate(QUESTIONS)]
        for n, update in enumerate(updates):
            assert await (a if n % 2 else b).post(update) == 200
            assert await (b if n % 2 else a).post(update) == 200  # Telegram retried on the other instance
        await until(lambda: a.queue.states().get("done", 0) == len(updates), 60, "every update answered")
        for n in range(len(QUESTIONS)):
            assert len(answers_to(api, parent(n)["id"])) == 1, answers_to(api, parent(n)["id"])
        assert a.queue.states() == {"done": len(updates)}
        assert a.worker.open == 0 and b.worker.open == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_a_dead_instances_update_is_taken_over_and_its_sent_reply_not_repeated(backend: str, config, shipped_service, api: FakeBotApi, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    location = request.getfixturevalue("postgres_url") if backend == "postgres" else tmp_path / "queue.sqlite3"
    # An instance received two updates, claimed them, sent the first one's answer, and died.
    store = Store(location, salt="test-salt")
    dead = UpdateQueue(store.db)
    first = {"update_id": 501, "message": api.message(FEE, user=parent(1))}
    second = {"update_id": 502, "message": api.message("书面作业时间有什么规定?", user=parent(2))}
    dead.enqueue(501, json.dumps(first))
    dead.enqueue(502, json.dumps(second))
    assert len(dead.claim("dead-instance", 10, lease=1.0)) == 2
    dead.record_sent(501, 1, json.dumps({"message_id": 4000, "date": 0, "chat": {"id": parent(1)["id"], "type": "private"}, "text": "已发送的回答"}))
    store.close()
    async with webhook_instance(config, CachedService(shipped_service), api, location, lease=3.0) as alive:
        await until(lambda: alive.queue.states().get("done", 0) == 2, 60, "both updates taken over and finished")
        assert answers_to(api, parent(1)["id"]) == []  # its answer had gone out before the crash: not again
        [answer] = answers_to(api, parent(2)["id"])  # the other one is answered by the new owner
        assert answer.startswith("<b>答:</b>")
        assert alive.queue.replies(502) == 1


async def test_a_429_on_one_instance_pauses_the_whole_bot(config, shipped_service, api: FakeBotApi, postgres_url: str) -> None:
    service = CachedService(shipped_service)
    async with webhook_instance(config, service, api, postgres_url) as a, webhook_instance(config, service, api, postgres_url) as b:
        api.inject("sendMessage", status=429, retry_after=3)
        assert await a.post({"update_id": 601, "message": api.message(FEE, user=parent(1))}) == 200
        await until(lambda: any(c.fault == 429 for c in api.calls), 30, "the 429")

        def paused_for() -> float:
            with b.store.db.transaction() as cur:
                paused_until, now = cur.execute("SELECT paused_until, EXTRACT(EPOCH FROM clock_timestamp()) FROM send_budget").fetchone()
            return float(paused_until) - float(now)

        await until(lambda: paused_for() > 0, 10, "instance a to share the pause")  # instance b sees it too
        assert await b.post({"update_id": 602, "message": api.message(FEE, user=parent(2))}) == 200
        await until(lambda: len(api.find("sendMessage")) == 2, 30, "both answers")
        retried = api.find("sendMessage")
        fault = next(c.at for c in api.calls if c.fault == 429)
        assert all(c.at >= fault + 2.9 for c in retried)  # nobody sent during the pause


async def test_health_readiness_and_metrics(config, shipped_service, api: FakeBotApi, postgres_server, postgres_url: str) -> None:
    from tests.tcp_proxy import TcpProxy

    with TcpProxy(postgres_server.port) as proxy:
        location = postgres_url.replace(f":{postgres_server.port}/", f":{proxy.port}/")
        async with webhook_instance(config, CachedService(shipped_service), api, location) as one:
            assert await one.get("/healthz") == (200, "ok\n")
            status, body = await one.get("/readyz")
            assert status == 200 and '"database": "ok"' in body and shipped_service.pipeline.index.build_id in body
            assert await one.post({"update_id": 701, "message": api.message(FEE)}) == 200
            assert await one.post({"update_id": 702, "message": api.message(FEE)}, secret="wrong") == 403
            await api.wait_for("sendMessage")
            status, text = await one.get("/metrics")
            for name in ("shuangjian_questions_total", "shuangjian_refusals_total", "shuangjian_answer_seconds_bucket", "shuangjian_queue_depth",
                         "shuangjian_queue_oldest_age_seconds", "shuangjian_messages_sent_total", "shuangjian_telegram_429_total", "shuangjian_index_build_seconds_count"):
                assert name in text, name
            proxy.cut()  # the database goes away
            status, body = await one.get("/readyz")
            assert status == 503 and "database" in body
            assert await one.get("/healthz") == (200, "ok\n")  # alive all the same
            # An update arriving now is answered directly rather than lost or refused.
            assert await one.post({"update_id": 703, "message": api.message("书面作业时间有什么规定?")}) == 200
            await api.wait_for("sendMessage", count=2, timeout=30)
            proxy.resume()
            for _ in range(50):  # the pool replaces its dead connections
                status, _ = await one.get("/readyz")
                if status == 200:
                    break
                await asyncio.sleep(0.2)
            assert status == 200


async def test_polling_with_postgresql_has_one_leader_and_a_successor(config, shipped_service, api: FakeBotApi, postgres_server, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.telegram.queue_worker as queue_worker
    from bot.telegram.queue_worker import LeaderPoller

    monkeypatch.setattr(queue_worker, "LEADER_RETRY", 0.3)
    service = CachedService(shipped_service)
    async with webhook_instance(config, service, api, postgres_url) as a, webhook_instance(config, service, api, postgres_url) as b:
        pollers = [LeaderPoller.for_database(one.app, one.queue, one.worker, timeout=1) for one in (a, b)]
        for poller in pollers:
            await poller.start()
        try:
            await until(lambda: sum(p.leading for p in pollers) == 1, 30, "a leader")
            api.push_message(FEE, user=parent(1))
            await until(lambda: len(answers_to(api, parent(1)["id"])) == 1, 60, "the first answer")
            leader = next(p for p in pollers if p.leading)
            postgres_server.kill_connections()  # the database restarts under the leader
            await until(lambda: not leader.leading or sum(p.leading for p in pollers) == 1, 30, "a leader after the restart")
            api.push_message("书面作业时间有什么规定?", user=parent(2))
            await until(lambda: len(answers_to(api, parent(2)["id"])) == 1, 60, "the answer after the restart")
            await asyncio.sleep(1.5)
            assert sum(p.leading for p in pollers) == 1
            assert len(answers_to(api, parent(1)["id"])) == 1 and len(answers_to(api, parent(2)["id"])) == 1  # none twice
            assert api.find("deleteWebhook")
        finally:
            for poller in pollers:
                await poller.stop()
    assert PARENT  # the fake server's default parent is untouched
