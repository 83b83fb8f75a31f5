"""Overview: the build in service and its corpus, the question log's last days, votes, and
charts (questions per day, topics, refusals). Reads `Service`, `bot.index.store` and
`bot.storage.reports`; nothing is counted twice."""

from __future__ import annotations

from collections import Counter

from starlette.requests import Request
from starlette.responses import Response

from bot.console.auth import console_of, requires
from bot.console.charts import horizontal_bars, stacked_columns
from bot.corpus.terms import Terms
from bot.errors import CorpusError
from bot.index.store import corpus_fingerprint
from bot.roles import Role
from bot.storage import admin as queue
from bot.storage import reports

TOPICS = 10


@requires(Role.ADMIN)
def show(request: Request) -> Response:
    """GET /overview."""
    console = console_of(request)
    config, pipeline = console.config, console.service.pipeline
    manifest = pipeline.index.manifest
    try:
        changed: bool | None = corpus_fingerprint(config.corpus) != manifest.get("corpus_fingerprint")
    except (CorpusError, OSError):
        changed = None
    activity = reports.activity(console.store, days=30)
    asked = reports.question_counts(console.store, days=7)
    topics = topic_counts(asked, pipeline.analyzer.terms)
    per_day = [(f"{d.day:%m-%d}", [("answered", d.questions - d.refused - d.tentative), ("tentative", d.tentative), ("refused", d.refused)]) for d in activity.days]
    refusals = [(f"{d.day:%m-%d}", [("refused", d.refused)]) for d in activity.days]
    context = {
        "manifest": manifest,
        "build_id": pipeline.index.build_id,
        "passages": len(pipeline.index.ordered),
        "faq_entries": sum(1 for p in pipeline.index.ordered if p.kind == "faq"),
        "corpus_changed": changed,
        "activity": activity,
        "stats": queue.stats(console.store),
        "per_day": stacked_columns("每天的提问(近 30 天)", per_day),
        "refusals": stacked_columns("每天未能回答的提问(近 30 天)", refusals),
        "topics": horizontal_bars("近 7 天的话题(按术语表)", topics) if topics else None,
    }
    return console.page(request, "overview.html", context)


def topic_counts(asked: list[tuple[str, int]], terms: Terms) -> list[tuple[str, int]]:
    """How many questions touched each official term (via the term table), top TOPICS."""
    counts: Counter[str] = Counter()
    for key, n in asked:
        for term in _topics(key, terms):
            counts[term] += n
    return counts.most_common(TOPICS)


_seen: dict[str, tuple[str, ...]] = {}  # question → its topics, for the term table in `_seen_with`
_seen_with: list[Terms | None] = [None]


def _topics(key: str, terms: Terms) -> tuple[str, ...]:
    if _seen_with[0] is not terms or len(_seen) > 50_000:  # the table was reloaded: start again
        _seen.clear()
        _seen_with[0] = terms
    found = _seen.get(key)
    if found is None:
        words = [w for w in terms.dictionary if w in key]
        expanded = [targets[0] for _, targets in terms.matches(key) if targets]
        found = _seen[key] = tuple(dict.fromkeys(expanded + words))
    return found
