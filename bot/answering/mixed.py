"""Rules that say different things about the same point, shown side by side.

"课后服务是不是免费的": one sentence says a fee is charged (不高于2元/课时生), another
that poor families' fees are reduced or waived (减免), a third that the extended care is
free (无偿提供延时托管服务). Quoting one of them misleads. `fee_cases` finds, among the
top passages, the sentences about paying that agree with the question's scope, and
groups them by what they say: charged, reduced or waived, free. When two or more kinds
are there, the answer quotes the best sentence of each, labelled, so the parent sees
how they fit; a question about one case (低保, 困难) gets that case first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.aspects import disagreement, of_sentence
from bot.answering.leads import LeadPicker, split_sentences
from bot.answering.query import Query
from bot.records import Hit, Passage
from bot.text import normalize

CHARGED, REDUCED, FREE = "收费:", "减免:", "不收费:"
CASES_HEAD = "报告里的规定分几种情况:"
# Passages searched for the cases; a sentence with a figure in yuan weighs this much more.
CASE_PASSAGES = 8
FIGURE_BONUS = 2.0
RANK_DISCOUNT = 0.9
_YUAN = re.compile(r"\d+(?:\.\d+)?\s*元")

_ASKS_PAYING = re.compile(r"免费|收费|交钱|要钱|收钱|花钱|付费|费用|多少钱|[几多]块|学费|托管费|服务费|不要钱|白上|掏钱|出钱")
# Words that say which case is asked about, not what it is about: left out when scoring.
_CASE_WORDS = re.compile(r"免费|收费|交钱|要钱|收钱|花钱|付费|不要钱|白上|掏钱|出钱|少交|免交|减免|多少钱|[几多]块")
_ASKS_REDUCED = re.compile(r"困难|低保|贫困|减免|少交|免交|残疾|建档立卡|单亲|交不起")
_KINDS = (
    (REDUCED, re.compile(r"减免|免收|减收|免除")),
    (FREE, re.compile(r"免费|无偿提供(?!场地)|不另收费|不收费|不收取")),
    (CHARGED, re.compile(r"收取|缴纳|由家长承担|(?:\d+(?:\.\d+)?|[*＊]+)\s*元\s*/|收费标准|按[^,。;]{0,12}收费")),
)


def asks_about_paying(query: Query) -> bool:
    """Is the question about whether or how much parents pay?"""
    return bool(_ASKS_PAYING.search(query.topic or query.text))


def kind_of(sentence: str) -> str:
    """Charged, reduced or free ("" when the sentence says none of them)."""
    return next((kind for kind, pattern in _KINDS if pattern.search(sentence)), "")


def fee_cases(query: Query, hits: Sequence[Hit], picker: LeadPicker) -> list[tuple[str, Passage, str]]:
    """(label, passage, sentence) for each kind of rule on paying, when the top passages
    hold two or more kinds; else an empty list (one kind: the lead says it)."""
    if not asks_about_paying(query):
        return []
    best: dict[str, tuple[float, Passage, str]] = {}
    for rank, hit in enumerate(hits[:CASE_PASSAGES]):  # a gentler discount than the lead's: the cases may sit lower
        passage = hit.passage
        sentences = split_sentences(passage.text)
        for n, sentence in enumerate(sentences):
            body = normalize(sentence)
            kind = kind_of(body)
            if not kind or disagreement(query.aspects, of_sentence(body, passage.section)) is not None:
                continue
            unit = sentence.strip()
            following = normalize(sentences[n + 1]) if n + 1 < len(sentences) else ""
            if not _YUAN.search(body) and following and kind_of(following) == kind and _YUAN.search(following):
                unit += sentences[n + 1].strip()  # "收取一定费用" with the figure the next sentence gives
            score = picker.topic_score(query, unit, ignore=_CASE_WORDS)
            weighted = (score + (FIGURE_BONUS if _YUAN.search(normalize(unit)) else 0.0)) * RANK_DISCOUNT**rank
            if score > 0 and (kind not in best or weighted > best[kind][0]):
                best[kind] = (weighted, passage, unit)
    if len(best) < 2:
        return []
    order = (REDUCED, CHARGED, FREE) if _ASKS_REDUCED.search(query.text) else (CHARGED, REDUCED, FREE)
    return [(kind, best[kind][1], best[kind][2]) for kind in order if kind in best]
