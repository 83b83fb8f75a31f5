"""Staff and admin data in the store: the FAQ proposal queue and the reports behind /stats
and /unanswered. Functions over a `Store`; reads that an admin asked for raise
StorageError (with what to check) instead of quietly returning nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.errors import StorageError
from bot.storage.store import Store

MAX_FAQ_QUESTION = 200  # characters, for every front end that proposes entries
MAX_FAQ_ANSWER = 2000
_PROPOSAL = "SELECT id, ts, author_id, author, question, answer, region, status FROM faq_proposals"


@dataclass(frozen=True)
class FaqProposal:
    id: int
    ts: float
    author_hash: str  # the staff member's salted hash; they are credited by name
    author: str
    question: str
    answer: str
    region: str
    status: str  # pending, approving, approved, rejected


@dataclass(frozen=True)
class Stats:
    questions_today: int
    questions_total: int
    abstained_total: int
    users_today: int
    up: int
    down: int
    pending_faqs: int
    tentative_total: int = 0

    @property
    def abstention_rate(self) -> float:
        return self.abstained_total / self.questions_total if self.questions_total else 0.0


@dataclass(frozen=True)
class Unanswered:
    question: str  # the most recent wording
    count: int
    abstained: int
    down: int
    last_ts: float


def _unreadable(store: Store, what: str) -> StorageError:
    if store.path is None:
        return StorageError(f"the {what} cannot be read from {store.where}.", hint="Check that PostgreSQL is running and reachable; see the log for details.")
    return StorageError(f"the {what} cannot be read from {store.path}.", hint="Check that the file exists, is a SQLite database and is readable; see the log for details.")


# -- FAQ proposals -----------------------------------------------------------------------


def propose_faq(store: Store, author_id: int, author: str, question: str, answer: str, region: str = "") -> int | None:
    """A staff member's proposed entry; its id, or None when it could not be saved."""
    return store.insert(
        "save the FAQ proposal",
        "INSERT INTO faq_proposals (ts, author_id, author, question, answer, region, status) VALUES (?, ?, ?, ?, ?, ?, 'pending') RETURNING id",
        (store.clock(), store.user_hash(author_id), author, question, answer, region),
    )


def faq_proposal(store: Store, proposal_id: int) -> FaqProposal | None:
    rows = store.read("read the FAQ proposal", _PROPOSAL + " WHERE id = ?", (proposal_id,))
    return FaqProposal(*rows[0]) if rows else None


def pending_faqs(store: Store, limit: int = 10) -> list[FaqProposal]:
    rows = store.read("list pending FAQ proposals", _PROPOSAL + " WHERE status = 'pending' ORDER BY id LIMIT ?", (limit,))
    if rows is None:
        raise _unreadable(store, "FAQ proposals")
    return [FaqProposal(*row) for row in rows]


def claim_faq(store: Store, proposal_id: int, admin_id: int) -> FaqProposal | None:
    """pending → approving, atomically, so two admins cannot approve one entry twice."""
    changed = store.write("claim the FAQ proposal", "UPDATE faq_proposals SET status = 'approving', decided_by = ? WHERE id = ? AND status = 'pending'", (store.user_hash(admin_id), proposal_id))
    return faq_proposal(store, proposal_id) if changed else None


def finish_faq(store: Store, proposal_id: int, approved: bool) -> bool:
    """approving → approved once written to the FAQ file, or back to pending when that failed."""
    changed = store.write(
        "finish the FAQ approval",
        "UPDATE faq_proposals SET status = ?, decided_ts = ? WHERE id = ? AND status = 'approving'",
        ("approved" if approved else "pending", store.clock(), proposal_id),
    )
    return bool(changed)


def approve_faq(store: Store, proposal_id: int, admin_id: int, write: Callable[[FaqProposal], object]) -> FaqProposal | None:
    """The whole approval, for every front end: claim the proposal (pending → approving),
    `write` it to the FAQ file, then mark it approved; when `write` raises, it goes back to
    pending and the error propagates. None when it was no longer pending."""
    proposal = claim_faq(store, proposal_id, admin_id)
    if proposal is None:
        return None
    try:
        write(proposal)
    except BaseException:
        finish_faq(store, proposal_id, False)
        raise
    finish_faq(store, proposal_id, True)
    return proposal


def reject_faq(store: Store, proposal_id: int, admin_id: int) -> FaqProposal | None:
    changed = store.write(
        "reject the FAQ proposal",
        "UPDATE faq_proposals SET status = 'rejected', decided_by = ?, decided_ts = ? WHERE id = ? AND status = 'pending'",
        (store.user_hash(admin_id), store.clock(), proposal_id),
    )
    return faq_proposal(store, proposal_id) if changed else None


# -- reports -----------------------------------------------------------------------------


def stats(store: Store) -> Stats:
    """Questions today (server's local day) and in total, abstentions, votes, pending proposals."""
    midnight = datetime.fromtimestamp(store.clock()).astimezone().replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    rows = store.read(
        "compute statistics",
        "SELECT"
        " (SELECT COUNT(*) FROM question_log WHERE ts >= ?),"
        " (SELECT COUNT(*) FROM question_log),"
        " (SELECT COUNT(*) FROM question_log WHERE abstained = 1),"
        " (SELECT COUNT(DISTINCT user_hash) FROM question_log WHERE ts >= ?),"
        " (SELECT COUNT(*) FROM feedback WHERE vote = 1),"
        " (SELECT COUNT(*) FROM feedback WHERE vote = -1),"
        " (SELECT COUNT(*) FROM faq_proposals WHERE status = 'pending'),"
        " (SELECT COUNT(*) FROM question_log WHERE tentative = 1)",
        (midnight, midnight),
    )
    if not rows:
        raise _unreadable(store, "statistics")
    return Stats(*rows[0])


def unanswered(store: Store, *, days: int = 30, limit: int = 15) -> list[Unanswered]:
    """Abstained or 👎 questions of the last `days`, grouped across scripts, most frequent first."""
    rows = store.read(
        "list unanswered questions",
        "SELECT (SELECT q2.question FROM question_log q2 WHERE q2.question_key = q.question_key ORDER BY q2.ts DESC, q2.id DESC LIMIT 1),"
        " COUNT(*), SUM(q.abstained), SUM(CASE WHEN d.answer_id IS NULL THEN 0 ELSE 1 END), MAX(q.ts)"
        " FROM question_log q"
        " LEFT JOIN (SELECT DISTINCT answer_id FROM feedback WHERE vote = -1) d ON d.answer_id = q.answer_id"
        " WHERE q.ts >= ? AND (q.abstained = 1 OR d.answer_id IS NOT NULL)"
        " GROUP BY q.question_key ORDER BY COUNT(*) DESC, MAX(q.ts) DESC LIMIT ?",
        (store.clock() - days * 86400, limit),
    )
    if rows is None:
        raise _unreadable(store, "question log")
    return [Unanswered(*row) for row in rows]
