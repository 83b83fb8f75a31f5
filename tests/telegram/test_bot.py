"""The parents' side over the fake Bot API: the real Application, the real answer pipeline."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from bot.storage import admin
from bot.storage.store import Store
from bot.telegram.guard import RedactingFilter
from bot.telegram.handlers import EXAMPLES, TOPICS
from bot.text import detect_script
from tests.fake_bot_api import BOT_USERNAME, PARENT, TOKEN
from tests.telegram.test_render import well_formed
from tests.telegram_support import GUARD_LIMIT, CachedService, make_config, running_bot

FEE = "课后服务怎么收费?"
OTHER = {"id": 2002, "is_bot": False, "first_name": "陈爸爸", "language_code": "zh-hant"}
GROUP = {"id": -100555, "type": "supergroup", "title": "三年级二班家长群"}


@pytest.fixture
def config(shipped_config: Path, tmp_path: Path):
    return make_config(shipped_config, tmp_path)


@pytest.fixture
def service(shipped_service) -> CachedService:
    return CachedService(shipped_service)


@pytest.fixture
async def bot(config, service):
    async with running_bot(config, service) as harness:
        yield harness


def data_of(message: dict, prefix: str) -> str:
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    return next(b["callback_data"] for b in buttons if b["callback_data"].startswith(prefix))


async def test_start_greets_with_examples_and_a_persistent_topic_keyboard(bot) -> None:
    await bot.send("/start")
    call = bot.api.find("sendMessage")[-1]
    assert "课后服务怎么收费?" in call["text"] and call["text"].count("• ") == 3
    keyboard = call["reply_markup"]
    assert [[b["text"] for b in row] for row in keyboard["keyboard"]] == [["课后服务收费", "作业时长"], ["举报投诉电话", "校外培训"]]
    assert keyboard["is_persistent"] is True
    published = bot.api.find("setMyCommands", lambda c: "scope" not in c.params)
    assert {c["command"] for c in published[0]["commands"]} == {"start", "help", "region", "ask"}


def test_every_example_and_topic_question_is_answered_from_the_reports(service) -> None:
    for question in (*EXAMPLES, *TOPICS.values()):
        answer = service.ask(question)
        assert not answer.abstained, f"{question!r} is offered to parents but the reports do not answer it"


async def test_help_explains_commands_inline_mode_and_forwarding(bot) -> None:
    await bot.send("/help")
    text = bot.replies()[-1]
    for piece in ("/region", "/ask", f"@{BOT_USERNAME}", "转发"):
        assert piece in text


async def test_a_question_is_answered_in_html_with_typing_source_notice_and_buttons(bot) -> None:
    await bot.send(FEE)
    methods = [c.method for c in bot.api.calls if c.method in ("sendChatAction", "sendMessage")]
    assert methods == ["sendChatAction", "sendMessage"]
    assert bot.api.find("sendChatAction")[0]["action"] == "typing"
    reply = bot.api.find("sendMessage")[0]
    assert reply["parse_mode"] == "HTML" and well_formed(reply["text"])
    assert reply["text"].startswith("<b>答:</b>") and "——《" in reply["text"]
    assert "各地规定不尽相同" in reply["text"]
    data = [b["callback_data"] for b in reply.buttons]
    assert data[0].endswith(":+") and data[1].endswith(":-") and data[2].startswith("m:")
    assert all(len(d.encode()) <= 64 for d in data)
    assert admin.stats(bot.store).questions_total == 1


async def test_a_traditional_question_gets_a_traditional_answer(bot) -> None:
    await bot.send("課後服務怎麼收費?")
    reply = bot.api.find("sendMessage")[0]
    assert detect_script(reply["text"]) == "traditional"
    assert "相關摘錄" in reply["text"]
    assert reply.buttons[0]["text"] == "👍 有幫助"
    await bot.send("/help")  # the user's script is remembered for our own labels
    assert "選擇您所在的地區" in bot.replies()[-1]


async def test_a_topic_button_asks_its_question(bot) -> None:
    await bot.send("作业时长")
    assert bot.service.asked == [("书面作业时间有什么规定?", None)]
    assert "作业" in bot.replies()[-1]


async def test_feedback_is_recorded_once_per_user_and_answer(bot) -> None:
    await bot.send(FEE)
    answer = bot.api.last_sent(PARENT["id"])
    up = data_of(answer, "v:")
    for user in (PARENT, PARENT, OTHER):
        await bot.processed(bot.api.push_callback(up, answer, user=user))
    toasts = [c["text"] for c in bot.api.find("answerCallbackQuery")]
    assert toasts == ["谢谢您的反馈!", "您已经评价过这条回答了。", "謝謝您的反饋!"]
    down = up[:-1] + "-"
    await bot.processed(bot.api.push_callback(down, answer))  # changing one's mind is not a second vote
    stats = admin.stats(bot.store)
    assert (stats.up, stats.down) == (2, 0)


async def test_more_pages_through_excerpts_by_editing_the_message(bot) -> None:
    await bot.send(FEE)
    answer = bot.api.last_sent(PARENT["id"])
    original = answer["text"]
    await bot.processed(bot.api.push_callback(data_of(answer, "m:"), answer))
    edit = bot.api.find("editMessageText")[-1]
    assert edit["message_id"] == answer["message_id"] and edit["text"].startswith("<b>更多摘录</b>")
    assert well_formed(edit["text"]) and edit["text"] != original
    pages = -(-len(bot.service.ask(FEE).extra_excerpts) // 2)  # max_excerpts = 2 per page
    assert pages >= 2, "the fee question should have several pages of further excerpts"
    labels = [b["text"] for b in edit.buttons]
    assert labels == ["👍 有帮助", "👎 没帮助", "◀ 回到答案", f"更多摘录 ▶ 2/{pages}"]
    page = bot.api.last_sent(PARENT["id"])
    await bot.processed(bot.api.push_callback(edit.buttons[3]["callback_data"], page))
    assert [b["text"] for b in bot.api.find("editMessageText")[-1].buttons][2] == "◀ 上一页"
    await bot.processed(bot.api.push_callback(edit.buttons[2]["callback_data"], page))
    assert bot.api.last_sent(PARENT["id"])["text"] == original
    assert len(bot.api.sent_to(PARENT["id"])) == 1  # edited, never re-sent


async def test_an_unknown_or_expired_button_says_so(bot) -> None:
    await bot.send(FEE)
    answer = bot.api.last_sent(PARENT["id"])
    await bot.processed(bot.api.push_callback("m:doesnotexist:1", answer))
    await bot.processed(bot.api.push_callback("something-old", answer))
    assert [c["text"] for c in bot.api.find("answerCallbackQuery")] == ["这条回答已过期,请重新提问。"] * 2
    assert not bot.api.find("editMessageText")


async def test_region_is_chosen_with_buttons_remembered_and_used(bot) -> None:
    await bot.send("/region")
    menu = bot.api.last_sent(PARENT["id"])
    labels = [b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert "重庆市涪陵区" in labels and labels[-1] == "不限地区"
    fuling = next(b["callback_data"] for row in menu["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "重庆市涪陵区")
    await bot.processed(bot.api.push_callback(fuling, menu))
    assert bot.api.last_sent(PARENT["id"])["text"] == "已设置地区:重庆市涪陵区"
    await bot.send(FEE)
    assert bot.service.asked[-1] == (FEE, "重庆市涪陵区")
    await bot.send("/region 云阳")  # a name picks it directly
    assert bot.replies()[-1] == "已设置地区:重庆市云阳县"
    await bot.processed(bot.api.push_callback("r:*", menu))
    await bot.send(FEE)
    assert bot.service.asked[-1] == (FEE, None)


async def test_a_forwarded_message_gets_a_self_contained_forwardable_answer(bot) -> None:
    origin = {"type": "hidden_user", "date": 1700000000, "sender_user_name": "某家长"}
    await bot.send("请问<b>课后服务</b>怎么收费?", forward_origin=origin)
    reply = bot.api.find("sendMessage")[0]
    assert "reply_markup" not in reply.params  # nothing that breaks when forwarded on
    text = reply["text"]
    assert "<blockquote>请问&lt;b&gt;课后服务&lt;/b&gt;怎么收费?</blockquote>" in text
    assert "——《" in text and "各地规定不尽相同" in text and f"@{BOT_USERNAME}" in text
    assert well_formed(text)
    assert admin.stats(bot.store).questions_total == 1


async def test_inline_mode_offers_up_to_five_answer_cards(bot) -> None:
    await bot.processed(bot.api.push_inline(FEE))
    call = bot.api.find("answerInlineQuery")[0]
    results = call["results"]
    assert 1 <= len(results) <= 5
    assert all(r["type"] == "article" for r in results)
    first = results[0]["input_message_content"]
    assert first["parse_mode"] == "HTML" and "——《" in first["message_text"] and well_formed(first["message_text"])
    await bot.processed(bot.api.push_inline("   "))
    empty = bot.api.find("answerInlineQuery")[1]
    assert empty["results"] == [] and empty["button"]["start_parameter"] == "inline"


async def test_in_groups_the_bot_answers_only_when_addressed(bot) -> None:
    teacher = {"id": 3003, "is_bot": False, "first_name": "张老师"}
    await bot.send(FEE, chat=GROUP, user=teacher)
    await bot.send("/ask@another_bot 课后服务怎么收费?", chat=GROUP, user=teacher)
    await bot.send(None, chat=GROUP, user=teacher, sticker={"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1, "is_animated": False, "is_video": False})
    assert bot.api.find("sendMessage") == []
    mention = await bot.send(f"@{BOT_USERNAME} 课后服务怎么收费?", chat=GROUP, user=teacher)
    assert bot.service.asked[-1] == (FEE, None)
    first = bot.api.find("sendMessage")[0]
    assert first["reply_parameters"]["message_id"] == bot.api.updates[mention - 1]["message"]["message_id"]
    ours = bot.api.last_sent(GROUP["id"])
    await bot.send("作业时长呢?", chat=GROUP, user=teacher, reply_to_message=ours)
    await bot.send("/ask 校外培训", chat=GROUP, user=teacher)
    assert [q for q, _ in bot.service.asked] == [FEE, "作业时长呢?", "校外培训"]
    assert len(bot.api.find("sendMessage", lambda c: c["chat_id"] == GROUP["id"])) == 3


async def test_non_text_messages_get_a_hint_and_a_photo_caption_is_a_question(bot) -> None:
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 10, "height": 10}]  # not on the server: cannot be read
    await bot.send(None, voice={"file_id": "v", "file_unique_id": "v", "duration": 3})
    await bot.send(None, location={"latitude": 29.7, "longitude": 107.4})
    assert all(text.startswith("我只能读懂文字") for text in bot.replies())
    await bot.send(None, sticker={"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1, "is_animated": False, "is_video": False})
    assert bot.replies()[-1].startswith("收到您的表情")
    assert bot.service.asked == []
    await bot.send(None, photo=photo, caption=FEE)
    assert bot.service.asked == [(FEE, None)]
    assert bot.replies()[-1].startswith("<b>答:</b>")


async def test_the_per_user_guard_asks_to_slow_down_once(bot) -> None:
    for _ in range(GUARD_LIMIT + 2):
        await bot.send(FEE)
    replies = bot.replies()
    assert sum(r.startswith("<b>答:</b>") for r in replies) == GUARD_LIMIT
    assert replies[GUARD_LIMIT:] == ["您提问有点快了 🙏 请稍等一分钟再问。"]
    await bot.send(FEE, user=OTHER)  # other parents are not affected
    assert bot.replies(OTHER["id"])[-1].startswith("<b>答:</b>")


class GatedService(CachedService):
    """The real service, except that one question waits until the test opens the gate."""

    def __init__(self, service) -> None:  # noqa: ANN001
        super().__init__(service)
        self.gate = threading.Event()

    def ask(self, question, *, region=None, top_k=None, **context):  # noqa: ANN001, ANN003, ANN201
        if question == "慢问题":
            self.gate.wait(30)
        return super().ask(question, region=region, top_k=top_k, **context)


async def test_a_slow_question_does_not_stall_other_parents(config, shipped_service) -> None:
    service = GatedService(shipped_service)
    async with running_bot(config, service) as bot:
        slow = bot.api.push_message("慢问题")
        await bot.send(FEE, user=OTHER)  # answered while the slow one is still blocked
        assert bot.replies(OTHER["id"])[-1].startswith("<b>答:</b>")
        assert bot.replies(PARENT["id"]) == []
        service.gate.set()
        await bot.processed(slow)
        assert len(bot.replies(PARENT["id"])) == 1


async def test_flood_control_is_retried(bot) -> None:
    bot.api.inject("sendMessage", status=429, retry_after=1)
    await bot.send(FEE)
    assert [c.fault for c in bot.api.calls if c.method == "sendMessage"] == [429, None]
    assert bot.replies()[-1].startswith("<b>答:</b>")


async def test_an_error_is_logged_redacted_told_in_one_line_and_the_bot_goes_on(bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RedactingFilter([TOKEN]))
    bot.api.inject("sendMessage", status=400, description=f"Bad Request: can't parse entities in /bot{TOKEN}/sendMessage")
    with caplog.at_level(logging.ERROR):
        await bot.send(FEE)
    assert bot.replies() == ["抱歉,处理您的消息时出了点问题,请稍后再试。"]
    assert "error while handling an update" in caplog.text and "[REDACTED]" in caplog.text
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    await bot.send(FEE)
    assert bot.replies()[-1].startswith("<b>答:</b>")


async def test_edited_messages_are_not_answered_again(bot) -> None:
    for text in (FEE, "/ask 课后服务怎么收费?", "/start"):
        update = bot.api.push({"edited_message": bot.api.message(text, edit_date=1700000000)})
        await bot.processed(update)
    assert bot.api.find("sendMessage") == [] and bot.service.asked == []


async def test_unknown_commands_point_to_help(bot) -> None:
    await bot.send("/whatever")
    assert "/help" in bot.replies()[-1]


async def test_answering_goes_on_when_the_database_is_unusable(config, service, tmp_path: Path) -> None:
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not a database" * 100)
    async with running_bot(config, service, store=Store(broken, salt="s")) as bot:
        await bot.send(FEE)
        reply = bot.api.find("sendMessage")[0]
        assert reply["text"].startswith("<b>答:</b>")
        assert "reply_markup" not in reply.params  # no buttons whose data could not be kept
        await bot.send("/region")
        menu = bot.api.last_sent(PARENT["id"])
        await bot.processed(bot.api.push_callback("r:*", menu))
        assert bot.api.find("answerCallbackQuery")[-1]["text"] == "暂时无法保存,请稍后再试。"
