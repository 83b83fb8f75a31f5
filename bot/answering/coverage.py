"""Which of a question's words a passage contains, weighted by how rare they are.

Shared by fusion (ranking), confidence (abstention) and answers (sentence choice).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Sequence

from bot.answering.focus import STORY_WEIGHT
from bot.records import Passage

# Past this many report passages a word's document frequency is counted on an even
# sample of them and scaled up: a national index would otherwise scan every passage
# for each new question word (about 1 s a question at a million passages).
IDF_SAMPLE = 20_000


class TermStatistics:
    """Inverse document frequencies of words over the indexed passages (substring match),
    and how common a word is in general Chinese when `commonness` is given
    (`bot.text.Tokenizer.commonness`)."""

    def __init__(self, passages: Sequence[Passage], sample: int = IDF_SAMPLE, commonness: Callable[[str], float] | None = None) -> None:
        texts = [p.search_text for p in passages if p.kind == "report"] or [""]
        self.total = len(texts)
        # every passage up to `sample`, else a fixed random sample (the same at every load)
        self.texts = texts if len(texts) <= sample else random.Random(0).sample(texts, sample)
        self._scale = self.total / len(self.texts)
        self._idf: dict[str, float] = {}
        self._df: dict[str, int] = {}
        self._commonness = commonness

    def df(self, word: str) -> int:
        """In how many report passages `word` occurs."""
        value = self._df.get(word)
        if value is None:
            value = self._df[word] = sum(1 for text in self.texts if word in text)
        return value

    def idf(self, word: str) -> float:
        """Rare words weigh more; words the reports never use weigh most."""
        value = self._idf.get(word)
        if value is None:
            df = self._scale * sum(1 for text in self.texts if word in text)
            value = math.log((self.total + 1) / (df + 0.5))
            self._idf[word] = value
        return value

    def commonness(self, word: str) -> float:
        """`commonness(word)` as given (infinite, i.e. rare, when none was given)."""
        return math.inf if self._commonness is None else self._commonness(word)



# A question word in more passages than this IDF says (学校, 教) tells nothing by itself:
# when the term table gave it official terms (每个学校 -> 全覆盖, 谁来教 -> 在职教师为主),
# those are what the question asks, and they alone count as finding it.
EVERYWHERE_IDF = 1.0


def word_weight(stats: TermStatistics, word: str, alternatives: Sequence[str] = ()) -> float:
    """How much a question word weighs: its IDF; for a parent's word the reports never use
    but that has official equivalents (补习班 -> 校外培训机构), the rarest equivalent's IDF
    (a colloquial word is not rare in meaning because the reports say it otherwise); for
    one they use everywhere (学校 of 每个学校 -> 全覆盖), the commonest equivalent's."""
    if alternatives and stats.df(word) == 0:
        return max(stats.idf(a) for a in alternatives)
    if alternatives and said_everywhere(stats, word):  # what the commonest official term weighs
        return min(stats.idf(a) for a in alternatives)
    return stats.idf(word)


def said_everywhere(stats: TermStatistics, word: str) -> bool:
    """Is the word in so many passages that finding it tells nothing (学校, 教)?"""
    return stats.idf(word) < EVERYWHERE_IDF


class QuestionWords:
    """A question's words prepared once for scoring many texts: IDF weights, official
    alternatives (托管费 -> 课后服务费), the parts of long words (在职教师 -> 在职, 教师) and
    the words told only in the story around the question: found, they add `STORY_WEIGHT`
    of their weight; missing, they do not count against the text (a report need not
    mention the parent's 眼睛 or 十点 to answer about homework)."""

    def __init__(
        self,
        words: Sequence[str],
        stats: TermStatistics,
        alternatives: dict[str, tuple[str, ...]] | None = None,
        parts: dict[str, tuple[str, ...]] | None = None,
        story: Collection[str] = (),
    ) -> None:
        alternatives = alternatives or {}
        parts = parts or {}
        self.items = []
        for w in dict.fromkeys(words):
            alts = alternatives.get(w, ())
            self.items.append((word_weight(stats, w, alts), _forms(stats, w, alts), parts.get(w, ()), w in story))
        self.total = sum(weight for weight, _, _, story in self.items if not story)

    def coverage(self, *texts: str) -> float:
        """IDF-weighted share of the words found in any of `texts`.

        A word counts as found when it or one of its official alternatives is there; a
        long word whose parts are there counts half, for the share of its parts found.
        """
        if not self.total:
            return 0.0
        found, told = self._found(texts)
        return (found + told) / (self.total + told)

    def evidence(self, *texts: str) -> float:
        """The IDF weight of the words found in any of `texts` (not a share: a long message
        whose passage holds 轮岗, 比例 and 城乡 has found as much as a short one)."""
        found, told = self._found(texts)
        return found + told

    def _found(self, texts: Sequence[str]) -> tuple[float, float]:
        """The weight found of the question's own words, and of the story's."""
        found = told = 0.0
        for weight, forms, pieces, story in self.items:
            if any(form in text for form in forms for text in texts):
                share = 1.0
            elif pieces:
                share = 0.5 * sum(any(p in text for text in texts) for p in pieces) / len(pieces)
            else:
                share = 0.5 * _longest_part(forms[0], texts)
            if story:  # a story word only adds what it finds
                told += STORY_WEIGHT * weight * share
            else:
                found += weight * share
        return found, told


def _forms(stats: TermStatistics, word: str, alternatives: Sequence[str]) -> tuple[str, ...]:
    """What counts as finding the word: it or an official equivalent; only the equivalents
    for a word said everywhere (学校 of 每个学校 is found by 全覆盖)."""
    if alternatives and said_everywhere(stats, word):
        return tuple(alternatives)
    return (word, *alternatives)


def _longest_part(word: str, texts: Sequence[str]) -> float:
    """The share of `word` its longest run of two or more characters found in `texts`
    makes up (监管科室 in "监管科": 0.75); 0 for a word of one or two characters."""
    n = len(word)
    for size in range(n - 1, 1, -1):
        for start in range(n - size + 1):
            part = word[start : start + size]
            if any(part in text for text in texts):
                return size / n
    return 0.0


def coverage(
    words: Sequence[str],
    texts: Sequence[str],
    stats: TermStatistics,
    alternatives: dict[str, tuple[str, ...]] | None = None,
    parts: dict[str, tuple[str, ...]] | None = None,
    story: Collection[str] = (),
) -> float:
    """IDF-weighted share of `words` found in any of `texts` (see `QuestionWords.coverage`)."""
    return QuestionWords(words, stats, alternatives, parts, story).coverage(*texts)
