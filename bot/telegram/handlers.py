"""Parents' side of the bot: greeting, help, questions (private, group, forwarded, inline),
the 👍/👎 and "more" buttons, the /region choice and the hint for non-text messages.

Each handler is one small function; `bot.telegram.app.build_application` wires them.
Answering (`answering`) and storage (`blocking`) run in worker threads, never on the event
loop. User text is cleaned (`clean_user_text`) before it is asked, logged or echoed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    KeyboardButton,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError

from bot import metrics
from bot.records import Answer, Script
from bot.storage.store import Store, Vote
from bot.telegram import conversation
from bot.telegram.render import clean_user_text, excerpt_pages, inline_cards, label, plain, render_answer, render_forwardable
from bot.telegram.state import Context, answering, blocking, user_script
from bot.text import detect_script, to_script, to_simplified

log = logging.getLogger(__name__)

MAX_QUESTION = 1000  # characters passed to the answer pipeline
TOPICS = {  # keyboard label -> the question it asks (each one answered from the shipped reports)
    "课后服务收费": "课后服务怎么收费?",
    "作业时长": "书面作业时间有什么规定?",
    "举报投诉电话": "举报投诉电话是多少?",
    "校外培训": "校外培训机构怎么监管?",
}
EXAMPLES = ("课后服务怎么收费?", "作业量有什么要求?", "违规培训怎么举报?")
GREETING = "您好!我是双减问答助手 🤖\n我从各区县公开的“双减”工作报告中摘录原文回答您的问题,并注明出处。\n\n您可以这样问:\n{examples}\n\n也可以点下方的话题按钮,或用 /region 选择您所在的地区。"
HELP = (
    "直接输入问题即可,我会引用报告原文并注明出处;每条回答下可点 👍/👎 评价,点“更多摘录”查看更多相关原文。\n\n"
    "/region 选择您所在的地区,回答会优先引用该地区的报告\n"
    "/ask 问题 在群里提问(群里也可以 @我 或回复我的消息)\n"
    "在任何聊天中输入 @{bot} 问题,可以把回答卡片发到当前聊天\n"
    "把家长的消息转发给我,我会给出可以直接转发回家长群的完整回答。\n\n"
    "各地规定不尽相同,具体请以当地教育局的规定为准。"
)
HINT = "我只能读懂文字和图片 📝 请直接输入您的问题,或发通知的照片、截图,例如:{example}"
SLOW_DOWN = "您提问有点快了 🙏 请稍等一分钟再问。"
VOTE_THANKS = {Vote.RECORDED: "谢谢您的反馈!", Vote.DUPLICATE: "您已经评价过这条回答了。", Vote.FAILED: "暂时无法记录反馈,请稍后再试。"}
EXPIRED = "这条回答已过期,请重新提问。"
ANY_REGION = "不限地区"
VOTE_DATA = re.compile(r"^v:([A-Za-z0-9_-]{6,16}):([+-])$")
MORE_DATA = re.compile(r"^m:([A-Za-z0-9_-]{6,16}):(\d{1,3})$")
REGION_DATA = re.compile(r"^r:([0-9a-f]{10}|\*)$")


def region_key(region: str) -> str:
    """Short stable id of a region name for callback data (Telegram allows 64 bytes)."""
    return hashlib.blake2s(region.encode("utf-8"), digest_size=5).hexdigest()


def topics_keyboard(script: Script) -> ReplyKeyboardMarkup:
    names = [label(t, script) for t in TOPICS]
    rows = [[KeyboardButton(n) for n in names[:2]], [KeyboardButton(n) for n in names[2:]]]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True, input_field_placeholder=label("输入您的问题…", script))


def answer_keyboard(answer_id: str, page: int, pages: int, script: Script) -> InlineKeyboardMarkup:
    """👍/👎, and the paging buttons when there are further excerpts."""
    rows = [[InlineKeyboardButton(label("👍 有帮助", script), callback_data=f"v:{answer_id}:+"), InlineKeyboardButton(label("👎 没帮助", script), callback_data=f"v:{answer_id}:-")]]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(label("◀ 回到答案" if page == 1 else "◀ 上一页", script), callback_data=f"m:{answer_id}:{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton(label("更多摘录 ▶", script) + f" {page + 1}/{pages - 1}", callback_data=f"m:{answer_id}:{page + 1}"))
    return InlineKeyboardMarkup(rows + ([nav] if nav else []))


def question_of(message: Message, bot_username: str) -> str:
    """The message's text or caption without our @mention, trimmed to MAX_QUESTION."""
    text = clean_user_text(message.text or message.caption or "")
    if bot_username:
        text = re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE)
    text = " ".join(text.split())
    topic = TOPICS.get(to_simplified(text))
    if topic:
        text = to_script(topic, detect_script(text))
    return text[:MAX_QUESTION]


def addressed_to_bot(message: Message, bot_id: int, bot_username: str) -> bool:
    """In a group: does the message mention us or reply to one of our messages?"""
    reply = message.reply_to_message
    if reply and reply.from_user and reply.from_user.id == bot_id:
        return True
    entities = message.parse_entities() if message.text else message.parse_caption_entities()
    for entity, text in entities.items():
        if entity.type == MessageEntity.MENTION and text.lower() == f"@{bot_username}".lower():
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
    return False


async def start(update: Update, context: Context) -> None:
    """Greet with three example questions and the topic keyboard (private chats)."""
    message = update.effective_message
    script = await user_script(context, update.effective_user)
    examples = "\n".join(f"• {e}" for e in EXAMPLES)
    private = message.chat.type == ChatType.PRIVATE
    await conversation.forget(context, message)
    await message.reply_text(plain(label(GREETING.format(examples=examples), script)), reply_markup=topics_keyboard(script) if private else None)


async def help_command(update: Update, context: Context) -> None:
    """What the bot does and how to use it."""
    script = await user_script(context, update.effective_user)
    await update.effective_message.reply_text(plain(label(HELP, script).format(bot=context.bot.username)))


async def ask_command(update: Update, context: Context) -> None:
    """/ask 问题: answer the question given after the command (works in groups)."""
    message = update.effective_message
    question = " ".join(clean_user_text(message.text or "").split()[1:])
    if not question:
        script = await user_script(context, update.effective_user)
        await message.reply_text(plain(label("请在 /ask 后面写上问题,例如:/ask 课后服务怎么收费?", script)))
        return
    await reply_with_answer(update, context, question[:MAX_QUESTION])


async def private_question(update: Update, context: Context) -> None:
    """A text (or captioned photo) in a private chat is a question."""
    question = question_of(update.effective_message, context.bot.username)
    if question:
        await reply_with_answer(update, context, question)
    else:
        await non_text_hint(update, context)


async def group_question(update: Update, context: Context) -> None:
    """In groups, answer only messages that mention the bot or reply to it."""
    message = update.effective_message
    if not addressed_to_bot(message, context.bot.id, context.bot.username):
        return
    question = question_of(message, context.bot.username)
    if question:
        await reply_with_answer(update, context, question)


async def forwarded_question(update: Update, context: Context) -> None:
    """A forwarded message: answer it in a self-contained form a teacher can forward back."""
    question = question_of(update.effective_message, context.bot.username)
    if question:
        await reply_with_answer(update, context, question, forwardable=True)
    else:
        await non_text_hint(update, context)


async def parent_document(update: Update, context: Context) -> None:
    """A document from someone who may not add reports: handled like a photo (caption or hint)."""
    if update.effective_message.forward_origin:
        await forwarded_question(update, context)
    else:
        await private_question(update, context)


async def non_text_hint(update: Update, context: Context) -> None:
    """Stickers, photos without a caption, voice notes ...: a short hint."""
    script = await user_script(context, update.effective_user)
    await update.effective_message.reply_text(plain(label(HINT.format(example=EXAMPLES[0]), script)))


async def unknown_command(update: Update, context: Context) -> None:
    """A command we do not know: point to /help."""
    script = await user_script(context, update.effective_user)
    await update.effective_message.reply_text(plain(label("没有这个命令。发送 /help 查看用法,或直接输入您的问题。", script)))


async def reply_with_answer(update: Update, context: Context, question: str, *, forwardable: bool = False) -> None:
    """Ask the pipeline (off the loop) and reply: HTML, split when long, with buttons."""
    config, service, store = context.bot_data.ready()
    message, user = update.effective_message, update.effective_user
    allowed, warn = context.bot_data.guard.check(user.id)
    if not allowed:
        if warn:
            await message.reply_text(plain(label(SLOW_DOWN, detect_script(question))))
        return
    try:
        await message.reply_chat_action(ChatAction.TYPING)
    except TelegramError as exc:  # the typing hint is cosmetic
        log.debug("typing action failed: %s", exc)
    settings = await blocking(store.settings, user.id)
    state = None if forwardable else await conversation.state_for(context, message)
    started = time.perf_counter()
    answer = await answering(context, service.ask, question, region=settings.region, state=state)
    metrics.ANSWER_SECONDS.observe(time.perf_counter() - started)
    if settings.script != answer.script:
        await blocking(store.set_script, user.id, answer.script)
    if forwardable:
        for part in render_forwardable(answer, context.bot.username):
            await message.reply_html(part)
        await _log(store, user.id, answer, "forward", settings.region, None)
        return
    parts = render_answer(answer)
    pages = [parts[-1], *excerpt_pages(answer, config.answer.max_excerpts or 2)]
    answer_id = secrets.token_urlsafe(9)
    saved = await blocking(store.save_pages, answer_id, pages, answer.script)
    markup = answer_keyboard(answer_id, 0, len(pages), answer.script) if saved else None  # buttons need the saved pages
    sent = [await message.reply_html(part, reply_markup=markup if n == len(parts) - 1 else None) for n, part in enumerate(parts)]
    await conversation.remember(context, message, answer, sent)
    await _log(store, user.id, answer, message.chat.type, settings.region, answer_id if saved else None)


async def _log(store: Store, user_id: int, answer: Answer, kind: str, region: str | None, answer_id: str | None) -> None:
    metrics.QUESTIONS.labels(kind=str(kind)).inc()
    refused = answer.abstained and not answer.own_reply  # "谢谢", "我们是涪陵的": nothing went unanswered
    if refused:
        metrics.REFUSALS.inc()
    await blocking(store.log_question, user_id, answer.question, kind=str(kind), abstained=refused, confidence=answer.confidence, region=region, answer_id=answer_id, tentative=answer.tentative)


async def vote(update: Update, context: Context) -> None:
    """👍/👎 under an answer: recorded once per user and answer."""
    query = update.callback_query
    answer_id, sign = context.matches[0].groups()
    store = context.bot_data.ready()[2]
    result = await blocking(store.record_vote, answer_id, query.from_user.id, 1 if sign == "+" else -1)
    await query.answer(label(VOTE_THANKS[result], await user_script(context, query.from_user)))


async def more(update: Update, context: Context) -> None:
    """The "more" button: show another page of excerpts by editing the message."""
    query = update.callback_query
    answer_id, page_text = context.matches[0].groups()
    stored = await blocking(context.bot_data.ready()[2].pages, answer_id)
    page = int(page_text)
    if stored is None or page >= len(stored.pages):
        await query.answer(label(EXPIRED, await user_script(context, query.from_user)), show_alert=True)
        return
    await query.answer()
    try:
        await query.edit_message_text(stored.pages[page], reply_markup=answer_keyboard(answer_id, page, len(stored.pages), stored.script))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # a double tap shows the same page: nothing to do
            raise


async def region_command(update: Update, context: Context) -> None:
    """/region [name]: choose the district whose reports answers should prefer."""
    message, user = update.effective_message, update.effective_user
    _, service, store = context.bot_data.ready()
    script = await user_script(context, user)
    regions = service.regions()
    wanted = to_simplified(clean_user_text(" ".join(context.args or [])).strip())
    matches = [r for r in regions if wanted and wanted in r]
    if len(matches) == 1:
        saved = await blocking(store.set_region, user.id, matches[0])
        done = label("已设置地区:", script) + to_script(matches[0], script) if saved else label("暂时无法保存,请稍后再试。", script)
        await message.reply_text(plain(done))
        return
    current = (await blocking(store.settings, user.id)).region or label(ANY_REGION, script)
    choices = matches or regions
    buttons = [[InlineKeyboardButton(to_script(r, script), callback_data=f"r:{region_key(r)}")] for r in choices]
    buttons.append([InlineKeyboardButton(label(ANY_REGION, script), callback_data="r:*")])
    prefix = label("没有找到这个地区。", script) if wanted and not matches else ""
    text = prefix + label("请选择您所在的地区,回答会优先引用该地区的报告。当前:", script) + to_script(current, script)
    await message.reply_text(plain(text), reply_markup=InlineKeyboardMarkup(buttons))


async def region_chosen(update: Update, context: Context) -> None:
    """A /region button: remember the district (or none) and confirm by editing the message."""
    query = update.callback_query
    key = context.matches[0].group(1)
    _, service, store = context.bot_data.ready()
    script = await user_script(context, query.from_user)
    region = None if key == "*" else next((r for r in service.regions() if region_key(r) == key), "")
    if region == "":
        await query.answer(label("这个地区已不在列表中,请重新发送 /region。", script), show_alert=True)
        return
    saved = await blocking(store.set_region, query.from_user.id, region)
    if not saved:
        await query.answer(label("暂时无法保存,请稍后再试。", script), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(plain(label("已设置地区:", script) + to_script(region or label(ANY_REGION, script), script)))


async def stale_button(update: Update, context: Context) -> None:
    """A button whose data we do not recognise (an old message): say so instead of spinning."""
    await update.callback_query.answer(label(EXPIRED, await user_script(context, update.callback_query.from_user)))


async def inline_query(update: Update, context: Context) -> None:
    """`@bot 问题` in any chat: up to five self-contained answer cards."""
    query = update.inline_query
    question = " ".join(clean_user_text(query.query).split())[:MAX_QUESTION]
    if not question:
        script = await user_script(context, query.from_user)
        button = InlineQueryResultsButton(text=label("输入问题,例如:课后服务怎么收费?", script), start_parameter="inline")
        await query.answer([], button=button, cache_time=300)
        return
    if not context.bot_data.inline_guard.check(query.from_user.id)[0]:
        await query.answer([], cache_time=0, is_personal=True)
        return
    _, service, store = context.bot_data.ready()
    region = (await blocking(store.settings, query.from_user.id)).region
    answer = await answering(context, service.ask, question, region=region)
    results = [
        InlineQueryResultArticle(
            id=f"a{n}",
            title=card.title,
            description=card.description,
            input_message_content=InputTextMessageContent(card.html, parse_mode=ParseMode.HTML),
        )
        for n, card in enumerate(inline_cards(answer, context.bot.username, limit=5))
    ]
    await query.answer(results, cache_time=60, is_personal=region is not None)
