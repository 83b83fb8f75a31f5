"""Which of a question's words a passage contains, weighted by how rare they are.

Shared by fusion (ranking), confidence (abstention) and answers (sentence choice).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.records import Passage


class TermStatistics:
    """Inverse document frequencies of words over the indexed passages (substring match)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.texts = [p.search_text for p in passages if p.kind == "report"] or [""]
        self.total = len(self.texts)
        self._idf: dict[str, float] = {}

    def idf(self, word: str) -> float:
        """Rare words weigh more; words the reports never use weigh most."""
        value = self._idf.get(word)
        if value is None:
            df = sum(1 for text in self.texts if word in text)
            value = math.log((self.total + 1) / (df + 0.5))
            self._idf[word] = value
        return value


def coverage(
    words: Sequence[str],
    texts: Sequence[str],
    stats: TermStatistics,
    alternatives: dict[str, tuple[str, ...]] | None = None,
    parts: dict[str, tuple[str, ...]] | None = None,
) -> float:
    """IDF-weighted share of `words` found in any of `texts`.

    A parent's word also counts as found when one of its official `alternatives`
    (from the term table: 托管费 -> 课后服务费) is there; a long word whose `parts`
    are there (在职教师 -> 教师) counts half for the share of its parts found.
    """
    unique = list(dict.fromkeys(words))
    if not unique:
        return 0.0
    alternatives = alternatives or {}
    parts = parts or {}
    total = found = 0.0
    for word in unique:
        weight = stats.idf(word)
        total += weight
        if any(c in text for c in (word, *alternatives.get(word, ())) for text in texts):
            found += weight
        elif word in parts:
            pieces = parts[word]
            found += 0.5 * weight * sum(any(p in text for text in texts) for p in pieces) / len(pieces)
    return found / total if total else 0.0
