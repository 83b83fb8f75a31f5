"""Choosing the sentence(s) that lead an answer.

A sentence scores by the IDF weight of the question's words (or their official terms)
it holds, plus a bonus when it gives what the question asks for (a figure, a channel).
Only sentences that fit the question's intent (`bot.answering.intent.lead_fit`) may
lead while one exists: a statistic never leads a "how much / when / may they" question
that a rule answers. The best passage leads unless a runner-up's sentence answers
clearly better; the district the parent named leads when it has a candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.answering.coverage import TermStatistics
from bot.answering.intent import is_channel, lead_fit
from bot.answering.query import Query
from bot.records import Hit, Passage
from bot.text import normalize

_SENTENCE = re.compile(r"[^。！？!?；;]*(?:[。！？!?；;]+[”’」』)]?|$)")
_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:元|%|％|万|亿|个|所|次|项|名|人|家|天|小时|分钟|课时|学期|月|年|份|块|门|件|余)|[一二三四五六七八九十两]+(?:个月|小时|元)")
_HOTLINE = re.compile(r"电话|热线|举报|投诉|信箱|监督|回复")

# The lead is sought in this many top passages; a runner-up's sentence must score this
# much better (per rank) to lead, so ranking still decides ties.
LEAD_CANDIDATES = 2
RUNNER_UP_DISCOUNT = 0.8
# Added to a sentence holding what the question asks for: a figure, or a complaint channel.
INTENT_BONUS = 2.0


def split_sentences(text: str) -> list[str]:
    """Sentences ending in 。！？ or ；, closing quotes kept with their sentence."""
    return [s for s in (m.group(0) for m in _SENTENCE.finditer(text)) if s.strip()]


@dataclass(frozen=True)
class Lead:
    """The best run of sentences of one passage for a question."""

    text: str
    score: float
    gives: bool  # holds what is asked for (a figure, a channel)
    fits: bool  # may lead a question with this intent (not a statistic for a rule question)


class LeadPicker:
    """Scores sentences against a question; picks the lead among the top passages."""

    def __init__(self, stats: TermStatistics, max_sentences: int = 2) -> None:
        self.stats = stats
        self.max_sentences = max(1, max_sentences)

    def score(self, query: Query, sentence: str) -> tuple[float, bool]:
        """IDF weight of the question's words in the sentence (plus the intent bonus), and
        whether it gives what the question asks for."""
        body = normalize(sentence)
        score = sum(self.stats.idf(w) for w in query.words if any(c in body for c in (w, *query.alternatives.get(w, ()))))
        gives = bool((query.wants_figure and _FIGURE.search(body)) or (query.wants_hotline and _HOTLINE.search(body)))
        return score + (INTENT_BONUS if gives else 0.0), gives

    def best(self, query: Query, passage: Passage, limit: int | None = None) -> Lead:
        """The best sentence that fits the intent (else the best one), and the next one
        when it is short."""
        limit = limit or self.max_sentences
        sentences = split_sentences(passage.text)
        if not sentences:
            return Lead(passage.text, 0.0, False, lead_fit(query.intent, normalize(passage.text)))
        scores = [self.score(query, s) for s in sentences]
        fits = [lead_fit(query.intent, normalize(s)) for s in sentences]
        pool = [n for n in range(len(sentences)) if fits[n] and scores[n][0] > 0] or range(len(sentences))
        i = max(pool, key=lambda n: (scores[n][0], -n))
        chosen = [sentences[i]]
        while len(chosen) < limit and i + len(chosen) < len(sentences) and len("".join(chosen)) < 40:
            chosen.append(sentences[i + len(chosen)])
        return Lead("".join(chosen).strip(), scores[i][0], scores[i][1], fits[i])

    def pick(self, query: Query, hits: Sequence[Hit], prefer: Iterable[str] = ()) -> tuple[int, Lead]:
        """Which of the top hits leads, and with which sentences.

        The preferred regions lead when they have a candidate; then a sentence that fits
        the intent; then one that gives the figure or channel asked for, unless it is
        clearly off the question."""
        runs = [self.best(query, h.passage) for h in hits[:LEAD_CANDIDATES]]
        weighted = [run.score * RUNNER_UP_DISCOUNT**n for n, run in enumerate(runs)]
        preferred = set(prefer)
        eligible = [n for n in range(len(runs)) if hits[n].passage.region in preferred] or list(range(len(runs)))
        eligible = [n for n in eligible if runs[n].fits] or eligible
        best = max(weighted[n] for n in eligible)
        eligible = [n for n in eligible if runs[n].gives and weighted[n] >= 0.5 * best] or eligible
        pick = max(eligible, key=lambda n: (weighted[n], -n))
        return pick, runs[pick]

    def channel(self, query: Query, passages: Sequence[Passage], prefer: Iterable[str] = ()) -> tuple[Passage, str] | None:
        """The reporting channel a report names that best fits the question: the preferred
        regions' first, then the one sharing most of the question's words."""
        preferred = set(prefer)
        best: tuple[tuple[bool, float], Passage, str] | None = None
        for passage in passages:
            for sentence in split_sentences(passage.text):
                if not is_channel(normalize(sentence)):
                    continue
                key = (passage.region in preferred, self.score(query, sentence)[0])
                if best is None or key > best[0]:
                    best = (key, passage, sentence.strip())
        return (best[1], best[2]) if best else None

