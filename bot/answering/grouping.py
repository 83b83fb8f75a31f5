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


def features(question: str, terms: Terms) -> Features:
    """Character pairs of the normalised question; the official terms it says or expands to."""
    text = compact(normalize(question))
    pairs = frozenset({text[i : i + 2] for i in range(len(text) - 1)} or {text})
    concepts = {w for w in _official_words(terms) if w in text} | {targets[0] for _, targets in terms.matches(text) if targets}
    return pairs, frozenset(concepts)


def similarity(a: Features, b: Features) -> float:
    """Weighted Jaccard: a shared official term counts as much as CONCEPT_WEIGHT character pairs."""
    shared = len(a[0] & b[0]) + CONCEPT_WEIGHT * len(a[1] & b[1])
    union = len(a[0] | b[0]) + CONCEPT_WEIGHT * len(a[1] | b[1])
    return shared / union if union else 0.0


def group_questions(counted: Iterable[tuple[str, int]], terms: Terms, threshold: float = THRESHOLD) -> list[Group]:
    """Greedy grouping in order of frequency: each question joins the group whose first
    (most asked) question is most similar, if similar enough; groups sorted by total count."""
    groups: list[Group] = []
    for question, count in sorted(counted, key=lambda qc: -qc[1]):
        mine = features(question, terms)
        best, score = None, threshold
        for group in groups:
            s = similarity(mine, group.features)
            if s >= score:
                best, score = group, s
        if best is None:
            groups.append(Group([(question, count)], mine))
        else:
            best.members.append((question, count))
    groups.sort(key=lambda g: -g.count)
    return groups
