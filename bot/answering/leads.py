"""Choosing the sentence(s) that lead an answer.

A sentence scores by the IDF weight of the question's words (or their official terms)
it holds, plus a bonus when it gives what the question asks for (a figure, a channel).
Only sentences that fit the question may lead while one exists: they fit its intent
(`bot.answering.intent.lead_fit`: a statistic never leads a "how much / when / may they"
question that a rule answers), agree with its scope (`bot.answering.aspects`: a rule for
training centres does not lead a question about schools) and hold at least one of its
words. The lead is a whole answering unit: when the sentence that fits leaves the
figure, the time or the channel asked for to the next sentence, the next one comes too.
The best passage leads unless a runner-up's sentence answers clearly better; the
district the parent named leads when it has a candidate; when neither of the top two
has a sentence that fits, the next few passages are tried.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.answering.aspects import Disagreement, disagreement, of_sentence, sets_stage
from bot.answering.coverage import TermStatistics, said_everywhere, word_weight
from bot.answering.focus import STORY_WEIGHT
from bot.answering.intent import FORM_WORDS, FREQUENCY, TIME_EXPR, Intent, is_channel, lead_fit
from bot.answering.query import Query
from bot.records import Hit, Passage
from bot.text import normalize

_SENTENCE = re.compile(r"[^。！？!?；;]*(?:[。！？!?；;]+[”’」』)]?|$)")
_FIGURE = re.compile(r"[*＊]+\s*元|\d+(?:\.\d+)?\s*(?:元|%|％|万|亿|个|所|次|项|名|人|家|天|小时|分钟|课时|学期|月|年|份|块|门|件|余)|[一二三四五六七八九十两]+(?:个月|小时|元)")
_HOTLINE = re.compile(r"电话|热线|举报|投诉|信箱|监督|回复")
_MONEY = re.compile(r"(?:\d+(?:\.\d+)?|[*＊]+|[一二三四五六七八九十百千两]+)\s*(?:元|块|万元|亿元)")
# A span of time in the parent's own case, and one in a report sentence.
_CASE_SPAN = re.compile(r"半年|一年|全年|一学期|整学期|[一二三四五六七八九十两几\d]+个?月")
_SPAN = re.compile(r"(?:\d+|[一二三四五六七八九十两])\s*个?月|时间跨度")
_SHARE = re.compile(r"\d+(?:\.\d+)?\s*[%％]")
# A channel a parent can use (not a task force that handles petitions).
_STRONG_CHANNEL = re.compile(r"举报电话|举报信箱|投诉电话|投诉举报电话|监督举报|热线|监管与服务综合平台|监督平台")

# The lead is sought in this many top passages (in up to `LEAD_FALLBACK` when none of
# them has a sentence that fits); a runner-up's sentence must score this much better
# (per rank) to lead, so ranking still decides ties.
LEAD_CANDIDATES = 2
LEAD_FALLBACK = 5
# A lead grows by the next sentence while shorter than this, or when that sentence gives
# what the lead leaves out, up to `MAX_UNIT` characters.
SHORT_LEAD = 40
# A sentence shorter than this ("二是抓学科类培训机构压减。") is a heading: it does not count
# against the sentences a lead may hold.
HEADING = 20
MAX_UNIT = 260
RUNNER_UP_DISCOUNT = 0.8
# ... or when it holds this share of the lead's score: it goes on answering the question.
SAME_TOPIC = 0.8
# Added to a sentence holding what the question asks for: a figure, or a complaint channel.
INTENT_BONUS = 2.0
# A question word found only as one of its official terms (补课 as 校外培训) weighs this
# much: the parent's own word, found as written, says more ("回复率咋样": 回复率达100%).
ALTERNATIVE_WEIGHT = 0.9
# "具体点嘛": the lead may hold this many more sentences.
DETAIL_SENTENCES = 2
# A sentence of statistics (two or more shares) weighs this much for a question
# that a rule answers: "9.8万余学生自愿参与…参与率达98.9%" is not the rule 学生自愿原则.
STATISTICS_WEIGHT = 0.6


def split_sentences(text: str) -> list[str]:
    """Sentences ending in 。！？ or ；, closing quotes kept with their sentence."""
    return [s for s in (m.group(0) for m in _SENTENCE.finditer(text)) if s.strip()]


@dataclass(frozen=True)
class Lead:
    """The best run of sentences of one passage for a question."""

    text: str
    score: float
    gives: bool  # holds what is asked for (a figure, a channel)
    fits: bool  # may lead: fits the intent and the scope, and holds a word of the question
    disagrees: Disagreement | None = None  # the scope it speaks of instead, when it does not agree
    worded: bool = True  # holds a word of what the question is about (not only 时间 for 多久)


class LeadPicker:
    """Scores sentences against a question; picks the lead among the top passages."""

    def __init__(self, stats: TermStatistics, max_sentences: int = 2) -> None:
        self.stats = stats
        self.max_sentences = max(1, max_sentences)

    def score(self, query: Query, sentence: str) -> tuple[float, bool]:
        """IDF weight of the question's words in the sentence (plus the intent bonus), and
        whether it gives what the question asks for."""
        body = normalize(sentence)
        score = sum(self._weight(query, w, body) * (1.0 if self._said(query, w, body) else ALTERNATIVE_WEIGHT) for w in query.words)
        if query.intent.wants_rule and len(_SHARE.findall(body)) >= 2:
            score *= STATISTICS_WEIGHT
        gives = _gives(query, body)
        return score + (INTENT_BONUS if gives else 0.0), gives

    @staticmethod
    def worded(query: Query, body: str) -> bool:
        """Does the (normalised) sentence hold a word of what the question is about? (Not
        only the pupils it is about: "新建公办幼儿园6所" does not answer 幼儿园 + 托管.)"""
        if not query.words:
            return True
        words = [w for w in query.words if not FORM_WORDS.match(w)]
        topical = [w for w in words if not sets_stage(w)] or words
        return any(_holds(query, w, body) for w in topical)

    def topic_score(self, query: Query, sentence: str, ignore: re.Pattern[str]) -> float:
        """IDF weight of the question's words in the sentence, leaving out the words that
        `ignore` matches (收费, 免费 …: they say which case, not what it is about)."""
        body = normalize(sentence)
        return sum(self._weight(query, w, body) for w in query.words if not ignore.search(w))

    def _said(self, query: Query, word: str, body: str) -> bool:
        """Does the sentence hold the question's own word (not only an official term for it)?
        For a word said everywhere with official terms (课 of 啥子课), only those count."""
        return word in body and not (query.alternatives.get(word) and said_everywhere(self.stats, word))

    def _weight(self, query: Query, word: str, body: str) -> float:
        """The word's weight when the sentence holds it (a word said everywhere, 学校 of
        每个学校, weighs as its official terms only when they are there)."""
        alternatives = query.alternatives.get(word, ())
        if alternatives and said_everywhere(self.stats, word) and not any(a in body for a in alternatives):
            weight = self.stats.idf(word) if word in body else 0.0
        else:
            weight = word_weight(self.stats, word, alternatives) if _holds(query, word, body) else 0.0
        return weight * STORY_WEIGHT if word in query.story else weight

    def best(self, query: Query, passage: Passage, limit: int | None = None) -> Lead:
        """The best sentence that fits the question (else the best one), grown into a whole
        answering unit: the next sentence joins when the lead is short or leaves to it
        the figure, time or channel asked for."""
        limit = limit or self.max_sentences
        sentences = split_sentences(passage.text)
        if not sentences:
            return Lead(passage.text, 0.0, False, lead_fit(query.intent, normalize(passage.text)))
        bodies = [normalize(s) for s in sentences]
        scores = [self.score(query, s) for s in sentences]
        scopes = [disagreement(query.aspects, of_sentence(b, passage.section)) for b in bodies]
        worded = [self.worded(query, b) for b in bodies]
        fits = [lead_fit(query.intent, bodies[n]) and scopes[n] is None and (worded[n] or not query.words) for n in range(len(sentences))]
        pool = [n for n in range(len(sentences)) if fits[n] and scores[n][0] > 0] or range(len(sentences))
        i = max(pool, key=lambda n: (scores[n][0], -n))
        chosen = [sentences[i]]
        gives = scores[i][1]
        while sum(len(c) >= HEADING for c in chosen) < limit and i + len(chosen) < len(sentences):
            j = i + len(chosen)
            completes = not gives and scores[j][1] and scopes[j] is None
            # the next sentence answers as much as the lead does (查处 …, then 执法检查126次 …)
            completes = completes or (fits[j] and scores[j][0] >= SAME_TOPIC * scores[i][0] > 0)
            # a lead ending in a semicolon is half a sentence: its other half comes too
            completes = completes or (scopes[j] is None and chosen[-1].rstrip().endswith(("；", ";")))
            if not (len("".join(chosen)) < SHORT_LEAD or completes) or len("".join(chosen)) + len(sentences[j]) > MAX_UNIT:
                break
            chosen.append(sentences[j])
            gives = gives or scores[j][1]
        return Lead("".join(chosen).strip(), scores[i][0], gives, fits[i], None if fits[i] else scopes[i], worded[i])

    def pick(self, query: Query, hits: Sequence[Hit], prefer: Iterable[str] = ()) -> tuple[int, Lead]:
        """Which of the top hits leads, and with which sentences.

        The preferred regions lead when they have a candidate; then a sentence that fits
        the intent; then one that gives the figure or channel asked for, unless it is
        clearly off the question."""
        limit = self.max_sentences + (DETAIL_SENTENCES if query.detail else 0)
        runs = [self.best(query, h.passage, limit) for h in hits[:LEAD_CANDIDATES]]
        if not any(run.fits for run in runs):  # look a little further down for a sentence that fits
            runs += [self.best(query, h.passage, limit) for h in hits[LEAD_CANDIDATES:LEAD_FALLBACK]]
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
        best: tuple[tuple[bool, bool, float], Passage, str] | None = None
        for passage in passages:
            for sentence in split_sentences(passage.text):
                body = normalize(sentence)
                if not is_channel(body):
                    continue
                key = (passage.region in preferred, bool(_STRONG_CHANNEL.search(body)), self.score(query, sentence)[0])
                if best is None or key > best[0]:
                    best = (key, passage, sentence.strip())
        return (best[1], best[2]) if best else None


def _holds(query: Query, word: str, body: str) -> bool:
    """Does the sentence hold the question's word or one of its official terms?"""
    return any(form in body for form in (word, *query.alternatives.get(word, ())))


def _gives(query: Query, body: str) -> bool:
    """Does the sentence hold what the question asks for: the figure, the time, the channel?"""
    if query.intent is Intent.TIME:
        return bool(TIME_EXPR.search(body))
    if query.intent is Intent.OFTEN:
        return bool(FREQUENCY.search(body))
    if query.wants_hotline and _HOTLINE.search(body):
        return True
    if _CASE_SPAN.search(query.text) and _SPAN.search(body):  # "一次交半年的钱" meets "不得…超过3个月"
        return True
    if query.intent is Intent.FIGURE:
        return bool(_MONEY.search(body))
    return query.intent is Intent.COUNT and bool(_FIGURE.search(body))  # how many: a figure answers
