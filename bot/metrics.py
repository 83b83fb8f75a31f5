"""Prometheus metrics (prometheus-client), shared by every layer that has something to count.

Served at /metrics by the webhook listener (`bot.telegram.webhook`), or on
`[telegram] health_port` in polling mode. Queue depth and age are read from the database
when scraped (`QueueCollector`), so every instance reports the same shared queue.

    rate(shuangjian_messages_sent_total[1m])        messages sent per second (this instance)
    histogram_quantile(0.95, rate(shuangjian_answer_seconds_bucket[5m]))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)

QUESTIONS = Counter("shuangjian_questions", "Parents' questions answered (or refused), by chat kind.", ["kind"], registry=REGISTRY)
REFUSALS = Counter("shuangjian_refusals", "Questions the reports do not cover (the bot said so and gave the hotlines).", registry=REGISTRY)
ANSWER_SECONDS = Histogram(
    "shuangjian_answer_seconds", "Time to compute one answer (the pipeline, without sending).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "shuangjian_update_seconds", "From an update being queued to its handling finished (replies sent).",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120), registry=REGISTRY,
)
MESSAGES_SENT = Counter("shuangjian_messages_sent", "Requests to chats sent to Telegram by this instance (rate() = messages per second).", registry=REGISTRY)
TELEGRAM_429 = Counter("shuangjian_telegram_429", "Telegram answered 429 Too Many Requests.", registry=REGISTRY)
UPDATES_TAKEN_OVER = Counter("shuangjian_updates_taken_over", "Queued updates this instance claimed after another instance's lease ran out.", registry=REGISTRY)
BUILD_SECONDS = Histogram(
    "shuangjian_index_build_seconds", "Duration of index builds run by this instance.",
    buckets=(1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800), registry=REGISTRY,
)
INDEX_SWAPS = Counter("shuangjian_index_swaps", "Published index builds this instance fetched and switched to.", registry=REGISTRY)


class QueueCollector:
    """Queue depth and the age of its oldest update, read when Prometheus scrapes."""

    def __init__(self, depth: Callable[[], tuple[int, float | None]], clock: Callable[[], float]) -> None:
        self.depth = depth
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            waiting, oldest = self.depth()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is away
            return
        yield GaugeMetricFamily("shuangjian_queue_depth", "Updates queued or being answered (all instances).", value=waiting)
        age = max(0.0, self.clock() - oldest) if oldest is not None else 0.0
        yield GaugeMetricFamily("shuangjian_queue_oldest_age_seconds", "Age of the oldest update not yet answered.", value=age)

    def describe(self) -> list[GaugeMetricFamily]:
        return []


_collector: QueueCollector | None = None


def watch_queue(depth: Callable[[], tuple[int, float | None]], clock: Callable[[], float]) -> None:
    """Report this queue's depth at /metrics (replacing any queue watched before)."""
    global _collector
    if _collector is not None:
        REGISTRY.unregister(_collector)
    _collector = QueueCollector(depth, clock)
    REGISTRY.register(_collector)


def exposition() -> tuple[bytes, str]:
    """The /metrics body and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
