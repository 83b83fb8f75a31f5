"""Parents' questions grouped by similarity, so admins see "托管费多少钱" and "晚托一个月交多少"
as one need (and write one FAQ entry for it), most frequent first.

Two questions are similar when their character pairs overlap, and so do the official terms
they say or their words expand to (`corpus/terms.toml`), each term weighing as much as a
few character pairs (a weighted Jaccard index). Cheap and explainable: the
question embeddings were tried and put unrelated questions closer than related ones
(e5 similarities of parents' questions sit between 0.85 and 0.95 whatever they ask).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.corpus.terms import Terms
from bot.text import compact, normalize

THRESHOLD = 0.35  # similarity above which a question joins a group
CONCEPT_WEIGHT = 3


Features = tuple[frozenset[str], frozenset[str]]  # (character pairs, official terms)


@dataclass
class Group:
    """Questions asked for the same thing: `members` as (question, count), most asked first."""

    members: list[tuple[str, int]] = field(default_factory=list)
    features: Features = (frozenset(), frozenset())

    @property
    def question(self) -> str:
        return self.members[0][0]

    @property
    def count(self) -> int:
        return sum(n for _, n in self.members)


_official: dict[int, tuple[Terms, tuple[str, ...]]] = {}


def _official_words(terms: Terms) -> tuple[str, ...]:
    """The reports' words of the table: every official term and dictionary word (cached per table)."""
    cached = _official.get(id(terms))
    if cached is None or cached[0] is not terms:
        words = {t for targets in terms.expansions.values() for t in targets} | set(terms.dictionary)
        cached = _official[id(terms)] = (terms, tuple(sorted(w for w in words if len(w) > 1)))
        if len(_official) > 8:
            _official.pop(next(iter(_official)))
    return cached[1]


_seen: dict[str, Features] = {}  # question → features, for the table in `_seen_with`
_seen_with: list[Terms | None] = [None]


def features(question: str, terms: Terms) -> Features:
    """Character pairs of the normalised question; the official terms it says or expands to
    (remembered while the term table stays the same: the same questions come back)."""
    if _seen_with[0] is not terms or len(_seen) > 50_000:
        _seen.clear()
        _seen_with[0] = terms
    found = _seen.get(question)
    if found is None:
        found = _seen[question] = _features(question, terms)
    return found


def _features(question: str, terms: Terms) -> Features:
    text = compact(normalize(question))
    pairs = frozenset({text[i : i + 2] for i in range(len(text) - 1)} or {text})
    concepts = {w for w in _official_words(terms) if w in text} | {targets[0] for _, targets in terms.matches(text) if targets}
    return pairs, frozenset(concepts)


def _size(f: Features) -> int:
    return len(f[0]) + CONCEPT_WEIGHT * len(f[1])


def similarity(a: Features, b: Features) -> float:
    """Weighted Jaccard: a shared official term counts as much as CONCEPT_WEIGHT character pairs."""
    shared = len(a[0] & b[0]) + CONCEPT_WEIGHT * len(a[1] & b[1])
    union = _size(a) + _size(b) - shared
    return shared / union if union else 0.0


def group_questions(counted: Iterable[tuple[str, int]], terms: Terms, threshold: float = THRESHOLD) -> list[Group]:
    """Greedy grouping in order of frequency: each question joins the group whose first
    (most asked) question is most similar, if similar enough; groups sorted by total count.
    Only groups sharing a feature with the question are compared (an inverted index)."""
    groups: list[Group] = []
    by_feature: dict[str, list[int]] = {}
    for question, count in sorted(counted, key=lambda qc: -qc[1]):
        mine = features(question, terms)
        shared: dict[int, int] = {}
        for feature, weight in [(p, 1) for p in mine[0]] + [("=" + c, CONCEPT_WEIGHT) for c in mine[1]]:
            for n in by_feature.get(feature, ()):
                shared[n] = shared.get(n, 0) + weight
        best, score = None, threshold
        for n, common in shared.items():
            s = common / (_size(mine) + _size(groups[n].features) - common)
            if s > score or (s == score and (best is None or n < best)):
                best, score = n, s
        if best is None:
            for feature in [*mine[0], *("=" + c for c in mine[1])]:
                by_feature.setdefault(feature, []).append(len(groups))
            groups.append(Group([(question, count)], mine))
        else:
            groups[best].members.append((question, count))
    groups.sort(key=lambda g: -g.count)
    return groups
