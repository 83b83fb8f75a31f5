"""Documents: every report with its metadata and index state; one report's metadata form,
cleaned text (what cleaning removed and repaired, highlighted) and passages; uploading a
report with the same checks as sending it to the bot (`bot.corpus.upload`)."""

from __future__ import annotations

import urllib.parse
from collections import Counter

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.console.auth import console_of, requires
from bot.corpus.editing import META_FIELDS, update_metadata
from bot.corpus.inspect import explain_cleaning
from bot.corpus.loader import corpus_files, ignored_files, load_metadata
from bot.corpus.readers import MB, SUPPORTED
from bot.corpus.scans import Scanner
from bot.corpus.upload import safe_file_name, save_report
from bot.errors import DocumentError, UsageError
from bot.index.store import OCR_CACHE
from bot.ocr.cache import OcrCache
from bot.roles import Role

MESSAGES = {
    "saved": "已保存元数据。重建索引后,新的标题和地区会用于引用。",
    "uploaded": "已保存到语料库。重建索引后,新报告才会用于回答。",
    "renamed": "已有同名文件,原文件保持不变,新文件另存为这个名字。重建索引后生效。",
    "duplicate": "语料库中已有内容完全相同的文件,没有重复保存。",
}


@requires(Role.ADMIN)
def index(request: Request) -> Response:
    """GET /documents: the corpus folder as the next build will see it."""
    console = console_of(request)
    corpus = console.config.corpus
    loaded = console.service.pipeline.index
    counts = Counter(p.doc_id for p in loaded.ordered if p.kind == "report")
    skipped = {str(s.get("path", "")).rsplit("/", 1)[-1]: s.get("reason", "") for s in loaded.manifest.get("skipped", []) if isinstance(s, dict)}
    metadata = load_metadata(corpus.metadata)
    rows = []
    for path in corpus_files(corpus):
        meta = metadata.get(path.name)
        rows.append({
            "name": path.name, "meta": meta, "passages": counts.get(path.name, 0),
            "size": path.stat().st_size, "skipped": skipped.get(path.name),
        })
    orphans = sorted(set(metadata) - {r["name"] for r in rows})
    return console.page(request, "documents.html", {
        "rows": rows, "orphans": orphans, "ignored": [p.name for p in ignored_files(corpus)],
        "supported": " ".join(SUPPORTED), "accept": ",".join(SUPPORTED), "max_mb": corpus.max_file_mb, "message": MESSAGES.get(request.query_params.get("msg", "")),
        "name": request.query_params.get("name", ""),
    })


def _scanner(console) -> Scanner:  # noqa: ANN001 - Console
    """OCR for scans, with the cache builds use (a scan read once is never read again)."""
    return Scanner(console.config.ocr, OcrCache(console.config.index.dir / OCR_CACHE))


def _report(request: Request) -> str | None:
    """The report the path names, if it is one of the corpus folder's."""
    doc_id = request.path_params["doc_id"]
    return doc_id if doc_id in {p.name for p in corpus_files(console_of(request).config.corpus)} else None


def _missing(request: Request) -> Response:
    return console_of(request).refusal(request, 404, "没有这个文档", f"语料库中没有 {request.path_params['doc_id']}。")


@requires(Role.ADMIN)
def show(request: Request) -> Response:
    """GET /documents/{doc_id}: metadata form, cleaned text with highlights, passages."""
    console = console_of(request)
    corpus = console.config.corpus
    doc_id = _report(request)
    if doc_id is None:
        return _missing(request)
    meta = load_metadata(corpus.metadata).get(doc_id)
    try:
        cleaning, problem = explain_cleaning(corpus, doc_id, _scanner(console)), None
    except DocumentError as exc:
        cleaning, problem = None, exc.reason
    passages = sorted((p for p in console.service.pipeline.index.ordered if p.doc_id == doc_id and p.kind == "report"), key=lambda p: p.start)
    return console.page(request, "document.html", {
        "doc_id": doc_id, "meta": meta, "fields": META_FIELDS, "cleaning": cleaning, "problem": problem,
        "passages": passages, "message": MESSAGES.get(request.query_params.get("msg", "")),
    })


@requires(Role.ADMIN)
def save_meta(request: Request) -> Response:
    """POST /documents/{doc_id}: write the metadata back to documents.toml (comments kept)."""
    doc_id = _report(request)
    if doc_id is None:
        return _missing(request)
    form = request.state.form
    aliases = [a for a in str(form.get("aliases", "")).replace(",", ",").replace("、", ",").split(",")]
    update_metadata(console_of(request).config.corpus.metadata, doc_id, {key: str(form.get(key, "")) for key in META_FIELDS}, aliases)
    return RedirectResponse(f"/documents/{urllib.parse.quote(doc_id)}?msg=saved", status_code=303)


@requires(Role.ADMIN)
def upload(request: Request) -> Response:
    """POST /documents: a report file, checked and saved as the Telegram upload does."""
    console = console_of(request)
    corpus = console.config.corpus
    file = request.state.form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        raise UsageError("choose a report file to upload.")
    name = safe_file_name(file.filename)
    if name is None:
        raise UsageError(f"only {' '.join(SUPPORTED)} reports can be added; {file.filename!r} is not one of them.")
    limit = int(corpus.max_file_mb * MB)
    data = file.file.read(limit + 1)
    try:
        saved = save_report(corpus, name, data, limit, _scanner(console))  # scans are read by OCR, as from Telegram
    except DocumentError as exc:
        raise UsageError(f"{name} cannot be added: {exc.reason}. Nothing was saved.") from None
    code = "duplicate" if saved.duplicate_of else ("renamed" if saved.name != saved.requested else "uploaded")
    return RedirectResponse(f"/documents?msg={code}&name={urllib.parse.quote(saved.name)}", status_code=303)
