"""Joining dense and keyword candidates into one ranking, preferring the parent's district.

One weighted score per passage (the Dify / RAGFlow style, with weights fitted on
labelled questions): the cosine similarity min-max scaled over the candidates, the
BM25 score relative to the best one, and the IDF-weighted share of the question's
words the passage contains (a parent's word counting as found when its official
equivalent is there). Near-duplicate passages are dropped. Fused scores only order
passages; whether to answer at all is decided on one calibrated probability
elsewhere (`bot.answering.confidence`), never on these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from bot.answering.coverage import QuestionWords, TermStatistics
from bot.answering.query import Query
from bot.records import Hit, Passage


@dataclass(frozen=True)
class FusionWeights:
    dense: float = 0.5
    keyword: float = 0.5
    coverage: float = 0.5

    def __post_init__(self) -> None:
        for name in ("dense", "keyword", "coverage"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"fusion weight {name} must be a non-negative number, got {value!r}")
        if not (self.dense or self.keyword or self.coverage):
            raise ValueError("fusion weights must not all be zero")


class HybridFuser:
    """Scores every candidate passage once and returns the best `top_k`, duplicates removed."""

    def __init__(self, stats: TermStatistics, weights: FusionWeights | None = None, region_boost: float = 1.5, dedup_threshold: float = 0.85) -> None:
        if region_boost < 1.0:
            raise ValueError(f"region_boost must be at least 1.0, got {region_boost!r}")
        if not 0.0 < dedup_threshold <= 1.0:
            raise ValueError(f"dedup_threshold must be in (0, 1], got {dedup_threshold!r}")
        self.stats = stats
        self.weights = weights or FusionWeights()
        self.region_boost = region_boost
        self.dedup_threshold = dedup_threshold
        self._gram_cache: dict[int, frozenset[str]] = {}

    def run(self, query: Query, candidates: Sequence[Hit], top_k: int, regions: Iterable[str] = ()) -> list[Hit]:
        """Rank `candidates` (each seen by at least one retriever) for `query`."""
        if not candidates:
            return []
        preferred = set(regions)
        words = QuestionWords(query.words, self.stats, query.alternatives, query.parts, query.story)
        dense = [h.dense or 0.0 for h in candidates]
        low, high = min(dense), max(dense)
        spread = high - low
        best_keyword = max((h.keyword or 0.0) for h in candidates) or 1.0
        w = self.weights
        scored = []
        for hit, cos in zip(candidates, dense):
            p = hit.passage
            cov = words.coverage(p.section, p.search_text)
            score = w.dense * ((cos - low) / spread if spread else 1.0) + w.keyword * (hit.keyword or 0.0) / best_keyword + w.coverage * cov
            if p.region in preferred:
                score *= self.region_boost
            scored.append((score, cov, hit))
        scored.sort(key=lambda s: (-s[0], s[2].passage.id))
        kept = dedupe([s[2] for s in scored], self.dedup_threshold, limit=top_k, grams=self._bigrams)
        by_id = {s[2].passage.id: s for s in scored}
        return [replace(h, score=by_id[h.passage.id][0], coverage=by_id[h.passage.id][1]) for h in kept]

    def _bigrams(self, passage: Passage) -> frozenset[str]:
        """Character bigrams of a passage, computed once per index."""
        grams = self._gram_cache.get(passage.id)
        if grams is None:
            grams = self._gram_cache[passage.id] = bigrams(passage)
        return grams


def merge_candidates(*rankings: Sequence[Hit]) -> list[Hit]:
    """One hit per passage, keeping what each retriever said about it."""
    merged: dict[int, dict] = {}
    passages: dict[int, Passage] = {}
    for ranking in rankings:
        for hit in ranking:
            pid = hit.passage.id
            passages[pid] = hit.passage
            fields = merged.setdefault(pid, {"score": hit.score})
            for name in ("dense", "keyword", "rank_dense", "rank_keyword"):
                value = getattr(hit, name)
                if value is not None and fields.get(name) is None:
                    fields[name] = value
    return [Hit(passage=passages[pid], **fields) for pid, fields in merged.items()]


def bigrams(passage: Passage) -> frozenset[str]:
    text = passage.search_text
    return frozenset({text[i : i + 2] for i in range(len(text) - 1)} or {text})


def dedupe(
    hits: Sequence[Hit], threshold: float, limit: int | None = None, grams: Callable[[Passage], frozenset[str]] = bigrams
) -> list[Hit]:
    """Drop hits whose text mostly repeats a better-ranked hit (character-bigram overlap)."""
    kept: list[tuple[Hit, frozenset[str]]] = []
    for hit in hits:
        if limit is not None and len(kept) >= limit:
            break
        mine = grams(hit.passage)
        if any(len(mine & other) / min(len(mine), len(other)) >= threshold for _, other in kept):
            continue
        kept.append((hit, mine))
    return [hit for hit, _ in kept]
