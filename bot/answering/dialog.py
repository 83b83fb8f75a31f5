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

from bot.answering.focus import SUBJECTS, asks
from bot.answering.intent import FORM_WORDS, Intent, intent_of
from bot.answering.regions import Scope
from bot.records import DialogState

DEFAULT_TTL = 30 * 60
# Words every question may hold (老师, 学校): they do not make a message stand on its own.
_GENERIC = re.compile(r"老师|教师|家长|学生|学校|双减|课堂")
_LEAD_IN = re.compile(r"^(?:那如果|那边|这边|那里|那儿|那些|那个|那么|那|这些|还有|另外|再问一?下|如果是|要是|换成|改成|具体|比如)")
_TAIL = re.compile(r"(?:也说下|也说说|说一下|说下|讲一下|也讲讲|没得|没有|呢|咧|嘞|勒|喃|哩|捏|吗|嘛|(?<![什怎这那多])么|啊|呀|吧|哦|噢|的话|怎么样|咋样|如何|(?:是|又是)?(?:啥子|啥|什么|怎样|怎么样|咋样)?情况)+$")
_HEAD = re.compile(r"^(?:呢|咧|嘞|勒|喃|哩|啊|哦|噢)+")
# Words pointing back at what was said before: "有没有类似的", "也有人管吗", "具体多少",
# "叫啥子名堂" (the name of what was just asked about).
_ANAPHORA = re.compile(r"叫(?:啥|什么|啥子)|(?:啥|什么|啥子)名[字堂称]|类似|同样|一样|这样|这种|那种|这些|那些|这个|那个|具体|其他|别的|他们|它们|^还|^都|也(?:算|是|有|要|能|会|可以|行|管)")
# "有没有数据", "有数字没", "给个比例": the figures of what was asked before.
_FIGURES = re.compile(r"数据|数字|统计|比例|百分比|个数")
# "他们", "那边", "那里的": the place of the last answer, when the last question named none.
_THERE = re.compile(r"他们|人家|那边|那里|那儿|那个地方|那个区|那个县|那个市")
# Words too plain to tie a message to the last question by themselves.
_PLAIN = frozenset({"钱", "人", "有", "是", "要", "能"})
# "网上有没有平台可以查", "去哪里看": a verb whose object is what was asked before.
_NO_OBJECT = re.compile(r"(?:可以|能|能不能|可不可以|去哪[里儿]?|在哪[里儿]?|哪里能|哪儿能)(?:查|查询|看|看到|问|办|报名|申请|找到)(?:吗|呢|不|没|啊|嘛|到)?$")
# "那云阳呢", "通州那边咧?老师愿意吗": a clause ending in 呢 leans on what came before.
_LEANING_END = re.compile(r"[呢咧嘞勒喃](?:[\s,.!?;:、。，！？；：~…]|$)")
_PUNCT = re.compile(r"[\s,.!?;:、。，！？；：~…]+")
_EDGES = re.compile(r"^[\s,.!?;:、。，！？；：~…]+|[\s,.!?;:、。，！？；：~…]+$")
# What the place's removal leaves at the start ("那边咧?", ",").
_PLACE_LEFT = re.compile(r"^[\s,.!?;:、。，！？；：~…]+")
# Words naming an aspect of a subject (its rate, amount, standard, rule, time).
_ASPECT = re.compile(r"率|量|标准|规定|要求|时间|费|钱|人数|多少|几|内容|模式|形式|方式|安排|效果|做法|措施")
# "哪个来审核", "谁管": who or where, asked alone of the last subject.
_WHO = re.compile(r"谁|哪个|哪些|哪里|哪儿")
# "老师呢", "家长呢": the same subject, asked about other people.
_PEOPLE = re.compile(r"^(?:老师|教师|家长|学生|校长|班主任|志愿者)们?$")
# "我娃儿在云阳读小学", "我们是涪陵的", "我们屋在城头, 孙子读三年级": a short clause starting
# with the family and saying where or who it is, asking nothing.
FAMILY_CLAUSE = 18
_FAMILY = re.compile(r"^(?:现在|今年|去年|后来|最近)?(?:跟到|跟着)?(?:我|俺|咱|家|娃|孩子|孙|儿子|女儿|闺女|住|坐标)")
_WHERE_OR_WHO = re.compile(r"在|住|是|读|上|念|转|搬|的$")
# "真的假的", "是不是真的哦": the last question, asked again to be sure.
_CONFIRM = re.compile(r"^(?:真的假的|真的吗|真的嘛|真的啊|真的哦|是不是真的|是真的吗|当真|不会吧)")
# "具体点嘛", "能不能说详细些", "展开讲讲", "在说细点" (再 mistyped): more on the last question.
_DETAIL = re.compile(
    r"^(?:能不能|可不可以|可以|麻烦|请)?(?:再|在)?(?:说|讲|介绍)?(?:得)?(?:具体|详细|仔细|(?<=[说讲得])细)(?:一)?(?:点|些|一点|一些)?(?:说说|讲讲|说下|讲下|说一下|讲一下|介绍下)?"
    r"(?:嘛|呢|吗|啊|哦|噻|撒|不)?$|^(?:展开|再)(?:说说|讲讲|说一下|讲一下)$"
    r"|^还有(?:没有|没得)?(?:别的|其他的?|其它的?|啥子?|什么)?(?:措施|办法|做法)?(?:吗|呢|没|不|没有|没得|嘛)?$|^(?:别的|其他的?)(?:呢|吗|嘛)$"
)
# "这是哪里的规定", "上面说的是哪个区的", "是我们这里的吗": whose rule the last answer quoted.
_WHOSE = re.compile(
    r"^(?:这|那|上面|刚才|你说的|你)?(?:个|些|说的|讲的)?(?:都)?(?:是)?(?:哪里|哪儿|哪个区|哪个县|哪个市|哪个地方|什么地方|啥地方|哪个区县)(?:的)?"
    r"(?:规定|做法|政策|报告|文件|情况|数据)?(?:啊|呀|吗|呢|哦|嘛)?$"
)
# "具体分几步", "具体是好多学校结对子": the last question, asked more precisely.
_SPECIFICALLY = re.compile(r"^(?:那|说|讲)?具体")
# Short messages are the ones that lean on what came before.
SHORT = 12
# A follow-up that adds to the last question keeps at most this much of it.
MAX_TOPIC = 60


@dataclass(frozen=True)
class Completion:
    """The question to search, and how it came about."""

    text: str  # what is searched (the raw message when nothing was borrowed)
    borrowed: str = ""  # "" (new question), "place" (district swapped), "aspect" (aspect swapped), "more", "home", "whose"
    place: str = ""  # the place the completed question is about, as written
    context: str = ""  # the part borrowed as background ("more"): its words weigh as a story does
    home: str = ""  # the place the parent said they are from, kept for their next questions
    introduces: bool = False  # the message only says where the parent is from ("我们是涪陵的")
    detail: bool = False  # the message asks for more on the last question ("具体点嘛")


class FollowUps:
    """Completes elliptical messages from a `DialogState`; says what to remember next."""

    def __init__(
        self, scope: Callable[[str], tuple[Scope, str]], ttl: float = DEFAULT_TTL, words: Callable[[str], list[str]] | None = None,
        known: Callable[[str], bool] | None = None,
    ) -> None:
        if ttl <= 0:
            raise ValueError(f"the conversation ttl must be positive, got {ttl!r}")
        self.scope = scope  # normalised text -> (its place, the text without it)
        self.ttl = ttl
        self.words = words  # text -> its content words (`Tokenizer.content_words`), when known
        self.known = known  # word -> do the reports use it, when known

    def fresh(self, state: DialogState | None, now: float) -> DialogState | None:
        """The state if it has not expired."""
        return state if state is not None and state.topic and now - state.ts <= self.ttl else None

    def complete(self, text: str, state: DialogState | None, now: float) -> Completion:
        """`text` is the normalised, filler-free message."""
        scope, topic = self.scope(text)
        place = scope.written[-1] if scope.written else ""
        state = self.fresh(state, now)
        home = state.home if state else ""
        if place:  # "我娃儿在云阳读小学", "涪陵呢 我们娃儿在涪陵读书": where the family is
            kept, told = _without_family(text)
            if told and not kept:
                return Completion(text, "", place, home=place, introduces=True)
            if told:
                home = place
                asked_scope, asked_topic = self.scope(kept)
                if asked_scope.written:  # "涪陵呢 我们娃儿在涪陵读书": the question part names the place itself
                    text, scope, topic = kept, asked_scope, asked_topic
                    place = scope.written[-1]
                elif state is not None and not topic_core(asked_topic):  # "现在跟到我们转到通州去了,那边呢": a swap of place
                    text = join(place, kept)
                    scope, topic = self.scope(text)
        if state is None:
            return Completion(text, "", place, home=home)
        if state.answered and _WHOSE.match(_PUNCT.sub("", topic)):  # "这是哪里的规定": whose report the last answer quoted
            return Completion(text, "whose", state.place, home=home)
        if _tells_family(_PUNCT.sub("", state.topic)):  # the last message only said where the family is
            if place:
                return Completion(text, "", place, home=home)
            return Completion(join(home or state.place, text), "home", home or state.place, home=home)
        if _CONFIRM.match(_PUNCT.sub("", topic)):  # "真的假的,是真的在管还是说起耍的": the last question again
            where = place or state.place or home
            return Completion(join(where, state.topic), "more", where, home=home)
        if _DETAIL.match(_PUNCT.sub("", topic)):  # "具体点嘛", "还有别的吗": the last question, at more length
            where = place or state.place or home or _there(topic, state)
            return Completion(join(where, state.topic), "more", where, home=home, detail=True)
        first, _, after = topic.strip(" ,.!?;:、。，！？；：~…").partition(" ")
        if after and _DETAIL.match(_PUNCT.sub("", first)):  # "具体点 咋个休": more, on this point of it
            where = place or state.place or home or _there(topic, state)
            return Completion(join(where, state.topic, "，" + after), "more", where, context=state.topic, home=home, detail=True)
        rest = topic_core(topic)
        if rest and _SPECIFICALLY.match(_PUNCT.sub("", topic)) and len(rest) <= SHORT:
            # "具体分几步", "具体是好多学校": the last question, at more length, on this point of it
            where = place or state.place or home or _there(topic, state)
            return Completion(join(where, state.topic, "，" + rest), "more", where, context=state.topic, home=home, detail=True)
        if not rest:  # a place alone: the last question about it
            if not place:
                return Completion(text, "", "", home=home)
            return Completion(join(place, state.topic), "place", place, home=home)
        if not self._leans(topic, rest, bool(place)) and not self._says_nothing(rest) and not self._says_little(topic, rest, place) and not (
            not place and len(rest) <= SHORT and not SUBJECTS.search(rest) and self._repeats(rest, state.topic)
        ):  # ("娃儿有好多参加" after "课后服务有好多老师参加": the same matter, asked of others)
            if home and not place:  # a question of its own, about the place the parent is from
                return Completion(join(home, text), "home", home, home=home)
            return Completion(text, "", place, home=home)  # a question of its own: nothing stale carried over
        where = place or state.place or home or _there(topic, state)
        if SUBJECTS.search(_first_clause(topic)) or (SUBJECTS.search(rest) and len(rest) > SHORT):
            # "那作业呢", "那放学以后托管那块呢,老师都参加吗": a new subject for the same place
            # (a message of several clauses keeps its stops, so its story still reads apart)
            return Completion(join(where, _clauses(topic_core(topic, keep_stops=True)) or rest), "aspect", where, home=home)
        first = topic_core(_first_clause(topic))
        short = len(rest) <= SHORT // 2 + 2
        if short and not place and self._repeats(rest, state.topic) and _is_aspect(rest):
            # "多久查一回" after "县里有没有人下来查": how often the same thing is done, not a new aspect
            return Completion(join(where, state.topic, "，" + rest), "more", where, context=state.topic, home=home)
        if place and _asks_how_or_who(rest) and short and not _PEOPLE.match(rest) and intent_of(state.topic) is not Intent.HOW:
            # "涪陵那边咋个管的" after "泸州节假日还能补课不": the same matter, holidays and all,
            # asked of another place how it is handled (after a "how" question it is a place swap)
            return Completion(join(where, state.topic, "，" + rest), "more", where, context=state.topic, home=home)
        if (_is_aspect(rest) or _WHO.search(rest)) and short or (_is_aspect(first) and len(first) <= SHORT // 2 + 2) or _PEOPLE.match(rest):
            # "要交钱吗", "内容呢 就是看着写作业?": the aspect swapped; with no subject to keep
            # ("老师交流轮岗多不多" → "新老师招了好多"), the last question is background only
            context = "" if state.subject else state.topic
            return Completion(join(where, state.subject or state.topic, rest), "aspect", where, context=context, home=home)
        # more about the same thing ("那家庭困难的呢", "具体有啥规定", "云阳有没有类似的")
        # a message of several clauses keeps its stops, so that its story still reads apart
        # from its question ("通州那边有没有类似的?我妹妹家在那边")
        told = _clauses(topic)
        tail = "，" + told if told else "、" + rest  # (a stop jieba does not cut across: 支教、派了好多人去, not 教派)
        return Completion(join(where, state.topic, tail), "more", where, context=state.topic, home=home)

    def _says_little(self, topic: str, rest: str, place: str) -> bool:
        """Is the message a short question with no place or subject of its own, all of whose
        words the reports use ("有专门的科室吗" after "通州对培训机构咋管的")? Then it asks
        about the last question's matter; "今天天气怎么样" (words no report uses) does not."""
        if place or self.known is None or self.words is None or len(rest) > SHORT or SUBJECTS.search(rest) or not asks(topic):
            return False
        words = [w for w in self.words(rest) if len(w) > 1]
        return bool(words) and all(self.known(w) for w in words)

    def _repeats(self, rest: str, last: str) -> bool:
        """Does the message repeat a word of the last question's, other than one asking for a
        kind of answer (多久) or money and people ("钱哪个出" after "课后服务收钱吗" is an aspect)?"""
        if self.words is None:
            return False
        said = set(self.words(last))
        return any(w in said and not FORM_WORDS.match(w) and w not in _PLAIN for w in self.words(rest))

    def _says_nothing(self, rest: str) -> bool:
        """Does the message hold no word of two characters of its own ("有人管没得", "老师够不够
        哦,好多人")? Then it can only be about the last question."""
        return self.words is not None and not any(len(w) > 1 for w in self.words(rest))

    @staticmethod
    def _leans(topic: str, rest: str, placed: bool = False) -> bool:
        """Does the message lean on the last question? A "那…呢", a word pointing back
        (类似, 具体, 也 …), a short aspect with no subject of its own ("要交钱吗", "几点结束"),
        a short question about the school's people with no subject ("老师够不够哦 都是哪些
        人在上"), a verb whose object went unsaid ("网上有没有平台可以查"), or a short how-many with no place ("有好多个社团": a figure is always some
        place's); a short message about something else ("今天天气怎么样") does not."""
        if _LEAD_IN.search(topic) or _LEANING_END.search(topic) or _ANAPHORA.search(rest) or _NO_OBJECT.search(rest):
            return True
        if SUBJECTS.search(rest):
            return not placed and len(rest) <= SHORT and intent_of(rest) is Intent.COUNT
        if (_is_aspect(rest) or _WHO.search(rest) or _FIGURES.search(rest)) and len(rest) <= SHORT // 2 + 2:
            return True
        return not placed and bool(_GENERIC.search(rest)) and len(rest) <= 2 * SHORT and asks(topic)

    def remember(self, completion: Completion, topic: str, now: float) -> DialogState:
        """What to keep after answering `completion` (`topic`: the question without its place)."""
        subject = SUBJECTS.search(topic)
        kept = (topic_core(topic, keep_stops=True) or topic)[-MAX_TOPIC:].lstrip(" ,.!?;:、。，！？；：~…")
        return DialogState(topic=kept, place=completion.place, subject=subject.group(0) if subject else "", ts=now, home=completion.home)


def _tells_family(clause: str) -> bool:
    """Is the clause (its place in it) only about where the family lives or the child goes
    to school ("我娃儿在云阳读小学", "我们是涪陵的", "我们屋在涪陵城头", "孙子读三年级")?"""
    return (
        len(clause) <= FAMILY_CLAUSE and bool(_FAMILY.match(clause)) and bool(_WHERE_OR_WHO.search(clause))
        and not asks(clause) and not SUBJECTS.search(clause)
    )


def _without_family(text: str) -> tuple[str, bool]:
    """The message without its clauses about the family ("涪陵呢 我们娃儿在涪陵读书" → "涪陵呢"),
    and whether it had any ("" when it is nothing else)."""
    parts = [c for c in re.split(r"(?<=[\s,.!?;:、。，！？；：~…])", text) if c.strip(" ,.!?;:、。，！？；：~…")]
    kept = [c for c in parts if not _tells_family(c.strip(" ,.!?;:、。，！？；：~…"))]
    return "".join(kept).strip(), len(kept) < len(parts)


def topic_core(topic: str, keep_stops: bool = False) -> str:
    """The message without lead-ins, trailing particles and punctuation (with `keep_stops`,
    the stops between its clauses stay, so that a long message's story still reads apart)."""
    text = _PUNCT.sub("", topic) if not keep_stops else _EDGES.sub("", topic)
    previous = None
    while previous != text:
        previous = text
        text = _LEAD_IN.sub("", text)
        text = _TAIL.sub("", text)
        text = _HEAD.sub("", text)
        text = re.sub(r"^的|的$", "", text)
        text = _EDGES.sub("", text) if keep_stops else text
    return text


def _clauses(topic: str) -> str:
    """A message of several clauses without what the place's removal left at its start
    ("那边咧?老师愿意吗"); "" for a message of one clause."""
    told = _PLACE_LEFT.sub("", topic).strip()
    return told if _PUNCT.search(told.rstrip(" ,.!?;:、。，！？；：~…")) else ""


def _first_clause(topic: str) -> str:
    """The message up to its first stop ("内容呢" of "内容呢 就是盯着写作业?")."""
    return re.split(r"[\s,.!?;:、。，！？；：~…]+", topic.strip(" ,.!?;:、。，！？；：~…"), maxsplit=1)[0]


def _is_aspect(rest: str) -> bool:
    """Does the message ask for an aspect (a time, an amount, a rate, a rule)?"""
    return intent_of(rest) is not Intent.FACT or bool(_ASPECT.search(rest))


def _there(topic: str, state: DialogState) -> str:
    """"他们建议咋个管" after "有个报告说…是哪里的": the place whose report the last answer
    quoted, when the message points at it and the last question named none."""
    return state.answered if state.answered and _THERE.search(topic) else ""


def _asks_how_or_who(rest: str) -> bool:
    """Does the message only ask how or by whom ("咋个管的", "谁来查"), naming no aspect?"""
    return not _ASPECT.search(rest) and (intent_of(rest) is Intent.HOW or (bool(_WHO.search(rest)) and intent_of(rest) is Intent.FACT))


def join(*parts: str) -> str:
    """The parts of a completed question, empty ones left out."""
    return "".join(p for p in parts if p)
