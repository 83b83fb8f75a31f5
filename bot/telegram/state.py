"""What every Telegram handler shares: the bot-wide state, the context type, the role gate.

`BotState` is the application's `bot_data` (PTB's ContextTypes), filled by
`bot.telegram.app.build_application` and `post_init`. `requires` is the only place where
admin and staff rights are checked. `answering` runs the answer pipeline on a small
thread pool of its own; `blocking` runs quick calls (SQLite) on asyncio's default pool.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from telegram import Update, User
from telegram.error import TelegramError
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.records import Script
from bot.roles import Role, Roles
from bot.telegram.delivery import Deliveries
from bot.telegram.guard import RateGuard
from bot.telegram.render import label
from bot.text import detect_script

if TYPE_CHECKING:
    from bot.config import Config
    from bot.service import Service
    from bot.storage.store import Store

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

TRADITIONAL_LANGUAGES = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
# Answering is CPU-bound (embedding, FAISS, BM25): more threads than cores only add
# contention, and a pool of its own keeps quick SQLite calls from queuing behind it.
ANSWER_WORKERS = max(2, min(4, os.cpu_count() or 2))  # two, so one slow question never blocks all
# OCR gets one thread of its own (and onnxruntime's threads are capped by [ocr] threads), so
# photos queue behind each other instead of taking the cores text questions need.
OCR_WORKERS = 1


@dataclass
class BotState:
    """Bot-wide resources and flags (PTB keeps one instance as `context.bot_data`)."""

    config: Config | None = None
    service: Service | None = None
    store: Store | None = None
    roles: Roles = field(default_factory=Roles)
    guard: RateGuard = field(default_factory=lambda: RateGuard(20))
    inline_guard: RateGuard = field(default_factory=lambda: RateGuard(60))
    rebuilding: bool = False  # one /reindex at a time
    deliveries: Deliveries = field(default_factory=Deliveries)
    answer_pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(ANSWER_WORKERS, thread_name_prefix="answer"))
    ocr_pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(OCR_WORKERS, thread_name_prefix="ocr"))
    ocr_waiting: int = 0  # photos downloading or being read now (bounded by [ocr] queue)

    def ready(self) -> tuple[Config, Service, Store]:
        """The loaded resources; post_init guarantees them before any update is handled."""
        if self.config is None or self.service is None or self.store is None:
            raise RuntimeError("the bot is not initialised yet: post_init has not loaded the service and the store.")
        return self.config, self.service, self.store


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotState]
CONTEXT_TYPES = ContextTypes(bot_data=BotState)
Handler = Callable[[Update, Context], Awaitable[None]]


async def blocking(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a synchronous call (answering, SQLite) in a worker thread, off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def answering(context: Context, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run the answer pipeline on the bot's answer pool (sized for the machine's cores)."""
    return await asyncio.get_running_loop().run_in_executor(context.bot_data.answer_pool, functools.partial(fn, *args, **kwargs))


async def reading(context: Context, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run OCR on the bot's OCR pool (one thread), never on the event loop or the answer pool."""
    return await asyncio.get_running_loop().run_in_executor(context.bot_data.ocr_pool, functools.partial(fn, *args, **kwargs))


def script_of_user(user: User | None, stored: str | None = None) -> Script:
    """The parent's script: from their last question, else their Telegram language."""
    if stored in ("simplified", "traditional"):
        return stored  # type: ignore[return-value]
    language = (user.language_code or "").lower() if user else ""
    return "traditional" if language.startswith(TRADITIONAL_LANGUAGES) else "simplified"


async def user_script(context: Context, user: User | None, text: str | None = None) -> Script:
    """Script for our own labels: the text's own script when given, else what we know of the user."""
    if text:
        return detect_script(text)
    store = context.bot_data.store
    stored = (await blocking(store.settings, user.id)).script if store is not None and user else None
    return script_of_user(user, stored)


REFUSALS = {
    Role.ADMIN: "抱歉,这个命令只有管理员可以使用。",
    Role.STAFF: "抱歉,只有学校工作人员可以使用这个命令。如需添加常见问题,请联系管理员。",
}


def requires(role: Role, *, otherwise: Handler | None = None) -> Callable[[Handler], Handler]:
    """Run the handler only for users with `role` (admins count as staff), decided by the
    Telegram user id alone. Others get a polite refusal, or `otherwise` when given (e.g. a
    parent's document gets the parents' handling)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def gated(update: Update, context: Context) -> None:
            user = update.effective_user
            if context.bot_data.roles.allows(user.id if user else None, role):
                await handler(update, context)
                return
            if otherwise is not None:
                await otherwise(update, context)
                return
            log.info("refused %s to a user without the %s role", handler.__name__, role.name.lower())
            text = label(REFUSALS[role], await user_script(context, user))
            try:
                if update.callback_query:
                    await update.callback_query.answer(text, show_alert=True)
                elif update.effective_message:
                    await update.effective_message.reply_text(text)
            except TelegramError as exc:
                log.info("could not deliver a refusal: %s", exc)

        gated.required_role = role  # type: ignore[attr-defined]  # checked by tests/test_security.py
        return gated

    return decorate
