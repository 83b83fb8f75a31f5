"""Unanswered and 👎: the questions /unanswered lists (the last 30 days' refused or
voted-down ones, `bot.storage.admin.unanswered`), grouped by similarity
(`bot.answering.grouping`), most frequent first, each group one click from an FAQ draft."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.answering.grouping import group_questions
from bot.console.auth import console_of, requires
from bot.roles import Role
from bot.storage import admin as queue

DAYS = 30
LISTED = 400  # distinct questions read; the rarest beyond this are left out (and the page says so)


@requires(Role.ADMIN)
def show(request: Request) -> Response:
    """GET /unanswered."""
    console = console_of(request)
    rows = queue.unanswered(console.store, days=DAYS, limit=LISTED)
    by_question = {r.question: r for r in rows}
    groups = []
    for group in group_questions([(r.question, r.count) for r in rows], console.service.pipeline.analyzer.terms):
        members = [by_question[q] for q, _ in group.members]
        groups.append({
            "question": group.question,
            "count": group.count,
            "abstained": sum(m.abstained for m in members),
            "down": sum(m.down for m in members),
            "last": max(m.last_ts for m in members),
            "members": members,
        })
    return console.page(request, "unanswered.html", {"groups": groups, "days": DAYS, "truncated": len(rows) >= LISTED, "listed": LISTED})
