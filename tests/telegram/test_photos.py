"""Photos over the fake Bot API: photo → getFile → download → OCR → answer, with the real
Application, the real OCR engine and the real answer pipeline (a few small images only)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from bot import metrics
from bot.telegram.photos import FEES_HEAD, FEES_NOTE, READ_HEAD, STICKER, TROUBLE
from bot.text import to_simplified
from tests.fake_bot_api import BOT_USERNAME
from tests.ocr.helpers import encoded, fixture, png_declaring
from tests.telegram.test_render import well_formed
from tests.telegram_support import ADMIN, STAFF, CachedService, copy_project, make_config, running_bot

GROUP = {"id": -100777, "type": "supergroup", "title": "四年级一班家长群"}
TRADITIONAL = {"id": 2002, "is_bot": False, "first_name": "陳爸爸", "language_code": "zh-hant"}
VERDICTS = re.compile(r"违规|违法|不合法|合法|不合理|非法|乱收费")  # the bot quotes; it never judges a notice


@pytest.fixture
def config(shipped_config: Path, tmp_path: Path):
    return make_config(shipped_config, tmp_path, user_questions_per_minute=100)


@pytest.fixture
def service(shipped_service) -> CachedService:
    return CachedService(shipped_service)


@pytest.fixture
async def bot(config, service):
    async with running_bot(config, service) as harness:
        yield harness


def photo(bot, name: str) -> list[dict]:
    data = fixture(name)
    with Image.open(io.BytesIO(data)) as image:
        return bot.api.add_photo(data, *image.size)


def rows(store, sql: str) -> list[tuple]:
    return store.read("test query", sql, ())


def reading_part(text: str) -> str:
    """The reply without the quoted answer: what the bot says about the notice itself."""
    return text.split("<b>答:</b>")[0]


def photo_questions() -> float:
    return metrics.REGISTRY.get_sample_value("shuangjian_questions_total", {"kind": "photo"}) or 0.0


async def test_a_fee_notice_photo_is_read_and_set_beside_the_reports(bot) -> None:
    counted = photo_questions()
    await bot.send(None, photo=photo(bot, "fee_notice_photo.jpg"))
    methods = [c.method for c in bot.api.calls if c.method in ("getFile", "download", "sendChatAction", "sendMessage")]
    assert methods == ["sendChatAction", "getFile", "download", "sendMessage"]
    assert bot.api.find("getFile")[0]["file_id"] == "photo1"  # the full size, not the thumbnail
    [reply] = bot.api.find("sendMessage")
    text = reply["text"]
    assert well_formed(text)
    assert text.startswith(f"<b>{READ_HEAD}</b>\n<b>关于收取课后服务费的通知</b>\n<blockquote>")
    assert f"<b>{FEES_HEAD}</b>" in text and FEES_NOTE in text
    assert "通知写的是每课时3元、每学期120元;某区(匿名)的报告写道:<i>“参加托管服务的学生,按照不高于2元/课时生标准(不得超过(原文隐去)元/学期生)收取课后服务费”</i>;<i>“参加个性化课程的学生," in text
    assert "*" not in text
    assert "通知写的是每月60元;现有报告中没有找到按月计的收费标准。" in text
    assert "您没有写问题,我按通知内容回答:<b>课后服务怎么收费?</b>" in text
    assert "<b>答:</b>" in text and "——《" in text
    assert not VERDICTS.search(reading_part(text))
    assert [b["callback_data"][-2:] for b in reply.buttons][:2] == [":+", ":-"]
    assert bot.service.notices == [("fee", "", None)]
    [logged] = rows(bot.store, "SELECT kind, question, answer_id FROM question_log")
    assert logged[:2] == ("photo", "[图片] 课后服务怎么收费?") and logged[2]
    assert photo_questions() == counted + 1  # /metrics counts photo questions like text ones


async def test_a_per_term_fee_notice_photo_is_read_and_set_beside_the_reports(bot) -> None:
    """Another school's notice, amounts per term (六百元 in words, 50元 in digits) and per day."""
    await bot.send(None, photo=photo(bot, "fee_notice_term.jpg"))
    [reply] = bot.api.find("sendMessage")
    text = reply["text"]
    assert well_formed(text)
    assert text.startswith(f"<b>{READ_HEAD}</b>\n<b>课后延时服务收费告家长书</b>\n<blockquote>")
    quoted = text.split("<blockquote>")[1].split("</blockquote>")[0]
    assert "每学期六百元" in quoted and "每天十元" in quoted and "每学期50元" in quoted
    assert f"<b>{FEES_HEAD}</b>" in text and FEES_NOTE in text
    assert "通知写的是每学期600元、每学期50元;某区(匿名)的报告写道:<i>“参加托管服务的学生,按照不高于2元/课时生标准(不得超过(原文隐去)元/学期生)收取课后服务费”</i>" in text
    assert "通知写的是每天10元;现有报告中没有找到按天计的收费标准。" in text
    assert "*" not in text
    assert "您没有写问题,我按通知内容回答:<b>课后服务怎么收费?</b>" in text
    assert "<b>答:</b>" in text and "——《" in text
    assert not VERDICTS.search(reading_part(text))
    assert bot.service.notices == [("fee", "", None)]
    [logged] = rows(bot.store, "SELECT kind, question FROM question_log")
    assert logged == ("photo", "[图片] 课后服务怎么收费?")


async def test_a_captioned_screenshot_is_answered_in_the_parent_s_script(bot) -> None:
    await bot.send(None, user=TRADITIONAL, photo=photo(bot, "fee_screenshot.png"), caption="這個收費合理嗎?")
    [reply] = bot.replies(TRADITIONAL["id"])
    assert well_formed(reply) and "金額對照" in reply and "讀到" in reply
    simplified = to_simplified(reply)
    assert "通知写的是每课时40元" in simplified and "每月350元" in simplified and "每次15元" in simplified
    assert "按通知内容回答" not in simplified  # the caption is the question
    assert bot.service.notices == [("fee", "這個收費合理嗎?", None)]
    assert not VERDICTS.search(reading_part(simplified))


async def test_a_training_ad_forwarded_by_staff_gets_the_rules_and_every_channel_forwardably(bot) -> None:
    document = bot.api.add_file(fixture("training_ad.jpg"), file_name="广告.jpg", mime_type="image/jpeg")
    origin = {"type": "hidden_user", "date": 1700000000, "sender_user_name": "王妈妈"}
    await bot.send(None, user=STAFF, document=document, forward_origin=origin)
    replies = bot.api.find("sendMessage", lambda c: c["chat_id"] == STAFF["id"])
    text = "".join(c["text"] for c in replies)
    assert all(c.get("reply_markup") is None for c in replies)  # forwardable: no buttons
    assert text.startswith("<b>❓ 家长发来的图片和问题:</b>")
    assert "<b>广告提到:</b>语文、数学、英语(学科类);上课时间:周六、周日、寒假" in text
    lead = text.split("<b>答:</b>")[1].split("——")[0]  # the quoted rule itself
    assert "学科类培训" in lead and ("节假日" in lead or "休息日" in lead)
    assert "12345" in text and "xwpx.emis.edu.cn" in text  # every reporting channel
    assert text.rstrip().endswith(f"@{BOT_USERNAME}</i>")
    [logged] = rows(bot.store, "SELECT kind, question FROM question_log")
    assert logged == ("photo-forward", "[图片] 周末和节假日还能上学科类培训吗?")


async def test_in_groups_a_photo_is_read_only_when_the_bot_is_addressed(bot) -> None:
    teacher = {"id": 3003, "is_bot": False, "first_name": "张老师"}
    ad = photo(bot, "training_ad.jpg")
    shared = await bot.send(None, chat=GROUP, user=teacher, photo=ad)
    assert bot.api.find("getFile") == [] and bot.api.find("sendMessage") == []
    await bot.send(f"@{BOT_USERNAME} 这个能报吗?", chat=GROUP, user=teacher, reply_to_message=bot.api.updates[shared - 1]["message"])
    assert len(bot.api.find("getFile")) == 1
    await bot.send(None, chat=GROUP, user=teacher, photo=ad, caption=f"@{BOT_USERNAME} 周末能上吗")
    assert [caption for _, caption, _ in bot.service.notices] == ["这个能报吗?", "周末能上吗"]
    assert len(bot.api.find("sendMessage", lambda c: c["chat_id"] == GROUP["id"])) == 2


async def test_unreadable_images_get_a_friendly_reply_and_only_a_log_entry(bot) -> None:
    truncated = fixture("fee_notice_photo.jpg")[:20_000]
    cases = [
        ("no_text", {"photo": photo(bot, "no_text.png")}),
        ("too_large", {"document": bot.api.add_file(png_declaring(8_660, 5_800), file_name="notice.png", mime_type="image/png")}),
        ("too_large", {"document": bot.api.add_file(png_declaring(40_000, 40_000), file_name="bomb.png", mime_type="image/png")}),
        ("no_text", {"document": bot.api.add_file(encoded(Image.new("L", (40_000, 3), 255), "PNG"), file_name="strip.png", mime_type="image/png")}),
        ("damaged", {"photo": bot.api.add_photo(truncated, 1200, 1600)}),
        ("not_image", {"document": bot.api.add_file("家长您好".encode(), file_name="通知.jpg", mime_type="image/jpeg")}),
        ("too_large", {"photo": bot.api.add_photo(b"x", 9000, 6000, file_size=30 * 1024 * 1024)}),
    ]
    for _, message in cases:
        await bot.send(None, **message)
    expected = [TROUBLE[kind].format(example="课后服务怎么收费?") for kind, _ in cases]
    assert bot.replies() == expected
    assert len(bot.api.find("download")) == len(cases) - 1  # a file Telegram says is 30 MB is never fetched
    await bot.send(None, sticker={"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False})
    assert bot.replies()[-1] == STICKER.format(example="课后服务怎么收费?")
    assert rows(bot.store, "SELECT kind, question, abstained FROM question_log") == [("photo", "[图片]", 1)] * len(cases)
    for table in ("answers", "feedback", "user_settings", "faq_proposals"):
        assert rows(bot.store, f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    assert bot.service.asked == [] and bot.service.notices == []


async def test_a_caption_is_still_answered_when_its_photo_cannot_be_read(bot) -> None:
    lost = [{"file_id": "gone", "file_unique_id": "gone", "width": 800, "height": 600}]  # getFile fails
    await bot.send(None, photo=lost, caption="课后服务怎么收费?")
    first, second = bot.replies()
    assert first == TROUBLE["download"]
    assert second.startswith("<b>答:</b>") and bot.service.asked == [("课后服务怎么收费?", None)]


async def test_photos_wait_in_a_bounded_queue(config, service, shipped_service) -> None:
    """With the OCR queue full, a parent is asked to send the photo again instead of piling up work."""
    import dataclasses

    full = dataclasses.replace(config, ocr=dataclasses.replace(config.ocr, queue=1))
    async with running_bot(full, service) as bot:
        bot.app.bot_data.ocr_waiting = 1  # one photo is being read
        await bot.send(None, photo=photo(bot, "training_ad.jpg"))
        assert bot.replies() == [TROUBLE["busy"]] and bot.api.find("getFile") == []
        bot.app.bot_data.ocr_waiting = 0
        await bot.send(None, photo=photo(bot, "training_ad.jpg"))
        assert READ_HEAD in bot.replies()[-1]


async def test_an_admin_sends_a_scanned_page_as_a_report(shipped_config: Path, shipped_service, tmp_path: Path) -> None:
    project = copy_project(shipped_config, tmp_path / "project")
    config = make_config(project, tmp_path)
    page = PdfReader(io.BytesIO(fixture("scanned_report.pdf"))).pages[0].images[0].image
    scan = encoded(page, "PNG")
    async with running_bot(config, CachedService(shipped_service)) as bot:
        await bot.send(None, user=ADMIN, document=bot.api.add_file(scan, file_name="示例区报告扫描.png", mime_type="image/png"))
        [reply] = bot.replies(ADMIN["id"])
    assert reply.startswith("✅ 已保存到语料库:示例区报告扫描.png(读出 ") and "其中 1 页是扫描件,经 OCR 识别" in reply
    assert (config.corpus.dir / "示例区报告扫描.png").read_bytes() == scan
    assert len(list((config.index.dir / "cache" / "ocr").rglob("*.json"))) == 1  # the next build reads it from here
