"""BM25 over jieba tokens, keyed by passage id.

Backed by `bm25s` (Lucene's BM25 variant, k1=1.5, b=0.75), fed the token lists we
make ourselves with `bot.text.Tokenizer`: bm25s accepts pre-tokenised lists of
strings directly, keeps its own vocabulary, ignores unknown query tokens, scores a
whole corpus with sparse matrix maths and saves to plain .npy/.json files. Rows are
mapped back to passage ids with an int64 array saved next to it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from bot.errors import IndexCorruptError, UsageError

IDS_FILE = "ids.npy"
META_FILE = "meta.json"
K1 = 1.5
B = 0.75
_INT64_MAX = 2**63 - 1

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import; keep it quiet


class KeywordIndex:
    """A BM25 index whose rows are passage ids; build it with `KeywordIndex.build`."""

    def __init__(self, ids: np.ndarray, bm25: object | None) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self._bm25 = bm25  # None when no passage has a single token

    @classmethod
    def build(cls, ids: Sequence[int], token_lists: Sequence[list[str]]) -> KeywordIndex:
        """Index one token list per passage id."""
        if len(ids) != len(token_lists):
            raise UsageError(f"KeywordIndex.build needs one token list per id: {len(ids)} ids, {len(token_lists)} token lists.")
        for pid in ids:
            if isinstance(pid, bool) or not isinstance(pid, (int, np.integer)) or not 0 <= int(pid) <= _INT64_MAX:
                raise UsageError(f"KeywordIndex ids must be non-negative int64 passage ids, got {pid!r}.")
        if len(set(int(i) for i in ids)) != len(ids):
            raise UsageError("KeywordIndex ids must be unique; got duplicates.")
        for tokens in token_lists:
            if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
                raise UsageError(f"KeywordIndex token lists must be lists of strings, got {tokens!r:.80}.")
        bm25 = None
        if any(token_lists):
            bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
            bm25.index([list(tokens) for tokens in token_lists], show_progress=False)
        return cls(np.array([int(i) for i in ids], dtype=np.int64), bm25)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def search(self, tokens: list[str], k: int) -> list[tuple[int, float]]:
        """Up to `k` (passage id, BM25 score), best first; passages that share no token are left out."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise UsageError(f"k must be a positive integer, got {k!r}.")
        tokens = [t for t in tokens if isinstance(t, str) and t]
        if not tokens or self._bm25 is None:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float64)  # type: ignore[attr-defined]
        hits = np.flatnonzero(scores > 0)
        if hits.size > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        # best first; equal scores in id order so results are deterministic
        order = sorted(hits.tolist(), key=lambda row: (-scores[row], int(self.ids[row])))
        return [(int(self.ids[row]), float(scores[row])) for row in order]

    def save(self, folder: str | Path) -> None:
        """Write the index into `folder` (created if needed)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / IDS_FILE, self.ids, allow_pickle=False)
        meta = {"rows": len(self), "bm25": self._bm25 is not None, "k1": K1, "b": B, "method": "lucene"}
        (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, folder: str | Path) -> KeywordIndex:
        """Read an index written by `save`; a missing or damaged file raises IndexCorruptError."""
        folder = Path(folder)
        ids_path, meta_path = folder / IDS_FILE, folder / META_FILE
        for path in (ids_path, meta_path):
            if not path.is_file():
                raise IndexCorruptError(str(path), "the keyword index file is missing")
        try:
            ids = np.load(ids_path, allow_pickle=False)
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(str(ids_path), f"cannot be read: {exc}") from exc
        if ids.ndim != 1 or ids.dtype != np.int64:
            raise IndexCorruptError(str(ids_path), f"expected a 1-D int64 array, got {ids.dtype} of shape {ids.shape}")
        if not isinstance(meta, dict) or meta.get("rows") != len(ids):
            raise IndexCorruptError(str(meta_path), f"does not describe the {len(ids)} rows of {IDS_FILE}")
        if not meta.get("bm25"):
            return cls(ids, None)
        try:
            bm25 = bm25s.BM25.load(str(folder), mmap=False, show_progress=False)
        except (OSError, ValueError, EOFError, KeyError, json.JSONDecodeError) as exc:
            raise IndexCorruptError(str(folder), f"the BM25 files cannot be read: {exc}") from exc
        rows = int(getattr(bm25, "scores", {}).get("num_docs", len(ids)))
        if rows != len(ids):
            raise IndexCorruptError(str(ids_path), f"{len(ids)} ids for a BM25 index of {rows} passages")
        return cls(ids, bm25)
