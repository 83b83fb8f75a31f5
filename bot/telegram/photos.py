"""Parents' photos, screenshots and images sent as files: read the notice, answer from the reports.

A photo in a private chat is read (OCR on the bot's one OCR thread, off the event loop),
then answered: what was read (title and the lines that matter), the question (the caption,
else one inferred from the notice), a fee notice's amounts beside the reports' figures, and
the usual quoted answer with its buttons. A forwarded photo gets the self-contained form a
teacher forwards back; in groups only photos that mention the bot (or a mention replying to
a photo) are read. Anything that cannot be read gets a friendly reply and only a
question-log entry is kept.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable

from telegram import Document, Message, PhotoSize, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import filters

from bot import metrics
from bot.answering.notice import NoticeAnswer
from bot.answering.redaction import has_marks, unredact
from bot.errors import ImageError, OcrError
from bot.records import Script
from bot.telegram.handlers import (
    EXAMPLES,
    SLOW_DOWN,
    addressed_to_bot,
    answer_keyboard,
    parent_document,
    question_of,
    reply_with_answer,
)
from bot.telegram.render import Block, Span, answer_blocks, excerpt_pages, label, paginate, plain
from bot.telegram.state import Context, answering, blocking, reading, user_script
from bot.text import to_script

log = logging.getLogger(__name__)

MB = 1024 * 1024
TROUBLE = {
    "no_text": "这张图片里我没有读到文字 🤔 请发通知的清晰照片或截图(正对拍摄、光线充足),或直接用文字提问,例如:{example}",
    "not_image": "这个文件不是我能读的图片 🙏 请直接发照片或截图(JPG、PNG、WebP),或用文字提问,例如:{example}",
    "damaged": "这张图片好像不完整或已损坏,我打不开 😔 请重新拍一张或重新截图再发。",
    "empty": "这张图片好像不完整或已损坏,我打不开 😔 请重新拍一张或重新截图再发。",
    "too_large": "这张图片太大了,我读不了 🙏 请以“照片”方式发送(不要发原图文件),或截图后再发,也可以直接用文字提问。",
    "busy": "正在识别的图片比较多,请过一分钟再发一次 🙏",
    "failed": "抱歉,图片识别暂时出了问题,请稍后再试,或直接用文字提问,例如:{example}",
    "download": "抱歉,这张图片没能下载下来,请再发一次。",
}
STICKER = "收到您的表情 😊 我能读懂文字问题,也能读通知的照片和截图。请直接输入问题,例如:{example}"
READ_HEAD = "📷 我从图片中读到:"
NO_QUESTION = "这是一份我认不出类型的通知。请告诉我您想问什么(可以回复这张图片提问),例如:{example}"
INFERRED = "您没有写问题,我按通知内容回答:"
FEES_HEAD = "💰 金额对照"
FEES_NOTE = "各地标准不同,请向当地教育局核实。"
HIDDEN = "(“原文隐去”处的数额,报告原文已把它隐去。)"
NONE_PER = "现有报告中没有找到按{per}计的收费标准。"
OTHERS = "报告中的其他收费标准:"
AD_HEAD = "广告提到:"


class _RepliesToImage(filters.MessageFilter):
    """A message that replies to a photo or an image file."""

    def filter(self, message: Message) -> bool:
        return _image_of(message.reply_to_message) is not None if message.reply_to_message else False


REPLIES_TO_IMAGE = _RepliesToImage(name="RepliesToImage")
IMAGES = filters.PHOTO | filters.Document.IMAGE


def _image_of(message: Message | None) -> PhotoSize | Document | None:
    """The largest photo size, or an image document, of a message."""
    if message is None:
        return None
    if message.photo:
        return max(message.photo, key=lambda size: size.width * size.height)
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return document
    return None


async def photo_question(update: Update, context: Context) -> None:
    """A photo or image file in a private chat: read it and answer (forwardable when forwarded)."""
    message = update.effective_message
    await answer_image(update, context, message, question_of(message, context.bot.username), forwardable=message.forward_origin is not None)


async def reply_to_image(update: Update, context: Context) -> None:
    """A question written as a reply to a photo (private chat): read that photo, answer the question."""
    message = update.effective_message
    await answer_image(update, context, message.reply_to_message, question_of(message, context.bot.username), forwardable=False)


async def group_image(update: Update, context: Context) -> None:
    """In groups: a photo whose caption mentions the bot, or a mention that replies to a photo."""
    message = update.effective_message
    if not addressed_to_bot(message, context.bot.id, context.bot.username):
        return
    source = message if _image_of(message) is not None else message.reply_to_message
    await answer_image(update, context, source, question_of(message, context.bot.username), forwardable=False)


async def parent_file(update: Update, context: Context) -> None:
    """A document from someone who may not add reports: an image is read like a photo."""
    if _image_of(update.effective_message) is not None:
        await photo_question(update, context)
    else:
        await parent_document(update, context)


async def sticker(update: Update, context: Context) -> None:
    """A sticker: a friendly word and what the bot can read."""
    script = await user_script(context, update.effective_user)
    await update.effective_message.reply_text(plain(label(STICKER.format(example=EXAMPLES[0]), script)))


async def answer_image(update: Update, context: Context, source: Message | None, caption: str, *, forwardable: bool) -> None:
    """Download, read (OCR pool), answer (answer pool) and reply; every failure is a friendly reply."""
    config, service, store = context.bot_data.ready()
    message, user, state = update.effective_message, update.effective_user, context.bot_data
    image = _image_of(source)
    allowed, warn = state.guard.check(user.id)
    if not allowed:
        if warn:
            await message.reply_text(plain(label(SLOW_DOWN, await user_script(context, user, caption))))
        return
    script = await user_script(context, user, caption)
    settings = await blocking(store.settings, user.id)
    kind = "photo-forward" if forwardable else "photo"

    async def trouble(problem: str) -> None:
        """A friendly reply; a caption is then answered as a text question (nothing else is kept)."""
        await message.reply_text(plain(label(TROUBLE[problem].format(example=EXAMPLES[0]), script)))
        if caption:
            state.guard.refund(user.id)
            await reply_with_answer(update, context, caption, forwardable=forwardable)
        else:
            await blocking(store.log_question, user.id, "[图片]", kind=kind, abstained=True, confidence=0.0, region=settings.region)

    limit = int(config.ocr.max_image_mb * MB)
    if image is None:
        await trouble("not_image")
        return
    if image.file_size is not None and image.file_size > limit:
        await trouble("too_large")
        return
    if state.ocr_waiting >= config.ocr.queue:
        await trouble("busy")
        return
    state.ocr_waiting += 1
    try:
        try:
            await message.reply_chat_action(ChatAction.TYPING)
        except TelegramError as exc:  # the typing hint is cosmetic
            log.debug("typing action failed: %s", exc)
        try:
            data = bytes(await (await context.bot.get_file(image.file_id)).download_as_bytearray())
        except TelegramError as exc:
            log.info("could not download a photo: %s", exc)
            await trouble("download")
            return
        if len(data) > limit:
            await trouble("too_large")
            return
        try:
            notice = await reading(context, service.read_notice, data)
        except ImageError as exc:
            log.info("unreadable image (%s): %s", exc.kind, exc.reason)
            await trouble(exc.kind if exc.kind in TROUBLE else "damaged")
            return
        except OcrError as exc:
            log.error("OCR failed: %s", exc)
            await trouble("failed")
            return
    finally:
        state.ocr_waiting -= 1
    started = time.perf_counter()
    result = await answering(context, service.answer_notice, notice, caption, region=settings.region, script=script)
    metrics.ANSWER_SECONDS.observe(time.perf_counter() - started)
    await _reply(update, context, result, script, forwardable, kind, settings.region)


async def _reply(update: Update, context: Context, result: NoticeAnswer, script: Script, forwardable: bool, kind: str, region: str | None) -> None:
    config, _, store = context.bot_data.ready()
    message, user = update.effective_message, update.effective_user
    answer = result.answer
    if answer is not None:
        script = answer.script
    blocks = notice_blocks(result, script)
    if forwardable:
        head: Block = (Span(label("❓ 家长发来的图片和问题:", script), "b"), Span("\n"), Span(result.question or label("(没有文字问题)", script), "blockquote"))
        tail: list[Block] = [(Span(label("—— 双减问答助手 @", script) + context.bot.username, "i"),)]
        for part in paginate([head, *blocks, *tail]):
            await message.reply_html(part)
        await _log(store, user.id, result, kind, region, None)
        return
    parts = paginate(blocks)
    answer_id, markup = None, None
    if answer is not None:
        pages = [parts[-1], *excerpt_pages(answer, config.answer.max_excerpts or 2)]
        answer_id = secrets.token_urlsafe(9)
        if await blocking(store.save_pages, answer_id, pages, answer.script):
            markup = answer_keyboard(answer_id, 0, len(pages), answer.script)
        else:
            answer_id = None
    for n, part in enumerate(parts):
        await message.reply_html(part, reply_markup=markup if n == len(parts) - 1 else None)
    await _log(store, user.id, result, kind, region, answer_id)


async def _log(store: object, user_id: int, result: NoticeAnswer, kind: str, region: str | None, answer_id: str | None) -> None:
    answer = result.answer
    abstained = answer is None or answer.abstained
    metrics.QUESTIONS.labels(kind=kind).inc()  # counted like text questions (bot.telegram.handlers._log)
    if abstained:
        metrics.REFUSALS.inc()
    await blocking(
        store.log_question,  # type: ignore[attr-defined]
        user_id,
        f"[图片] {result.question}".strip(),
        kind=kind,
        abstained=abstained,
        confidence=answer.confidence if answer is not None else 0.0,
        region=region,
        answer_id=answer_id,
        tentative=answer is not None and answer.tentative,
    )


def notice_blocks(result: NoticeAnswer, script: Script) -> list[Block]:
    """What was read, the question, the fee comparison or the ad's details, then the answer."""
    notice = result.notice

    def say(text: str) -> str:
        return to_script(text, script)

    read: list[Span] = [Span(label(READ_HEAD, script), "b")]
    if notice.title:
        read += [Span("\n"), Span(notice.title, "b")]
    if notice.key_lines:
        read += [Span("\n"), Span("\n".join(notice.key_lines), "blockquote")]
    blocks: list[Block] = [tuple(read)]
    if notice.kind == "training" and (notice.subjects or notice.times):
        details = "、".join(notice.subjects) + ("(学科类)" if notice.subjects else "")
        if notice.times:
            details += (";" if details else "") + "上课时间:" + "、".join(notice.times)
        blocks.append((Span(label(AD_HEAD, script), "b"), Span(say(details))))
    if result.comparisons:
        blocks.append(_fee_block(result, say))
    if result.answer is None:
        blocks.append((Span(label(NO_QUESTION.format(example=EXAMPLES[0]), script)),))
        return blocks
    if result.inferred:
        blocks.append((Span(label(INFERRED, script)), Span(result.answer.question, "b")))
    return blocks + answer_blocks(result.answer)


def _fee_block(result: NoticeAnswer, to: Callable[[str], str]) -> Block:
    """Each quoted report clause once, after the notice amounts charged per the same unit."""
    spans: list[Span] = [Span(to(FEES_HEAD), "b")]
    by_quotes: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for comparison in result.comparisons:
        by_quotes.setdefault(comparison.quotes, []).append(comparison.amount.describe())
    hidden = False
    for quotes, amounts in by_quotes.items():
        said = to("通知写的是" + "、".join(amounts))
        if not quotes:
            pers = "、".join(dict.fromkeys(c.amount.per for c in result.comparisons if c.quotes == quotes))
            spans += [Span("\n• " + said + to(";" + NONE_PER.format(per=pers)))]
            continue
        spans += [Span("\n• " + said + to(";"))]
        by_region: dict[str, list[str]] = {}
        for region, quote in quotes:
            by_region.setdefault(region, []).append(unredact(quote))
            hidden = hidden or has_marks(quote)
        for region, said_there in by_region.items():
            spans.append(Span(to(f"{region}的报告写道:")))
            for n, quote in enumerate(said_there):
                spans += [Span(";" if n else ""), Span(f"“{quote}”", "i")]
            spans.append(Span(to("。")))
    if result.other_figures and any(not c.quotes for c in result.comparisons):
        spans += [Span("\n" + to(OTHERS))]
        for region, quote in result.other_figures[:2]:
            spans += [Span(to(f"{region}:")), Span(f"“{unredact(quote)}”", "i"), Span(" ")]
            hidden = hidden or has_marks(quote)
    if hidden:
        spans.append(Span("\n" + to(HIDDEN)))
    spans.append(Span("\n" + to(FEES_NOTE)))
    return tuple(spans)
