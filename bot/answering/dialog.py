"""Follow-ups: completing an elliptical message from the chat's last question.

Rules, not a language model (the way the leading RAG systems fall back when they have
none): the raw message is searched as it is unless it is elliptical, and only the
missing slots are borrowed from the last question, never its passages.

- A place alone, or "那涪陵呢": the last question about the new place (swap the district).
- "那收费呢", "要交钱吗", "家长支持率呢" (short, no subject of its own, an aspect or a
  "那…呢"): the last question's subject (课后服务, 作业, 校外培训 …) and place with the
  new aspect (swap the aspect). A qualifier that names no aspect ("那家庭困难的呢") is
  added to the whole last question. A short message about something else ("今天天气
  怎么样") is asked as it is.
- Anything else is a new question and starts afresh: no stale place or topic.
The state expires after `ttl` seconds (30 minutes by default).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.answering.intent import Intent, intent_of
from bot.answering.regions import Scope
from bot.records import DialogState

DEFAULT_TTL = 30 * 60
# What a question is about: when a message names one, it stands on its own.
SUBJECTS = re.compile(
    r"课后服务|课后延时|延时服务|托管|晚托|午托|作业|校外培训|培训机构|培训班|辅导班|补习班|补课|补习|家教|兴趣班|兴趣课|"
    r"个性化课程|社团|学科类|非学科|家长学校|家庭教育|家校|家访|老师|教师|学校|考试|成绩|排名|睡眠|手机|课堂|双减|幼儿园|"
    r"预收费|退费|广告"
)
_LEAD_IN = re.compile(r"^(?:那么?|那个|还有|另外|再问一?下|如果是|要是|换成|改成|那如果)")
_TAIL = re.compile(r"(?:呢|吗|嘛|(?<![什怎这那多])么|啊|呀|吧|哦|的话|怎么样|咋样|如何|情况)+$")
_PUNCT = re.compile(r"[\s,.!?;:、。，！？；：~…]+")
# Words naming an aspect of a subject (its rate, amount, standard, rule, time).
_ASPECT = re.compile(r"率|量|标准|规定|要求|时间|费|钱|人数|多少|几")
# Short messages are the ones that lean on what came before.
SHORT = 12


@dataclass(frozen=True)
class Completion:
    """The question to search, and how it came about."""

    text: str  # what is searched (the raw message when nothing was borrowed)
    borrowed: str = ""  # "" (new question), "place" (district swapped) or "aspect" (aspect swapped)
    place: str = ""  # the place the completed question is about, as written


class FollowUps:
    """Completes elliptical messages from a `DialogState`; says what to remember next."""

    def __init__(self, scope: Callable[[str], tuple[Scope, str]], ttl: float = DEFAULT_TTL) -> None:
        if ttl <= 0:
            raise ValueError(f"the conversation ttl must be positive, got {ttl!r}")
        self.scope = scope  # normalised text -> (its place, the text without it)
        self.ttl = ttl

    def fresh(self, state: DialogState | None, now: float) -> DialogState | None:
        """The state if it has not expired."""
        return state if state is not None and state.topic and now - state.ts <= self.ttl else None

    def complete(self, text: str, state: DialogState | None, now: float) -> Completion:
        """`text` is the normalised, filler-free message."""
        scope, topic = self.scope(text)
        place = scope.written[-1] if scope.written else ""
        state = self.fresh(state, now)
        if state is None:
            return Completion(text, "", place)
        rest = topic_core(topic)
        if not rest:  # a place alone: the last question about it
            if not place:
                return Completion(text, "", "")
            return Completion(_join(place, state.topic), "place", place)
        leaning = bool(_LEAD_IN.search(topic) or re.search(r"呢$", _PUNCT.sub("", topic)))
        if SUBJECTS.search(rest) and not (leaning and len(rest) <= SHORT // 2):
            return Completion(text, "", place)  # a question of its own ("课后服务呢" leans on the last one)
        aspect = intent_of(rest) is not Intent.FACT or bool(_ASPECT.search(rest))
        # "那…呢" leans on what came before; a short aspect alone ("要交钱吗", "几点结束")
        # does too; a short message about something else ("今天天气怎么样") does not.
        if len(rest) > SHORT or not (leaning or (aspect and len(rest) <= SHORT // 2 + 2)):
            return Completion(text, "", place)
        where = place or state.place
        if SUBJECTS.search(rest):  # "那作业呢": a new subject for the same place
            return Completion(_join(where, rest), "aspect", where)
        base = state.subject if aspect else state.topic  # an aspect replaces the old one
        return Completion(_join(where, base, rest), "aspect", where)

    def remember(self, completion: Completion, topic: str, now: float) -> DialogState:
        """What to keep after answering `completion` (`topic`: the question without its place)."""
        subject = SUBJECTS.search(topic)
        return DialogState(topic=topic_core(topic) or topic, place=completion.place, subject=subject.group(0) if subject else "", ts=now)


def topic_core(topic: str) -> str:
    """The message without lead-ins, trailing particles and punctuation."""
    text = _PUNCT.sub("", topic)
    previous = None
    while previous != text:
        previous = text
        text = _LEAD_IN.sub("", text)
        text = _TAIL.sub("", text)
        text = re.sub(r"^的|的$", "", text)
    return text


def _join(*parts: str) -> str:
    return "".join(p for p in parts if p)
