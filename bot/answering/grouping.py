"""Parents' questions grouped by similarity, so admins see "托管费多少钱" and "晚托一个月交多少"
as one need (and write one FAQ entry for it), most frequent first.

Two questions are similar when their character pairs and the official terms their words
expand to (`corpus/terms.toml`) overlap enough (Jaccard). Cheap and explainable: the
question embeddings were tried and put unrelated questions closer than related ones
(e5 similarities of parents' questions sit between 0.85 and 0.95 whatever they ask).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.corpus.terms import Terms
from bot.text import compact, normalize

THRESHOLD = 0.35  # Jaccard of features above which a question joins a group


@dataclass
class Group:
    """Questions asked for the same thing: `members` as (question, count), most asked first."""

    members: list[tuple[str, int]] = field(default_factory=list)
    features: frozenset[str] = frozenset()

    @property
    def question(self) -> str:
        return self.members[0][0]

    @property
    def count(self) -> int:
        return sum(n for _, n in self.members)


def features(question: str, terms: Terms) -> frozenset[str]:
    """Character pairs of the normalised question, plus the official terms it expands to."""
    text = compact(normalize(question))
    pairs = {text[i : i + 2] for i in range(len(text) - 1)} or {text}
    return frozenset(pairs | {f"={t}" for t in terms.expand(text)})


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


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
