"""Terms: the colloquial → official table of corpus/terms.toml. Entries are validated on
save (`bot.corpus.editing`, then the loader itself) and take effect at once here (the
service reloads); the preview shows which passages an entry would reach and how many
logged questions contain the phrase."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.console.auth import console_of, requires
from bot.corpus.editing import check_expansion, delete_expansion, expansion_entries, set_expansion
from bot.errors import BotError, UsageError
from bot.roles import Role
from bot.storage import reports
from bot.telegram.render import clean_user_text
from bot.text import normalize

_SEPARATORS = re.compile(r"[,,、;;\s]+")
PREVIEW_PASSAGES = 5
PREVIEW_QUESTIONS = 5
MESSAGES = {
    "saved": "已保存,并已在控制台生效。Telegram 机器人若单独运行,重启或 /reindex 后生效。",
    "deleted": "已删除,并已在控制台生效。",
    "dictionary": "词典(dictionary)的改动在下次重建索引后生效。",
}


_entries: dict[Path, tuple[tuple[int, int, int], list[tuple[str, tuple[str, ...]]]]] = {}
_entries_lock = threading.Lock()


def entries_of(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """`expansion_entries(path)`, read again only when the file changed (tomlkit takes
    ~150 ms of CPU over the shipped table, most of the page's time; every edit replaces the
    file, so its inode, size or mtime changes)."""
    try:
        stat = path.stat()
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    except FileNotFoundError:
        return expansion_entries(path)
    with _entries_lock:
        cached = _entries.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    entries = expansion_entries(path)
    with _entries_lock:
        _entries[path] = (stamp, entries)
    return entries


def split_terms(text: str) -> list[str]:
    return [t for t in _SEPARATORS.split(clean_user_text(text)) if t]


@requires(Role.ADMIN)
def show(request: Request) -> Response:
    """GET /terms (?edit=phrase opens that entry in the form)."""
    console = console_of(request)
    entries = entries_of(console.config.corpus.terms)
    editing = request.query_params.get("edit", "")
    current = dict(entries).get(editing)
    return console.page(request, "terms.html", {
        "entries": entries,
        "editing": editing if current is not None else "",
        "phrase": editing if current is not None else "",
        "targets": "、".join(current or ()),
        "dictionary": console.service.pipeline.analyzer.terms.dictionary,
        "message": MESSAGES.get(request.query_params.get("msg", "")),
        "terms_file": console.config.corpus.terms.name,
    })


@requires(Role.ADMIN)
def save(request: Request) -> Response:
    """POST /terms: add or change one entry, then reload the service so it applies."""
    console = console_of(request)
    form = request.state.form
    replaces = str(form.get("replaces", "")) or None
    set_expansion(console.config.corpus.terms, str(form.get("phrase", "")), split_terms(str(form.get("targets", ""))), replaces=replaces)
    console.service.reload()
    return RedirectResponse("/terms?msg=saved", status_code=303)


@requires(Role.ADMIN)
def delete(request: Request) -> Response:
    """POST /terms/delete."""
    console = console_of(request)
    delete_expansion(console.config.corpus.terms, str(request.state.form.get("phrase", "")))
    console.service.reload()
    return RedirectResponse("/terms?msg=deleted", status_code=303)


@requires(Role.ADMIN)
def preview(request: Request) -> Response:
    """GET /terms/preview?phrase=…&targets=…: what the entry would reach (htmx fragment)."""
    console = console_of(request)
    phrase, targets = request.query_params.get("phrase", ""), split_terms(request.query_params.get("targets", ""))
    context: dict = {"problem": None, "terms": [], "passages": [], "questions": [], "asked": 0}
    try:
        phrase, targets = check_expansion(phrase, targets)
    except UsageError as exc:
        context["problem"] = str(exc) if phrase.strip() or targets else None
        return console.templates.TemplateResponse(request, "_terms_preview.html", context)
    index = console.service.pipeline.index
    words = [normalize(t) for t in targets]
    context["terms"] = [(t, sum(1 for p in index.ordered if w in p.search_text)) for t, w in zip(targets, words)]
    tokens = [tok for w in words for tok in index.tokenizer.tokens(w)]
    hits = index.keyword_search(tokens, PREVIEW_PASSAGES) if tokens else []
    context["passages"] = [(index.passages[pid], score) for pid, score in hits]
    key = normalize(phrase)
    try:
        asked = [(q, n) for q, n in reports.question_counts(console.store, days=30) if key in q]
    except BotError:
        asked = []
    context["questions"] = asked[:PREVIEW_QUESTIONS]
    context["asked"] = sum(n for _, n in asked)
    context["phrase"] = phrase
    return console.templates.TemplateResponse(request, "_terms_preview.html", context)
