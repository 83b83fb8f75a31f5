"""The two first-stage retrievers over a loaded index: dense (FAISS) and keyword (BM25).

Each is a small component: the constructor validates its arguments and
`run(query, top_k=None)` returns ranked `Hit`s, `top_k` overriding the default per call.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from bot.answering.query import Query
from bot.index.embedder import Embedder
from bot.records import Hit, Passage


class SearchableIndex(Protocol):
    """What the retrievers need from `bot.index.store.LoadedIndex`."""

    passages: dict[int, Passage]

    def dense_search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]: ...

    def vectors(self, ids: list[int]) -> np.ndarray: ...

    def keyword_search(self, tokens: list[str], k: int) -> list[tuple[int, float]]: ...


def _check_top_k(top_k: int, name: str = "top_k") -> int:
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
        raise ValueError(f"{name} must be a positive integer, got {top_k!r}")
    return top_k


class DenseRetriever:
    """Embeds the question (e5 "query:" side) and searches the FAISS index by cosine."""

    def __init__(self, index: SearchableIndex, embedder: Embedder, top_k: int = 30) -> None:
        self.index = index
        self.embedder = embedder
        self.top_k = _check_top_k(top_k)

    def embed(self, query: Query) -> np.ndarray:
        """The normalised query vector."""
        return self.embedder.encode_query([query.dense_text])[0]

    def run(self, query: Query, top_k: int | None = None, vector: np.ndarray | None = None) -> list[Hit]:
        """Top passages by cosine similarity; pass `vector` to reuse an embedding."""
        k = _check_top_k(top_k or self.top_k)
        vec = self.embed(query) if vector is None else vector
        return [
            Hit(passage=self.index.passages[pid], score=score, dense=score, rank_dense=rank)
            for rank, (pid, score) in enumerate(self.index.dense_search(vec, k))
        ]


    def score(self, passage_ids: list[int], vector: np.ndarray) -> list[Hit]:
        """Cosine similarity of given passages (found by another retriever) to the query vector."""
        if not passage_ids:
            return []
        sims = self.index.vectors(passage_ids) @ vector
        return [Hit(passage=self.index.passages[pid], score=float(s), dense=float(s)) for pid, s in zip(passage_ids, sims)]


class KeywordRetriever:
    """BM25 over jieba tokens of the question and its official-term expansions."""

    def __init__(self, index: SearchableIndex, top_k: int = 30) -> None:
        self.index = index
        self.top_k = _check_top_k(top_k)

    def run(self, query: Query, top_k: int | None = None) -> list[Hit]:
        """Top passages by BM25; an empty question finds nothing."""
        k = _check_top_k(top_k or self.top_k)
        if not query.tokens:
            return []
        return [
            Hit(passage=self.index.passages[pid], score=score, keyword=score, rank_keyword=rank)
            for rank, (pid, score) in enumerate(self.index.keyword_search(list(query.tokens), k))
        ]
