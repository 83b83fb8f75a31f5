"""Joining the dense and keyword rankings: reciprocal rank fusion, region preference, dedup.

Fused scores only order passages. Whether to answer at all is decided on one
calibrated score elsewhere (`bot.confidence`), never on these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.records import Hit


class RankFuser:
    """Weighted reciprocal rank fusion (RRF, k=60 by default) of several ranked lists."""

    def __init__(self, rrf_k: int = 60, weights: Sequence[float] = (1.0, 1.0), region_boost: float = 1.5, dedup_threshold: float = 0.85) -> None:
        if rrf_k < 1:
            raise ValueError(f"rrf_k must be at least 1, got {rrf_k!r}")
        if any(w < 0 for w in weights) or not any(weights):
            raise ValueError(f"weights must be non-negative and not all zero, got {tuple(weights)!r}")
        if region_boost < 1.0:
            raise ValueError(f"region_boost must be at least 1.0, got {region_boost!r}")
        if not 0.0 < dedup_threshold <= 1.0:
            raise ValueError(f"dedup_threshold must be in (0, 1], got {dedup_threshold!r}")
        self.rrf_k = rrf_k
        self.weights = tuple(weights)
        self.region_boost = region_boost
        self.dedup_threshold = dedup_threshold

    def run(self, rankings: Sequence[Sequence[Hit]], top_k: int, regions: Iterable[str] = ()) -> list[Hit]:
        """Fuse `rankings` (one list per retriever, best first) into the top `top_k` hits."""
        if len(rankings) != len(self.weights):
            raise ValueError(f"expected {len(self.weights)} rankings (one per weight), got {len(rankings)}")
        preferred = set(regions)
        merged: dict[int, Hit] = {}
        scores: dict[int, float] = {}
        for weight, ranking in zip(self.weights, rankings):
            for rank, hit in enumerate(ranking):
                pid = hit.passage.id
                scores[pid] = scores.get(pid, 0.0) + weight / (self.rrf_k + rank + 1)
                merged[pid] = _merge(merged.get(pid), hit)
        if preferred:
            for pid, hit in merged.items():
                if hit.passage.region in preferred:
                    scores[pid] *= self.region_boost
        ordered = sorted(merged.values(), key=lambda h: scores[h.passage.id], reverse=True)
        return dedupe([replace(h, score=scores[h.passage.id]) for h in ordered], self.dedup_threshold, limit=top_k)


def _merge(old: Hit | None, new: Hit) -> Hit:
    """Keep what each retriever said about the same passage."""
    if old is None:
        return new
    return replace(
        old,
        dense=old.dense if old.dense is not None else new.dense,
        keyword=old.keyword if old.keyword is not None else new.keyword,
        rank_dense=old.rank_dense if old.rank_dense is not None else new.rank_dense,
        rank_keyword=old.rank_keyword if old.rank_keyword is not None else new.rank_keyword,
    )


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
