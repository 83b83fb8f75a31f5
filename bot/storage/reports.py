"""What the web console reads from the store beyond /stats and /unanswered: questions per
day with their outcomes, votes over a period, the week's questions for the topic chart,
and the history of retrieval tests. Reads an admin asked for raise StorageError.

Days are the server's local days. Rows are bucketed in Python, so the SQL stays portable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.storage.admin import _unreadable
from bot.storage.store import Store

DAY = 86400.0


@dataclass(frozen=True)
class Day:
    day: date
    questions: int = 0
    refused: int = 0
    tentative: int = 0


@dataclass(frozen=True)
class Activity:
    """Questions per day (oldest first) and the totals the overview shows."""

    days: tuple[Day, ...]
    today: int
    week: int
    week_refused: int
    week_tentative: int
    week_up: int
    week_down: int
    up: int
    down: int

    @property
    def refused_share(self) -> float:
        return self.week_refused / self.week if self.week else 0.0

    @property
    def tentative_share(self) -> float:
        return self.week_tentative / self.week if self.week else 0.0


@dataclass(frozen=True)
class Trial:
    id: int
    ts: float
    question: str
    region: str | None
    abstained: bool
    confidence: float


def _rows(store: Store, what: str, sql: str, params: tuple) -> list[tuple]:
    rows = store.read(what, sql, params)
    if rows is None:
        raise _unreadable(store, what)
    return rows


def midnight(ts: float) -> datetime:
    """The local midnight starting the day of `ts`."""
    return datetime.fromtimestamp(ts).astimezone().replace(hour=0, minute=0, second=0, microsecond=0)


def activity(store: Store, *, days: int = 30) -> Activity:
    """The last `days` days of the question log: asked, refused and answered tentatively."""
    today = midnight(store.clock())
    first = today - timedelta(days=days - 1)
    rows = _rows(store, "question log", "SELECT ts, abstained, tentative FROM question_log WHERE ts >= ?", (first.timestamp(),))
    dates = [(first + timedelta(days=n)).date() for n in range(days)]
    counts = {d: [0, 0, 0] for d in dates}
    for ts, abstained, tentative in rows:
        bucket = counts.get(datetime.fromtimestamp(ts).date())
        if bucket is None:  # clock moved, or a row from the future
            continue
        bucket[0] += 1
        if abstained:
            bucket[1] += 1
        elif tentative:
            bucket[2] += 1
    series = tuple(Day(d, *counts[d]) for d in dates)
    week = series[-7:]
    week_start = (today - timedelta(days=6)).timestamp()
    votes = _rows(
        store,
        "votes",
        "SELECT SUM(CASE WHEN vote = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN vote = -1 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN vote = 1 AND ts >= ? THEN 1 ELSE 0 END), SUM(CASE WHEN vote = -1 AND ts >= ? THEN 1 ELSE 0 END)"
        " FROM feedback",
        (week_start, week_start),
    )
    up, down, week_up, week_down = (int(v or 0) for v in votes[0])
    return Activity(
        days=series,
        today=series[-1].questions,
        week=sum(d.questions for d in week),
        week_refused=sum(d.refused for d in week),
        week_tentative=sum(d.tentative for d in week),
        week_up=week_up,
        week_down=week_down,
        up=up,
        down=down,
    )


def question_counts(store: Store, *, days: int = 7) -> list[tuple[str, int]]:
    """(normalised question, times asked) over the last `days` days, most asked first."""
    since = store.clock() - days * DAY
    return [(key, int(n)) for key, n in _rows(
        store,
        "question log",
        "SELECT question_key, COUNT(*) FROM question_log WHERE ts >= ? GROUP BY question_key ORDER BY COUNT(*) DESC",
        (since,),
    )]


# -- retrieval tests -------------------------------------------------------------------


def record_trial(store: Store, user_id: int, question: str, region: str | None, abstained: bool, confidence: float) -> int | None:
    """Remember one retrieval test (user id hashed), so it can be run again later."""
    return store.insert(
        "record the retrieval test",
        "INSERT INTO console_trials (ts, user_hash, question, region, abstained, confidence) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (store.clock(), store.user_hash(user_id), question, region, int(abstained), float(confidence)),
    )


def recent_trials(store: Store, limit: int = 20) -> list[Trial]:
    rows = _rows(
        store,
        "retrieval tests",
        "SELECT id, ts, question, region, abstained, confidence FROM console_trials ORDER BY ts DESC, id DESC LIMIT ?",
        (limit,),
    )
    return [Trial(int(i), ts, q, r, bool(a), float(c)) for i, ts, q, r, a, c in rows]
