"""Staff and admin commands: /faq proposals and their approval, /console login links,
/reindex (command or the button under an uploaded report), /stats, /unanswered.

Every handler here is gated by `requires` (bot.telegram.state), the one place roles are checked.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import threading
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError

from bot.corpus.faq import write_faq
from bot.errors import BotError, BuildBusyError
from bot.roles import Role
from bot.storage import admin as queue
from bot.storage.admin import MAX_FAQ_ANSWER, MAX_FAQ_QUESTION, FaqProposal
from bot.storage.logins import LINK_MINUTES, Logins
from bot.telegram.render import clean_user_text, plain
from bot.telegram.state import BotState, Context, blocking, requires

log = logging.getLogger(__name__)

PROGRESS_EVERY = 3.0  # seconds between progress edits (Telegram throttles edits)
MAX_LISTED_QUESTION = 80  # /unanswered shows 15 questions: keep the list far under 4,096 characters
FAQ_USAGE = "用法:/faq 问题 | 答案(可选:| 适用地区)\n例如:/faq 课后服务几点结束? | 本校课后服务于17:30结束,如需延时请联系班主任。"


def faq_card(p: FaqProposal) -> str:
    """One proposal as HTML for the admin's review."""
    region = f"\n地区:{plain(p.region)}" if p.region else ""
    return f"<b>常见问题 #{p.id}</b>(来自 {plain(p.author)})\n<b>问:</b>{plain(p.question)}\n<b>答:</b>{plain(p.answer)}{region}"


def faq_buttons(proposal_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("✅ 批准", callback_data=f"fa:{proposal_id}"), InlineKeyboardButton("❌ 拒绝", callback_data=f"fr:{proposal_id}")]])


@requires(Role.STAFF)
async def faq_propose(update: Update, context: Context) -> None:
    """/faq 问题 | 答案 [| 地区]: a staff member proposes an FAQ entry for admin approval."""
    message, user = update.effective_message, update.effective_user
    parts = [p.strip() for p in clean_user_text(message.text or "").partition(" ")[2].split("|")]
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        await message.reply_text(plain(FAQ_USAGE))
        return
    question, answer, region = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
    if len(question) > MAX_FAQ_QUESTION or len(answer) > MAX_FAQ_ANSWER:
        await message.reply_text(f"问题最多 {MAX_FAQ_QUESTION} 字,答案最多 {MAX_FAQ_ANSWER} 字,请缩短后重新提交。")
        return
    store = context.bot_data.ready()[2]
    proposal_id = await blocking(queue.propose_faq, store, user.id, clean_user_text(user.full_name), question, answer, region)
    if proposal_id is None:
        await message.reply_text("暂时无法保存,请稍后再试。")
        return
    await message.reply_text(f"已提交常见问题 #{proposal_id},等待管理员审核。批准后在下次重建索引时生效。")
    proposal = await blocking(queue.faq_proposal, store, proposal_id)
    for admin_id in sorted(context.bot_data.roles.admin_ids - {user.id}):
        try:
            await context.bot.send_message(admin_id, "新的常见问题待审核:\n" + faq_card(proposal), reply_markup=faq_buttons(proposal_id))
        except TelegramError as exc:  # the admin may never have opened a chat with the bot
            log.info("could not notify admin of FAQ proposal #%s: %s", proposal_id, exc)


@requires(Role.STAFF)
async def console_link(update: Update, context: Context) -> None:
    """/console: a one-time login link for the web console (private chats only)."""
    message, user = update.effective_message, update.effective_user
    if message.chat.type != ChatType.PRIVATE:
        await message.reply_text("请在与我的私聊中发送 /console,登录链接只发给您本人。")
        return
    config, _, store = context.bot_data.ready()
    try:
        token = await blocking(Logins(store).mint_link, user.id, clean_user_text(user.full_name))
    except BotError as exc:
        log.error("could not mint a console link: %s", exc)
        await message.reply_text("暂时无法生成登录链接,请稍后再试。")
        return
    url = f"{config.console.base_url}/login?token={token}"
    running = "" if config.console.enabled else "\n(控制台需要在服务器上运行 python -m bot console,或在配置中设置 [console] enabled = true。)"
    await message.reply_text(
        f'<a href="{html.escape(url, quote=True)}">打开网页控制台</a>\n'
        f"这是只属于您的一次性登录链接,{LINK_MINUTES} 分钟内有效,只能用一次,请勿转发。{running}",
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


@requires(Role.ADMIN)
async def faq_pending(update: Update, context: Context) -> None:
    """/faq_pending: each pending proposal with approve/reject buttons."""
    message = update.effective_message
    try:
        proposals = await blocking(queue.pending_faqs, context.bot_data.ready()[2], 10)
    except BotError as exc:
        await message.reply_text(plain(f"无法读取待审核列表:{exc}"))
        return
    if not proposals:
        await message.reply_text("没有待审核的常见问题。")
        return
    for proposal in proposals:
        await message.reply_text(faq_card(proposal), reply_markup=faq_buttons(proposal.id))


@requires(Role.ADMIN)
async def faq_decide(update: Update, context: Context) -> None:
    """✅/❌ under a proposal: approved entries go to the FAQ file (live after the next /reindex)."""
    query = update.callback_query
    action, proposal_id = context.matches[0].group(1), int(context.matches[0].group(2))
    config, _, store = context.bot_data.ready()
    if action == "r":
        rejected = await blocking(queue.reject_faq, store, proposal_id, query.from_user.id)
        await query.answer("已拒绝" if rejected else "这条已经处理过了")
        if rejected:
            await query.edit_message_text(faq_card(rejected) + "\n\n❌ 已拒绝")
        return
    try:
        proposal = await blocking(queue.approve_faq, store, proposal_id, query.from_user.id, functools.partial(write_faq, config.corpus.faq))
    except (BotError, OSError, ValueError) as exc:
        log.error("could not write FAQ #%s to %s: %s", proposal_id, config.corpus.faq, exc)
        await query.answer(f"写入失败:{exc}"[:190], show_alert=True)
        return
    if proposal is None:
        await query.answer("这条已经处理过了", show_alert=True)
        return
    await blocking(context.bot_data.ready()[1].share_files, [config.corpus.faq])  # other instances (PostgreSQL)
    await query.answer("已批准")
    await query.edit_message_text(faq_card(proposal) + f"\n\n✅ 已批准,已写入 {plain(config.corpus.faq.name)},下次 /reindex 后生效。")


@requires(Role.ADMIN)
async def stats(update: Update, context: Context) -> None:
    """/stats: questions today and in total, abstention rate, 👍/👎 counts."""
    try:
        s = await blocking(queue.stats, context.bot_data.ready()[2])
    except BotError as exc:
        await update.effective_message.reply_text(plain(f"无法读取统计:{exc}"))
        return
    await update.effective_message.reply_text(
        f"<b>📊 统计</b>\n今天提问:{s.questions_today}(用户 {s.users_today} 人)\n累计提问:{s.questions_total}\n"
        f"未能回答:{s.abstained_total}(占 {s.abstention_rate:.0%})\n"
        f"只给出最接近的内容:{s.tentative_total}\n评价:👍 {s.up} 👎 {s.down}\n待审核常见问题:{s.pending_faqs}"
    )


@requires(Role.ADMIN)
async def unanswered(update: Update, context: Context) -> None:
    """/unanswered: recent abstained or 👎 questions, most frequent first, to write FAQs from."""
    try:
        rows = await blocking(queue.unanswered, context.bot_data.ready()[2], days=30, limit=15)
    except BotError as exc:
        await update.effective_message.reply_text(plain(f"无法读取提问记录:{exc}"))
        return
    if not rows:
        await update.effective_message.reply_text("最近 30 天没有未能回答或被点 👎 的问题。")
        return
    lines = [f"{n}. {plain(_short(r.question))} ×{r.count}(未答 {r.abstained},👎 {r.down})" for n, r in enumerate(rows, 1)]
    await update.effective_message.reply_text("<b>最近 30 天未能回答或被点 👎 的问题</b>(按次数排序):\n" + "\n".join(lines) + "\n\n可用 /faq 问题 | 答案 补充常见问题。")


def _short(text: str) -> str:
    return text if len(text) <= MAX_LISTED_QUESTION else text[: MAX_LISTED_QUESTION - 1] + "…"


@dataclass
class _Progress:
    """Latest (done, total) from the build thread; read by the event loop."""

    done: int = 0
    total: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, done: int, total: int) -> None:
        with self._lock:
            self.done, self.total = done, total

    def text(self) -> str:
        with self._lock:
            return f"🔄 正在重建索引:已计算 {self.done}/{self.total} 段向量…" if self.total else ""


@requires(Role.ADMIN)
async def reindex(update: Update, context: Context) -> None:
    """/reindex: rebuild in the background, editing a progress message; one at a time."""
    await _start_rebuild(update, context)


@requires(Role.ADMIN)
async def reindex_button(update: Update, context: Context) -> None:
    """The 🔄 button under an uploaded report: the same as /reindex."""
    await update.callback_query.answer()
    await _start_rebuild(update, context)


async def _start_rebuild(update: Update, context: Context) -> None:
    state = context.bot_data
    if state.rebuilding:
        await update.effective_message.reply_text("已有一个重建任务正在进行,请等它完成后再试。")
        return
    state.rebuilding = True
    try:
        status = await update.effective_message.reply_text("🔄 正在重建索引…旧索引在完成前继续服务。")
    except BaseException:
        state.rebuilding = False
        raise
    context.application.create_task(_rebuild(state, status), update=update, name="reindex")


async def _edit(status: Message, text: str) -> None:
    try:
        await status.edit_text(text)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning("could not update the rebuild message: %s", exc)
    except TelegramError as exc:
        log.warning("could not update the rebuild message: %s", exc)


async def _rebuild(state: BotState, status: Message) -> None:
    """Run service.rebuild in a thread; edit the status message at most every PROGRESS_EVERY s."""
    progress = _Progress()
    try:
        service = state.ready()[1]
        future = asyncio.get_running_loop().run_in_executor(None, lambda: service.rebuild(progress=progress.update))
        shown = ""
        while not future.done():
            await asyncio.wait({future}, timeout=PROGRESS_EVERY)
            text = progress.text()
            if not future.done() and text and text != shown:
                await _edit(status, text)
                shown = text
        report = future.result()
    except BuildBusyError:
        await _edit(status, "⚠️ 另一个重建(可能来自命令行或另一台服务器)正在进行,请稍后再试。旧索引继续服务,新索引完成后会自动生效。")
    except BotError as exc:
        log.error("rebuild failed: %s", exc)
        await _edit(status, plain(f"❌ 重建失败:{exc}\n旧索引继续服务。"))
    except Exception:
        log.exception("rebuild failed unexpectedly")
        await _edit(status, "❌ 重建意外失败(详见日志),旧索引继续服务。")
    else:
        skipped = "".join(f"\n跳过:{plain(problem)}" for problem in report.problems()[:10])
        await _edit(
            status,
            f"✅ 重建完成,新索引已生效:{report.documents} 篇文档,{report.passages} 段,"
            f"新计算 {report.embedded} 段向量,复用 {report.reused},用时 {report.seconds:.1f} 秒。{skipped}",
        )
    finally:
        state.rebuilding = False
