"""Staff and admin commands over the fake Bot API: /faq, /faq_pending, /reindex, /stats,
/unanswered, and polite refusals for everyone else."""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import BuildBusyError
from bot.index.build import BuildReport
from bot.service import Service
from bot.storage import admin
from bot.storage.logins import Logins
from bot.telegram import admin as telegram_admin
from tests.fake_bot_api import PARENT
from tests.telegram_support import ADMIN, STAFF, CachedService, SpyService, copy_project, make_config, running_bot

FAQ_QUESTION = "学校的课后服务每天几点结束?"
FAQ_ANSWER = "本校课后服务于17:30结束,如需延时请联系班主任。"


@pytest.fixture
def config(shipped_config: Path, tmp_path: Path):
    return make_config(shipped_config, tmp_path)


@pytest.fixture
async def bot(config, shipped_service):
    async with running_bot(config, SpyService(shipped_service)) as harness:
        yield harness


async def test_parents_are_politely_refused_admin_and_staff_commands(bot) -> None:
    for command in ("/reindex", "/stats", "/unanswered", "/faq_pending"):
        await bot.send(command)
    await bot.send(f"/faq {FAQ_QUESTION} | {FAQ_ANSWER}")
    replies = bot.replies()
    assert replies[:4] == ["抱歉,这个命令只有管理员可以使用。"] * 4
    assert replies[4].startswith("抱歉,只有学校工作人员可以使用这个命令")
    assert bot.service.rebuilds == 0 and admin.pending_faqs(bot.store) == []
    await bot.send(f"/faq {FAQ_QUESTION} | {FAQ_ANSWER}", user=STAFF)  # staff may propose ...
    await bot.send("/stats", user=STAFF)  # ... but not administer
    assert bot.replies(STAFF["id"])[-1] == "抱歉,这个命令只有管理员可以使用。"


async def test_staff_propose_and_an_admin_approves_into_the_faq_file(shipped_config: Path, shipped_service, tmp_path: Path) -> None:
    project = copy_project(shipped_config, tmp_path / "project")
    config = make_config(project, tmp_path)
    faq_file = config.corpus.faq
    before = faq_file.read_text(encoding="utf-8")
    async with running_bot(config, CachedService(shipped_service)) as bot:
        await bot.send(f"/faq {FAQ_QUESTION} | {FAQ_ANSWER}", user=STAFF)
        assert bot.replies(STAFF["id"])[-1].startswith("已提交常见问题 #1")
        notice = bot.api.last_sent(ADMIN["id"])  # admins hear about it at once
        assert FAQ_QUESTION in notice["text"]
        await bot.send("/faq_pending", user=ADMIN)
        card = bot.api.last_sent(ADMIN["id"])
        buttons = {b["text"]: b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row}
        assert buttons == {"✅ 批准": "fa:1", "❌ 拒绝": "fr:1"}
        await bot.processed(bot.api.push_callback("fa:1", card, user=PARENT))  # a parent pressing it: refused
        assert bot.api.find("answerCallbackQuery")[-1]["show_alert"] is True
        assert faq_file.read_text(encoding="utf-8") == before
        await bot.processed(bot.api.push_callback("fa:1", card, user=ADMIN))
        assert "已批准" in bot.api.last_sent(ADMIN["id"])["text"]
        await bot.processed(bot.api.push_callback("fa:1", card, user=ADMIN))  # a second press changes nothing
        assert bot.api.find("answerCallbackQuery")[-1]["text"] == "这条已经处理过了"
    text = faq_file.read_text(encoding="utf-8")
    assert text.startswith(before)  # the admins' comments are kept
    [entry] = tomllib.loads(text)["faq"]
    assert (entry["question"], entry["answer"], entry["author"]) == (FAQ_QUESTION, FAQ_ANSWER, STAFF["first_name"])


async def test_faq_usage_errors_and_rejection(bot) -> None:
    await bot.send("/faq 只有问题没有答案", user=STAFF)
    assert bot.replies(STAFF["id"])[-1].startswith("用法:/faq 问题 | 答案")
    await bot.send("/faq 问题甲 | 答案甲", user=STAFF)
    await bot.send("/faq_pending", user=ADMIN)
    card = bot.api.last_sent(ADMIN["id"])
    await bot.processed(bot.api.push_callback("fr:1", card, user=ADMIN))
    assert bot.api.last_sent(ADMIN["id"])["text"].endswith("❌ 已拒绝")
    await bot.send("/faq_pending", user=ADMIN)
    assert bot.replies(ADMIN["id"])[-1] == "没有待审核的常见问题。"


async def test_stats_and_unanswered_report_questions_and_feedback(bot) -> None:
    for question in ("课后服务怎么收费?", "今天天气怎么样", "今天天气怎么样"):
        await bot.send(question)
    answer = next(m for m in bot.api.sent_to(PARENT["id"]) if m.get("reply_markup") and "答:" in m["text"])
    down = next(b["callback_data"] for row in answer["reply_markup"]["inline_keyboard"] for b in row if b["callback_data"].endswith(":-"))
    await bot.processed(bot.api.push_callback(down, answer))
    await bot.send("/stats", user=ADMIN)
    stats = bot.replies(ADMIN["id"])[-1]
    assert "今天提问:3" in stats and "累计提问:3" in stats and "未能回答:2(占 67%)" in stats and "👎 1" in stats
    await bot.send("/unanswered", user=ADMIN)
    lines = bot.replies(ADMIN["id"])[-1].splitlines()
    assert lines[1] == "1. 今天天气怎么样 ×2(未答 2,👎 0)"
    assert lines[2] == "2. 课后服务怎么收费? ×1(未答 0,👎 1)"


async def test_thanks_and_whose_rule_it_was_are_not_counted_unanswered(bot) -> None:
    for message in ("课后服务怎么收费?", "这是哪里的规定", "谢谢"):
        await bot.send(message)
    assert bot.replies(PARENT["id"])[-2].startswith("上面的回答引用的是") and bot.replies(PARENT["id"])[-1].startswith("不客气")
    await bot.send("/stats", user=ADMIN)
    assert "未能回答:0" in bot.replies(ADMIN["id"])[-1]


async def test_reindex_rebuilds_in_the_background_and_the_new_index_serves(shipped_config: Path, tmp_path: Path) -> None:
    project = copy_project(shipped_config, tmp_path / "project")
    config = make_config(project, tmp_path)
    service = Service.from_config(load_config(project, env={}), build_if_missing=False)
    async with running_bot(config, service) as bot:
        await bot.send(f"/faq {FAQ_QUESTION} | {FAQ_ANSWER}", user=STAFF)
        await bot.send("/faq_pending", user=ADMIN)
        await bot.processed(bot.api.push_callback("fa:1", bot.api.last_sent(ADMIN["id"]), user=ADMIN))
        await bot.send(FAQ_QUESTION)
        assert FAQ_ANSWER not in bot.replies()[-1]  # approved, but not live before the rebuild
        first = bot.api.push_message("/reindex", user=ADMIN)
        second = bot.api.push_message("/reindex", user=ADMIN)
        await bot.processed(first)
        await bot.processed(second)
        done = await bot.api.wait_for("editMessageText", lambda c: "重建完成" in c["text"], timeout=120)
        assert "新索引已生效" in done["text"]
        replies = bot.replies(ADMIN["id"])
        assert replies.count("已有一个重建任务正在进行,请等它完成后再试。") == 1
        assert sum("重建完成" in r for r in replies) == 1
        await bot.send(FAQ_QUESTION)
        assert FAQ_ANSWER in bot.replies()[-1]  # swapped in without a restart
        assert not bot.app.bot_data.rebuilding


async def test_a_failed_rebuild_says_why_and_the_old_index_keeps_serving(shipped_config: Path, tmp_path: Path) -> None:
    project = copy_project(shipped_config, tmp_path / "project")
    config = make_config(project, tmp_path)
    service = Service.from_config(load_config(project, env={}), build_if_missing=False)
    (project.parent / "corpus" / "documents.toml").write_text("this is [not valid toml", encoding="utf-8")
    async with running_bot(config, service) as bot:
        await bot.send("/reindex", user=ADMIN)
        failed = await bot.api.wait_for("editMessageText", lambda c: "重建失败" in c["text"], timeout=120)
        assert "documents.toml" in failed["text"] and "旧索引继续服务" in failed["text"]
        await bot.send("课后服务怎么收费?")
        assert bot.replies()[-1].startswith("<b>答:</b>")
        await bot.send("/reindex", user=ADMIN)  # the flag was released: a retry is allowed
        await bot.api.wait_for("editMessageText", lambda c: "重建失败" in c["text"], count=2, timeout=120)


class ScriptedRebuild(CachedService):
    """The shared real service, with a rebuild that reports progress and then waits for the test."""

    def __init__(self, service, outcome: BuildReport | Exception) -> None:  # noqa: ANN001
        super().__init__(service)
        self.outcome = outcome
        self.go = threading.Event()

    def rebuild(self, progress=None):  # noqa: ANN001, ANN201
        progress(5, 10)
        self.go.wait(30)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


async def test_reindex_edits_a_progress_message_as_it_goes(config, shipped_service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telegram_admin, "PROGRESS_EVERY", 0.05)
    report = BuildReport("b1", Path("b1"), documents=5, passages=120, embedded=7, reused=113, seconds=1.5)
    service = ScriptedRebuild(shipped_service, report)
    async with running_bot(config, service) as bot:
        await bot.send("/reindex", user=ADMIN)
        status = bot.api.last_sent(ADMIN["id"])
        progress = await bot.api.wait_for("editMessageText", lambda c: "5/10" in c["text"])
        assert progress["message_id"] == status["message_id"]
        service.go.set()
        done = await bot.api.wait_for("editMessageText", lambda c: "重建完成" in c["text"])
        assert "5 篇文档,120 段,新计算 7 段向量,复用 113" in done["text"]
        assert len(bot.api.find("editMessageText", lambda c: "5/10" in c["text"])) == 1  # unchanged progress is not re-sent


async def test_reindex_while_a_command_line_build_runs_is_refused(config, shipped_service) -> None:
    service = ScriptedRebuild(shipped_service, BuildBusyError("an index rebuild is already running."))
    service.go.set()
    async with running_bot(config, service) as bot:
        await bot.send("/reindex", user=ADMIN)
        await bot.api.wait_for("editMessageText", lambda c: "另一个重建" in c["text"])
        await bot.send("课后服务怎么收费?")
        assert bot.replies()[-1].startswith("<b>答:</b>")


async def test_console_links_go_to_staff_and_admins_in_private_chats_only(bot) -> None:
    await bot.send("/console")
    assert bot.replies()[-1] == "抱歉,只有学校工作人员可以使用这个命令。如需添加常见问题,请联系管理员。"
    group = {"id": -100123, "type": "supergroup", "title": "家长群"}
    await bot.send("/console", user=ADMIN, chat=group)
    assert "私聊" in bot.api.last_sent(group["id"])["text"]
    for user in (ADMIN, STAFF):
        await bot.send("/console", user=user)
        sent = [c for c in bot.api.calls if c.method == "sendMessage" and c.get("chat_id") == user["id"]][-1]
        assert "一次性登录链接" in sent["text"] and sent["link_preview_options"]["is_disabled"]  # no preview fetches it
        token = sent["text"].split("token=", 1)[1].split('"', 1)[0]
        assert Logins(bot.store).peek(token)[0] == user["id"]
    rows = bot.store.read("t", "SELECT COUNT(*) FROM console_links", ())
    assert rows == [(2,)]  # nothing minted for the parent or in the group
