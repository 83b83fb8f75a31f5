"""Which clauses of a message ask the question, and which tell the story around it.

Parents often tell their case before they ask: "我家在涪陵,娃儿读四年级,每天做业要做到
十点多,眼睛都熬红了。想问下区里对作业有没得啥子管控措施?". The words of the story (十点,
眼睛, 熬) are not what a report must hold to answer; the question clause's words (作业,
管控) are. `split` finds the clauses that ask (a question mark, 吗, 什么, 有没有, 多少 …)
and the ones that only tell. The story's words then weigh `STORY_WEIGHT` in coverage and
sentence choice, and the intent is read from the question clauses.

A message whose question clauses say too little on their own ("收费吗", "这样合理吗",
"我该怎么办") keeps every word at full weight: there the story is what is asked about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a question is about: a follow-up naming one stands on its
# own, and a question clause naming one says enough to set the story around it apart.
SUBJECTS = re.compile(
    r"课后服务|课后延时|延时服务|托管|晚托|午托|作业|校外培训|培训机构|培训班|辅导班|补习班|补课|补习|家教|兴趣班|兴趣课|"
    r"个性化课程|社团|学科类|非学科|家长学校|家庭教育|家校|家访|考试|成绩|排名|睡眠|手机|幼儿园|"
    r"预收费|退费|广告|放学后|留校"
)

# How much a word told only in the story counts next to a word of the question clause.
STORY_WEIGHT = 0.3
# The question clauses must hold this many words of their own (not 多久, 规定 …) for the
# story to weigh less.
MIN_QUESTION_WORDS = 2

_CLAUSE = re.compile(r"[^,，。.!！?？;；:：\n\s~…]+[,，。.!！?？;；:：\n\s~…]*")
_ASKS = re.compile(
    r"[?？]|(?:[吗嘛么呢伐不]|没[得有]?)\W*$|什么|啥|怎|咋|如何|多少|多久|多长|多大|(?<![好十])几[点个时天年月岁次项家所门种名成]|"
    r"有没|有木有|能不能|可不可以|可以不|是不是|会不会|要不要|用不用|让不让|准不准|算不算|行不行|对不对|"
    r"允不允许|需不需要|能否|是否|哪|谁|好多[个家所项次份块名位件条门种](?:\W*$|[嘛哦啊呀哟])|^有好多|(?<![得太])好多\W*$|(?!动)(\w)不\1"
)


@dataclass(frozen=True)
class Focus:
    """A message cut into what it asks and what it tells."""

    question: str  # the clauses that ask (the whole message when none or all do)
    story: str = ""  # the clauses that only tell

    @property
    def has_story(self) -> bool:
        return bool(self.story)


def clauses(text: str) -> list[str]:
    """The message's clauses, each with the punctuation that ends it."""
    return [m.group(0) for m in _CLAUSE.finditer(text) if m.group(0).strip()]


def asks(clause: str) -> bool:
    """Does the clause ask something?"""
    return bool(_ASKS.search(clause.strip()))


def asking_spans(text: str) -> list[tuple[int, int]]:
    """Where the clauses that ask stand in `text` (start, end)."""
    return [m.span() for m in _CLAUSE.finditer(text) if m.group(0).strip() and asks(m.group(0))]


def split(text: str, ends_asking: bool = False) -> Focus:
    """What the message asks and what it tells around the question.

    `ends_asking`: the message ended with a question mark that `text` no longer holds
    (stripped with the filler), so its last clause asks ("…让娃儿课堂上就学懂?")."""
    parts = clauses(text)
    asking = [asks(c) for c in parts]
    if ends_asking and asking:
        asking[-1] = True
    if len(parts) < 2 or all(asking) or not any(asking):
        return Focus(text)
    question = "".join(c for c, a in zip(parts, asking) if a)
    story = "".join(c for c, a in zip(parts, asking) if not a)
    return Focus(question, story)
