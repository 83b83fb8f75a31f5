"""FAQ: pending proposals to approve or reject (the same queue and approval as Telegram's
/faq_pending), proposing an entry (staff too, as with /faq), and the entries of faq.toml
to edit or retire (admins). Entries take effect at the next rebuild, as in Telegram."""

from __future__ import annotations

import functools
import urllib.parse

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.console.auth import console_of, requires
from bot.corpus.editing import edit_faq, faq_entries, retire_faq
from bot.corpus.faq import write_faq
from bot.errors import UsageError
from bot.roles import Role
from bot.storage import admin as queue
from bot.telegram.render import clean_user_text

MESSAGES = {
    "proposed": "已提交,等待管理员审核。",
    "approved": "已批准并写入常见问题文件,重建索引后生效。",
    "rejected": "已拒绝。",
    "done": "这条已经处理过了。",
    "edited": "已修改,重建索引后生效。",
    "retired": "已停用(原文作为注释留在文件中),重建索引后生效。",
}


def _back(code: str) -> Response:
    return RedirectResponse(f"/faq?msg={code}", status_code=303)


@requires(Role.STAFF)
def show(request: Request) -> Response:
    """GET /faq (?draft=question prefills the form, e.g. from the unanswered page)."""
    console = console_of(request)
    return console.page(request, "faq.html", {
        "pending": queue.pending_faqs(console.store, 100),
        "entries": faq_entries(console.config.corpus.faq),
        "draft": request.query_params.get("draft", "")[: queue.MAX_FAQ_QUESTION],
        "max_question": queue.MAX_FAQ_QUESTION,
        "max_answer": queue.MAX_FAQ_ANSWER,
        "message": MESSAGES.get(request.query_params.get("msg", "")),
        "faq_file": console.config.corpus.faq.name,
    })


def _entry(form) -> tuple[str, str, str]:  # noqa: ANN001 - starlette FormData
    question = " ".join(clean_user_text(str(form.get("question", ""))).split())
    answer = clean_user_text(str(form.get("answer", ""))).strip()
    region = " ".join(clean_user_text(str(form.get("region", ""))).split())
    if not question or not answer:
        raise UsageError("an FAQ entry needs both a question and an answer.")
    if len(question) > queue.MAX_FAQ_QUESTION or len(answer) > queue.MAX_FAQ_ANSWER:
        raise UsageError(f"the question may have at most {queue.MAX_FAQ_QUESTION} characters and the answer {queue.MAX_FAQ_ANSWER}.")
    return question, answer, region


@requires(Role.STAFF)
def propose(request: Request) -> Response:
    """POST /faq/propose: a proposal (staff); admins may approve it in the same step."""
    console = console_of(request)
    session = request.state.session
    question, answer, region = _entry(request.state.form)
    proposal_id = queue.propose_faq(console.store, session.user_id, session.name or "控制台", question, answer, region)
    if proposal_id is None:
        raise UsageError("the proposal could not be saved; try again in a moment.")
    if request.state.form.get("approve") and request.state.role >= Role.ADMIN:
        return _approve(request, proposal_id)
    return _back("proposed")


@requires(Role.ADMIN)
def approve(request: Request) -> Response:
    """POST /faq/{id}/approve: the Telegram approval (claim, write faq.toml, mark approved)."""
    return _approve(request, request.path_params["proposal_id"])


def _approve(request: Request, proposal_id: int) -> Response:
    console = console_of(request)
    write = functools.partial(write_faq, console.config.corpus.faq)
    proposal = queue.approve_faq(console.store, proposal_id, request.state.session.user_id, write)
    return _back("approved" if proposal else "done")


@requires(Role.ADMIN)
def reject(request: Request) -> Response:
    """POST /faq/{id}/reject."""
    console = console_of(request)
    rejected = queue.reject_faq(console.store, request.path_params["proposal_id"], request.state.session.user_id)
    return _back("rejected" if rejected else "done")


@requires(Role.ADMIN)
def edit_entry(request: Request) -> Response:
    """POST /faq/entries/edit: change an entry of faq.toml (found by its original question)."""
    console = console_of(request)
    question, answer, region = _entry(request.state.form)
    edit_faq(console.config.corpus.faq, str(request.state.form.get("key", "")), question=question, answer=answer, region=region)
    return _back("edited")


@requires(Role.ADMIN)
def retire_entry(request: Request) -> Response:
    """POST /faq/entries/retire: take an entry out (kept in the file as a comment)."""
    console = console_of(request)
    session = request.state.session
    retire_faq(console.config.corpus.faq, str(request.state.form.get("key", "")), by=session.name or "控制台")
    return _back("retired")


def draft_link(question: str) -> str:
    return "/faq?" + urllib.parse.urlencode({"draft": question}) + "#propose"
