"""Admins add a report by sending it to the bot as a document.

The checks and the saving are `bot.corpus.upload` (shared with the web console): type,
size (here also from Telegram's metadata before downloading), readability on a temporary
copy (a scan is read by OCR, on the OCR thread, its text cached by the file's hash), a
sanitised name directly in the corpus folder, never replacing a file (a taken name gets a
number and the admin is told). The admin is offered a 🔄 button for
/reindex. Anyone else's document is handled like a photo (its caption is a question).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.corpus.readers import MB, SUPPORTED
from bot.corpus.scans import Scanner
from bot.corpus.upload import safe_file_name, save_report
from bot.errors import DocumentError
from bot.index.store import OCR_CACHE
from bot.ocr.cache import OcrCache
from bot.roles import Role
from bot.telegram.photos import parent_file
from bot.telegram.render import plain
from bot.telegram.state import Context, blocking, reading, requires


def _reindex_button() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("🔄 立即重建索引", callback_data="reindex")]])


@requires(Role.ADMIN, otherwise=parent_file)
async def upload_report(update: Update, context: Context) -> None:
    """An admin's document: check it, save it in the corpus folder, offer /reindex."""
    message = update.effective_message
    document = message.document
    config = context.bot_data.ready()[0]
    limit = int(config.corpus.max_file_mb * MB)
    name = safe_file_name(document.file_name)
    if name is None:
        await message.reply_text(plain(f"无法添加这个文件:只接受 {' '.join(SUPPORTED)} 格式的报告。"))
        return
    if document.file_size is not None and document.file_size > limit:
        await message.reply_text(f"无法添加这个文件:它有 {document.file_size / MB:.3g} MB,超过了 {config.corpus.max_file_mb:g} MB 的上限(corpus.max_file_mb)。")
        return
    try:
        data = bytes(await (await context.bot.get_file(document.file_id)).download_as_bytearray())
    except TelegramError as exc:
        await message.reply_text(plain(f"无法下载这个文件:{exc}"))
        return
    try:
        scanner = Scanner(config.ocr, OcrCache(config.index.dir / OCR_CACHE))
        saved = await reading(context, save_report, config.corpus, name, data, limit, scanner)
    except (DocumentError, OSError) as exc:
        reason = exc.reason if isinstance(exc, DocumentError) else (exc.strerror or str(exc))
        await message.reply_text(plain(f"无法添加这个文件({name}):{reason}。什么都没有保存。"))
        return
    if saved.duplicate_of:
        await message.reply_text(plain(f"语料库中已有内容完全相同的文件 {saved.duplicate_of},没有重复保存。"))
        return
    await blocking(context.bot_data.ready()[1].share_files, [config.corpus.dir / saved.name])  # other instances (PostgreSQL)
    ocr = f",其中 {saved.ocr_pages} 页是扫描件,经 OCR 识别" if saved.ocr_pages else ""
    renamed = f"已有同名文件 {saved.requested},原文件保持不变,新文件另存为 {saved.name}。" if saved.name != saved.requested else ""
    await message.reply_text(
        plain(
            f"✅ 已保存到语料库:{saved.name}(读出 {saved.characters} 字{ocr})。{renamed}\n"
            f"可在 {config.corpus.metadata.name} 中补充标题和地区。发送 /reindex 或点下方按钮重建索引后,新报告才会用于回答。"
        ),
        reply_markup=_reindex_button(),
    )
