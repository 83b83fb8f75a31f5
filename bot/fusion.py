"""Joining dense and keyword candidates into one ranking, preferring the parent's district.

One weighted score per passage (the Dify / RAGFlow style, with weights fitted on
labelled questions): the cosine similarity min-max scaled over the candidates, the
BM25 score relative to the best one, and the IDF-weighted share of the question's
words the passage contains (a parent's word counting as found when its official
equivalent is there). Near-duplicate passages are dropped. Fused scores only order
passages; whether to answer at all is decided on one calibrated probability
elsewhere (`bot.confidence`), never on these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bot.coverage import TermStatistics, coverage
from bot.query import Query
from bot.records import Hit


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

    def run(self, query: Query, candidates: Sequence[Hit], top_k: int, regions: Iterable[str] = ()) -> list[Hit]:
        """Rank `candidates` (each seen by at least one retriever) for `query`."""
        if not candidates:
            return []
        preferred = set(regions)
        words = query.words
        dense = [h.dense or 0.0 for h in candidates]
        low, high = min(dense), max(dense)
        best_keyword = max((h.keyword or 0.0) for h in candidates) or 1.0
        w = self.weights
        scored = []
        for hit, cos in zip(candidates, dense):
            p = hit.passage
            cov = coverage(words, [f"{p.section} {p.search_text}"], self.stats, query.alternatives, query.parts)
            score = (
                w.dense * ((cos - low) / (high - low) if high > low else 1.0)
                + w.keyword * (hit.keyword or 0.0) / best_keyword
                + w.coverage * cov
            )
            if p.region in preferred:
                score *= self.region_boost
            scored.append(replace(hit, score=score, coverage=cov))
        scored.sort(key=lambda h: (-h.score, h.passage.id))
        return dedupe(scored, self.dedup_threshold, limit=top_k)


def merge_candidates(*rankings: Sequence[Hit]) -> list[Hit]:
    """One hit per passage, keeping what each retriever said about it."""
    merged: dict[int, Hit] = {}
    for ranking in rankings:
        for hit in ranking:
            old = merged.get(hit.passage.id)
            merged[hit.passage.id] = hit if old is None else replace(
                old,
                dense=old.dense if old.dense is not None else hit.dense,
                keyword=old.keyword if old.keyword is not None else hit.keyword,
                rank_dense=old.rank_dense if old.rank_dense is not None else hit.rank_dense,
                rank_keyword=old.rank_keyword if old.rank_keyword is not None else hit.rank_keyword,
            )
    return list(merged.values())


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def dedupe(hits: Sequence[Hit], threshold: float, limit: int | None = None) -> list[Hit]:
    """Drop hits whose text mostly repeats a better-ranked hit (character-bigram overlap)."""
    kept: list[tuple[Hit, set[str]]] = []
    for hit in hits:
        if limit is not None and len(kept) >= limit:
            break
        grams = _bigrams(hit.passage.search_text)
        if any(len(grams & other) / min(len(grams), len(other)) >= threshold for _, other in kept):
            continue
        kept.append((hit, grams))
    return [hit for hit, _ in kept]
