"""The Telegram application: secrets from the environment, all handler wiring in
`build_application`, resources loaded in `post_init`, one error handler, and `run_bot`
(long polling by default, a webhook by configuration). Rate limiting, retries and
acknowledging updates only once answered live in `bot.telegram.delivery`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.config import TOKEN_ENV, Config
from bot.errors import BotError, ConfigError, StorageError
from bot.roles import Roles
from bot.storage.queue import ClaimLost
from bot.telegram import admin, photos, upload
from bot.telegram import handlers as parents
from bot.telegram.delivery import AckingProcessor, Deliveries, serve_polling
from bot.telegram.guard import RateGuard, install_redaction, log_uncaught_exceptions
from bot.telegram.limiter import SLOT_RATE, Budget, Journal, Limiter
from bot.telegram.render import label
from bot.telegram.state import CONTEXT_TYPES, BotState, Context, blocking, user_script

log = logging.getLogger(__name__)

BASE_URL_ENV = "TELEGRAM_API_BASE_URL"
SOMETHING_WRONG = "抱歉,处理您的消息时出了点问题,请稍后再试。"
PARENT_COMMANDS = [("start", "开始 / 示例问题"), ("help", "使用说明"), ("region", "选择您所在的地区"), ("ask", "提问(群聊中使用)")]
STAFF_COMMANDS = [("faq", "提交常见问题:/faq 问题 | 答案"), ("console", "打开网页控制台(一次性登录链接)")]
ADMIN_COMMANDS = [("faq_pending", "审核常见问题"), ("reindex", "重建索引"), ("stats", "统计"), ("unanswered", "未能回答的问题")]
CONCURRENT_UPDATES = 32  # updates handled at once; answering itself is bounded by the answer pool
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True)
class Secrets:
    """What the environment supplies; never logged (see guard.install_redaction)."""

    token: str
    base_url: str | None = None
    webhook_secret: str | None = None


def read_secrets(config: Config, env: Mapping[str, str] | None = None) -> Secrets:
    """TELEGRAM_BOT_TOKEN (required), TELEGRAM_API_BASE_URL, and the webhook secret in webhook mode."""
    env = os.environ if env is None else env
    token = env.get(TOKEN_ENV, "").strip()
    if not token:
        raise ConfigError(
            f"{TOKEN_ENV} is not set, so the Telegram bot cannot start.",
            hint=f"Create a bot with @BotFather and run `export {TOKEN_ENV}=...`; "
            "to try the answers without Telegram, run `python -m bot chat`.",
        )
    if ":" not in token or any(ch.isspace() for ch in token):
        raise ConfigError(f"{TOKEN_ENV} does not look like a bot token (expected digits, a colon, then letters).", hint="Copy it again from @BotFather.")
    base_url = env.get(BASE_URL_ENV, "").strip() or None
    if base_url and urllib.parse.urlparse(base_url).scheme not in ("http", "https"):
        raise ConfigError(f"{BASE_URL_ENV} must be an http(s) URL of a Bot API server, got {base_url!r}.", hint="Unset it to use Telegram's.")
    secret = None
    if config.telegram.mode == "webhook":
        name = config.telegram.webhook.secret_token_env
        secret = env.get(name, "").strip()
        if not _SECRET_TOKEN.match(secret):
            raise ConfigError(
                f"webhook mode needs a secret token in ${name} (1-256 characters: letters, digits, _ and -).",
                hint=f"For example: export {name}=$(openssl rand -hex 32)",
            )
    return Secrets(token, base_url, secret)


def api_urls(base_url: str) -> tuple[str, str]:
    """A Bot API server root (http://host:8081) → PTB's base_url and base_file_url."""
    root = base_url.rstrip("/")
    root = root[: -len("/bot")] if root.endswith("/bot") else root
    return f"{root}/bot", f"{root}/file/bot"


def build_application(
    config: Config,
    token: str,
    *,
    base_url: str | None = None,
    service: object | None = None,
    store: object | None = None,
    messages_per_second: float = SLOT_RATE,
    journal: Journal | None = None,
    budget: Budget | None = None,
) -> Application:
    """The whole bot: every handler, the error handler and the startup hooks, wired here.

    `service` and `store` may be given ready-made (tests share one index); otherwise
    `post_init` loads them from `config`. With the durable queue, `journal` (the
    UpdateQueue) records each reply sent and `budget` is the send budget shared by every
    instance (PostgreSQL); `use_queue` then hands the updates' acknowledgement to the worker.
    """
    deliveries = Deliveries()
    builder = (
        ApplicationBuilder()
        .token(token)
        .context_types(CONTEXT_TYPES)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True), allow_sending_without_reply=True))
        .rate_limiter(Limiter(messages_per_second, shared=budget, journal=journal, max_retries=3))
        .concurrent_updates(AckingProcessor(CONCURRENT_UPDATES, deliveries))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if base_url:
        api, files = api_urls(base_url)
        builder = builder.base_url(api).base_file_url(files)
    app = builder.build()
    state: BotState = app.bot_data
    state.config, state.service, state.store = config, service, store  # type: ignore[assignment]
    state.deliveries = deliveries
    state.roles = Roles.from_settings(config.telegram)
    state.guard = RateGuard(config.telegram.user_questions_per_minute)
    state.inline_guard = RateGuard(3 * config.telegram.user_questions_per_minute)

    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    new_message = filters.UpdateType.MESSAGE  # edited messages are not asked (or run) twice
    has_text = filters.TEXT | filters.CAPTION
    app.add_handlers(
        [
            CommandHandler("start", parents.start, filters=new_message),
            CommandHandler("help", parents.help_command, filters=new_message),
            CommandHandler("region", parents.region_command, filters=new_message),
            CommandHandler("ask", parents.ask_command, filters=new_message),
            CommandHandler("faq", admin.faq_propose, filters=new_message),
            CommandHandler("faq_pending", admin.faq_pending, filters=new_message),
            CommandHandler("console", admin.console_link, filters=new_message),
            CommandHandler("reindex", admin.reindex, filters=new_message),
            CommandHandler("stats", admin.stats, filters=new_message),
            CommandHandler("unanswered", admin.unanswered, filters=new_message),
            CallbackQueryHandler(admin.reindex_button, pattern=r"^reindex$"),
            CallbackQueryHandler(parents.vote, pattern=parents.VOTE_DATA),
            CallbackQueryHandler(parents.more, pattern=parents.MORE_DATA),
            CallbackQueryHandler(parents.region_chosen, pattern=parents.REGION_DATA),
            CallbackQueryHandler(admin.faq_decide, pattern=r"^f([ar]):(\d{1,9})$"),
            CallbackQueryHandler(parents.stale_button),
            InlineQueryHandler(parents.inline_query),
            MessageHandler(new_message & private & filters.Document.ALL, upload.upload_report),
            MessageHandler(new_message & private & filters.PHOTO, photos.photo_question),
            MessageHandler(new_message & private & filters.Sticker.ALL, photos.sticker),
            MessageHandler(new_message & private & filters.TEXT & ~filters.COMMAND & photos.REPLIES_TO_IMAGE, photos.reply_to_image),
            MessageHandler(new_message & groups & (photos.IMAGES | (filters.TEXT & photos.REPLIES_TO_IMAGE)) & ~filters.COMMAND, photos.group_image),
            MessageHandler(new_message & private & filters.FORWARDED, parents.forwarded_question),
            MessageHandler(new_message & private & filters.COMMAND, parents.unknown_command),
            MessageHandler(new_message & private & has_text, parents.private_question),
            MessageHandler(new_message & groups & has_text & ~filters.COMMAND, parents.group_question),
            MessageHandler(new_message & private & ~filters.StatusUpdate.ALL, parents.non_text_hint),
        ]
    )
    app.add_error_handler(on_error)
    return app


def use_queue(app: Application, worker: object) -> None:
    """Updates come from the durable queue: the worker is told when each one is handled."""
    app.update_processor.deliveries = worker  # type: ignore[attr-defined]
    app.bot_data.deliveries = worker  # type: ignore[attr-defined]


async def post_init(app: Application) -> None:
    """Load the answer service and the store (unless given), then publish the command menus."""
    from bot.service import Service
    from bot.storage.store import Store

    state: BotState = app.bot_data
    config = state.config
    if state.service is None:
        state.service = await blocking(Service.from_config, config, build_if_missing=True, warn=log.warning)
    if state.store is None:
        state.store = await blocking(Store.from_settings, config.storage)
    await _publish_commands(app, state)
    log.info("bot @%s is ready (%s mode)", app.bot.username, config.telegram.mode)


async def _publish_commands(app: Application, state: BotState) -> None:
    """Parents' commands for everyone; staff and admins see theirs in their private chats."""
    def commands(pairs: list[tuple[str, str]]) -> list[BotCommand]:
        return [BotCommand(name, text) for name, text in pairs]

    try:
        await app.bot.set_my_commands(commands(PARENT_COMMANDS))
    except TelegramError as exc:
        log.warning("could not publish the command menu: %s", exc)
    for user_id in sorted(state.roles.admin_ids | state.roles.staff_ids):
        extra = STAFF_COMMANDS + (ADMIN_COMMANDS if user_id in state.roles.admin_ids else [])
        try:
            await app.bot.set_my_commands(commands(PARENT_COMMANDS + extra), scope=BotCommandScopeChat(user_id))
        except TelegramError as exc:  # the user has not opened a chat with the bot yet
            log.info("could not publish staff commands for one user: %s", exc)


async def post_shutdown(app: Application) -> None:
    """Close the store, the answer pool and the index follower."""
    state: BotState = app.bot_data
    state.answer_pool.shutdown(wait=False, cancel_futures=True)
    state.ocr_pool.shutdown(wait=False, cancel_futures=True)
    stop_following = getattr(state.service, "stop_following", None)
    if stop_following is not None:  # the index follower uses the store's database
        stop_following()
    if state.store is not None:
        state.store.close()


async def on_error(update: object, context: Context) -> None:
    """Log the error (the log filter redacts the token), tell the user in one line, carry on."""
    error = context.error
    if isinstance(error, ClaimLost):
        log.info("stopped answering an update another instance has taken over: %s", error)
        return
    if isinstance(error, NetworkError) and update is None:
        log.warning("network problem talking to Telegram (will retry): %s", error)
        return
    kind = next((name for name in ("message", "callback_query", "inline_query") if isinstance(update, Update) and getattr(update, name)), "none")
    log.error("error while handling an update (%s)", kind, exc_info=error)
    if not isinstance(update, Update):
        return
    text = label(SOMETHING_WRONG, await _safe_script(context, update))
    try:
        if update.callback_query:
            await update.callback_query.answer(text)
        elif update.effective_message and update.effective_chat:
            await update.effective_message.reply_text(text)
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)


async def _safe_script(context: Context, update: Update) -> str:
    try:
        return await user_script(context, update.effective_user)
    except Exception:  # the store may be the thing that failed
        return "simplified"


def run_bot(config: Config, env: Mapping[str, str] | None = None, *, beside: Callable[[Any, Any], None] | None = None) -> int:
    """`python -m bot run`: poll (default) or serve a webhook until SIGINT/SIGTERM.

    The index and the store are loaded before Telegram is contacted: a damaged index
    stops the bot at once with an IndexCorruptError naming the file (exit code 1), and so
    does a PostgreSQL that cannot be reached. Updates go through the durable queue in
    webhook mode (SQLite or PostgreSQL) and when polling with PostgreSQL (one leader polls).
    `beside(service, store)` starts what shares them (the web console, from the CLI).
    """
    from bot.cluster import IndexCluster
    from bot.service import Service
    from bot.storage.budget import SharedBudget
    from bot.storage.queue import UpdateQueue
    from bot.storage.store import Store, load_salt
    from bot.telegram.queue_worker import QueueWorker
    from bot.telegram.webhook import serve_health, serve_queue_polling, serve_webhook, watch

    secrets = read_secrets(config, env)
    shared_db = bool(config.storage.url)
    install_redaction([secrets.token, secrets.webhook_secret or "", *database_secrets(config.storage.url)])
    log_uncaught_exceptions()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if logging.getLogger("bot").getEffectiveLevel() > logging.INFO:
        logging.getLogger("bot").setLevel(logging.INFO)
    if shared_db:
        try:
            store = Store.from_settings(config.storage)
        except StorageError as exc:
            raise BotError(str(exc), hint="The bot does not start without its shared database.") from None
        salt = store.salt
    else:
        salt = load_salt(config.storage.path, env)
        store = Store.from_settings(config.storage, salt=salt)
    install_redaction([salt])
    cluster = IndexCluster(config, store.db) if shared_db else None  # type: ignore[arg-type]
    service = Service.from_config(config, build_if_missing=True, warn=log.warning, cluster=cluster)
    if beside is not None:
        beside(service, store)
    webhook = config.telegram.mode == "webhook"
    writable = store.db is not None and not getattr(store.db, "read_only", False)
    queue = UpdateQueue(store.db) if writable and (webhook or shared_db) else None  # type: ignore[arg-type]
    budget = SharedBudget(store.db, SLOT_RATE) if shared_db else None  # type: ignore[arg-type]
    app = build_application(config, secrets.token, base_url=secrets.base_url, service=service, store=store, journal=queue, budget=budget)
    worker = None
    if queue is not None:
        worker = QueueWorker(app, queue, lease=config.telegram.lease_seconds)
        use_queue(app, worker)
        watch(queue)
    service.follow()  # switch to builds published by other instances (PostgreSQL only)
    try:
        if webhook:
            hook = config.telegram.webhook
            path = urllib.parse.urlparse(hook.url).path or "/"
            asyncio.run(serve_webhook(app, listen=hook.listen, port=hook.port, url=hook.url, path=path, secret=secrets.webhook_secret, queue=queue, worker=worker))
        elif queue is not None and worker is not None:
            health = ("127.0.0.1", config.telegram.health_port) if config.telegram.health_port else None
            asyncio.run(serve_queue_polling(app, queue=queue, worker=worker, health=health))
        else:
            asyncio.run(_poll_with_health(app, config, serve_health))
    except (InvalidToken, Forbidden) as exc:
        raise ConfigError(f"Telegram refused {TOKEN_ENV} ({exc.__class__.__name__}).", hint="Copy the token again from @BotFather (/token).") from None
    except BotError:
        raise
    except TelegramError as exc:
        log.error("the bot stopped: %s", exc)
        return 1
    except Exception:  # logged through the redacting filter rather than printed raw
        log.exception("the bot stopped unexpectedly")
        return 1
    finally:
        service.stop_following()
    return 0


async def _poll_with_health(app: Application, config: Config, serve_health: object) -> None:
    listener = None
    if config.telegram.health_port:
        listener = await serve_health(app, "127.0.0.1", config.telegram.health_port)  # type: ignore[operator]
    try:
        await serve_polling(app, app.bot_data.deliveries, allowed_updates=Update.ALL_TYPES)
    finally:
        if listener is not None:
            await listener.stop()


def database_secrets(url: str) -> list[str]:
    """The password in a database URL (and the URL itself), for the log filter."""
    if not url:
        return []
    password = urllib.parse.urlsplit(url).password or ""
    return [url, password] if password else [url]
