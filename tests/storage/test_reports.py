"""bot.storage.reports (the console's overview and test history) and the shared FAQ approval."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.storage import admin, reports
from bot.storage.store import Store

NOW = datetime(2026, 11, 20, 15, 0).astimezone().timestamp()


def store_at(tmp_path: Path, now: float = NOW) -> Store:
    clock = [now]
    store = Store(tmp_path / "bot.sqlite3", salt="s", clock=lambda: clock[0])
    store.now = clock  # type: ignore[attr-defined]
    return store


def ask(
    store: Store, when: float, *, abstained: bool = False, confidence: float = 0.9, question: str = "托管费多少",
    answer_id: str | None = None, tentative: bool = False,
) -> None:
    store.now[0] = when  # type: ignore[attr-defined]
    store.log_question(1, question, kind="private", abstained=abstained, confidence=confidence, answer_id=answer_id, tentative=tentative)
    store.now[0] = NOW  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_activity_buckets_days_and_counts_outcomes_and_votes(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if backend == "postgres":
        clock = [NOW]
        store = Store(request.getfixturevalue("postgres_url"), salt="s", clock=lambda: clock[0])
        store.now = clock  # type: ignore[attr-defined]
    else:
        store = store_at(tmp_path)
    ask(store, NOW - 60)
    ask(store, NOW - 120, abstained=True, confidence=0.2)
    ask(store, NOW - 180, confidence=0.4, answer_id="a", tentative=True)
    ask(store, NOW - 3 * 86400, answer_id="b")
    ask(store, NOW - 20 * 86400)
    ask(store, NOW - 40 * 86400)  # outside the 30 days
    store.record_vote("a", 1, -1)
    store.record_vote("b", 1, 1)
    result = reports.activity(store, days=30)
    assert len(result.days) == 30 and result.days[-1].day == datetime.fromtimestamp(NOW).date()
    assert (result.today, result.week, result.week_refused, result.week_tentative) == (3, 4, 1, 1)
    assert sum(d.questions for d in result.days) == 5
    assert (result.up, result.down, result.week_up, result.week_down) == (1, 1, 1, 1)
    assert result.refused_share == pytest.approx(0.25)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_question_counts_and_trials(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if backend == "postgres":
        clock = [NOW]
        store = Store(request.getfixturevalue("postgres_url"), salt="s", clock=lambda: clock[0])
        store.now = clock  # type: ignore[attr-defined]
    else:
        store = store_at(tmp_path)
    for _ in range(3):
        ask(store, NOW - 10, question="托管费多少?")
    ask(store, NOW - 10, question="作业多")
    ask(store, NOW - 10 * 86400, question="作业多")
    assert reports.question_counts(store, days=7) == [("托管费多少", 3), ("作业多", 1)]  # keyed by the compact form
    reports.record_trial(store, 42, "托管费", None, False, 0.8)
    store.now[0] += 1  # type: ignore[attr-defined]
    reports.record_trial(store, 42, "高考", "重庆市涪陵区", True, 0.1)
    assert [(t.question, t.region, t.abstained) for t in reports.recent_trials(store)] == [("高考", "重庆市涪陵区", True), ("托管费", None, False)]


def test_approval_writes_then_marks_and_a_failed_write_puts_it_back(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    first = admin.propose_faq(store, 77, "李老师", "几点放学?", "17:30", "")
    written = []
    assert admin.approve_faq(store, first, 42, written.append).question == "几点放学?"
    assert [p.id for p in written] == [first] and admin.faq_proposal(store, first).status == "approved"
    assert admin.approve_faq(store, first, 42, written.append) is None  # decided already: nothing written twice

    def disk_full(proposal: admin.FaqProposal) -> None:
        raise OSError("disk full")

    second = admin.propose_faq(store, 77, "李老师", "作业多?", "找班主任", "")
    with pytest.raises(OSError):
        admin.approve_faq(store, second, 42, disk_full)
    assert admin.faq_proposal(store, second).status == "pending"


def test_an_unreadable_store_raises_for_reports(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    store.close()
    with pytest.raises(Exception, match="cannot be read"):
        reports.activity(store)
    assert reports.record_trial(store, 1, "q", None, False, 0.5) is None
