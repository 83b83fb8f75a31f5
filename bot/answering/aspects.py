"""Whose rule, for which pupils, when: the scope of a question and of a report sentence.

A rule for off-campus training centres on weekends does not answer "may the school hold
classes in the winter holiday"; a rule for 义务教育 does not answer a kindergarten
question; teachers' flexible hours do not answer when pupils go home; a rule on 学科类
training does not answer whether an art class may open. Four dimensions are read from
the words (normalised Simplified text):

- `provider`: 学校 (the school, its teachers and its after-school service) or 机构
  (off-campus training centres);
- `stage`: 幼儿园, 义务教育 or 高中 (a report sentence that names none is about
  义务教育, what the 双减 reports are about);
- `kind`: 学科类 or 非学科类 training;
- `when`: 假期/周末 (holidays and rest days) or 课后服务.

A sentence also reads as being *about teachers* when it speaks of their own work
(弹性上下班, 双减假, 交流轮岗 …). `disagreement(question, sentence)` names the first
dimension on which the sentence speaks of something else than the question asks, or
returns None when it agrees: such a sentence may be shown as an excerpt, labelled for
what it is ("这是对校外培训机构的规定"), never as the lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCHOOL, CENTRE = "学校", "校外培训机构"
KINDERGARTEN, COMPULSORY, HIGH = "幼儿园", "义务教育阶段", "高中"
SUBJECT, NON_SUBJECT = "学科类培训", "非学科类培训"
OFF_DAYS, AFTER_SCHOOL = "节假日和休息日", "课后服务"
TEACHERS = "教师"

_QUESTION_PROVIDER = {
    SCHOOL: re.compile(r"学校|校内|校方|校长|班主任|课后服务|延时服务|课后托管|学校托管|晚托|在校|本校|课堂|老师|教师|班里|年级"),
    CENTRE: re.compile(r"机构|培训班|补习班|辅导班|补课班|培训|补习|家教|私教|一对一|网课|夏令营|研学"),
}
_SENTENCE_PROVIDER = {
    SCHOOL: re.compile(r"学校|校内|校长|课后服务|托管服务|托管班|课堂|在职教师|教师"),
    CENTRE: re.compile(r"培训机构|校外培训|学科类培训|学科培训|培训行为|办学许可|无证|违规机构|营改非|学转非"),
}
_STAGE = {
    KINDERGARTEN: re.compile(r"幼儿园|学前|幼儿|入园|托班"),
    HIGH: re.compile(r"高中|高一|高二|高三|高考|普高|中职|职高"),
    COMPULSORY: re.compile(r"义务教育|义务段|小学|初中|中小学|[一二三四五六七八九]年级|初[一二三]|小升初|中考"),
}
_PUPILS = re.compile(r"(?:中小学|小学|初中)生?|[一二三四五六七八九]年级|初[一二三]")
_QUESTION_KIND = {
    SUBJECT: re.compile(r"语文|数学|英语|物理|化学|生物|历史|地理|政治|道法|奥数|作文|学科|文化课|补课|补习|功课|刷题|网课"),
    NON_SUBJECT: re.compile(
        r"画画|美术|绘画|书法|舞蹈|跳舞|音乐|钢琴|小提琴|古筝|乐器|唱歌|声乐|体育|篮球|足球|乒乓|羽毛球|游泳|跆拳道|武术|"
        r"跳绳|轮滑|编程|机器人|围棋|象棋|棋类|艺术|科技|手工|非学科"
    ),
}
_SENTENCE_KIND = {
    SUBJECT: re.compile(r"(?<!非)学科类|(?<!非)学科培训|(?<!非)学科类培训"),
    NON_SUBJECT: re.compile(r"非学科|艺术|体育|科技|美术|音乐|舞蹈|篮球|足球|社团"),
}
_WHEN = {
    OFF_DAYS: re.compile(r"寒假|暑假|假期|节假日|放假|寒暑假|国庆|五一|春节|长假|假日|周末|周六|周日|星期[六天日]|休息日|双休"),
    AFTER_SCHOOL: re.compile(r"课后服务|托管|延时|放学后|晚托|课后"),
}
# A sentence (or its section) about teachers' own work, not about what they do to pupils.
_TEACHERS_OWN = re.compile(
    r"(?:教师|老师)[^。；;]{0,30}(?:弹性|上下班|离校|到校|双减假|工作量|工作压力|交流轮岗|轮岗|招引|梯级培养|专业能力|欠薪|工作职责|应急调整)"
    r"|双减假|弹性上下班|弹性工作|AB岗"
)
_TEACHERS_SECTION = re.compile(r"教师[^›]{0,8}(?:弹性|上下班)|人文关怀")
_ASKS_TEACHER = re.compile(r"老师|教师|班主任|师资")


@dataclass(frozen=True)
class Aspects:
    """What a text is about, dimension by dimension (an empty set: it does not say)."""

    provider: frozenset[str] = frozenset()
    stage: frozenset[str] = frozenset()
    kind: frozenset[str] = frozenset()
    when: frozenset[str] = frozenset()
    teachers: bool = False  # (sentence) about teachers' own work / (question) asks about teachers

    @property
    def empty(self) -> bool:
        return not (self.provider or self.stage or self.kind or self.when or self.teachers)


def sets_stage(word: str) -> bool:
    """Does the word only say which pupils are meant (幼儿园, 高中生, 初中)?"""
    return any(pattern.search(word) for pattern in _STAGE.values())


def names_pupils(word: str) -> bool:
    """Is the word one for the pupils the 双减 reports speak of anyway (小学, 初二, 中小学生),
    not a topic of their own (中考, 小升初)?"""
    return bool(_PUPILS.fullmatch(word))


def _found(table: dict[str, re.Pattern[str]], text: str) -> frozenset[str]:
    return frozenset(name for name, pattern in table.items() if pattern.search(text))


def of_question(text: str) -> Aspects:
    """What a (normalised, Simplified) question asks about."""
    provider = _found(_QUESTION_PROVIDER, text)
    if CENTRE in provider and SCHOOL in provider and re.search(r"学校|校内|校方|校长|课后服务|延时服务|课堂", text) is None:
        provider = frozenset({CENTRE}) if not _ASKS_TEACHER.search(text) else provider  # 老师 + 补习班: both sides
    return Aspects(
        provider=provider,
        stage=_found(_STAGE, text),
        kind=_found(_QUESTION_KIND, text),
        when=_found(_WHEN, text),
        teachers=bool(_ASKS_TEACHER.search(text)),
    )


def of_sentence(sentence: str, section: str = "") -> Aspects:
    """What a report sentence speaks of; its section heading fills in what it leaves out."""
    provider = _found(_SENTENCE_PROVIDER, sentence) or _found(_SENTENCE_PROVIDER, section)
    when = _found(_WHEN, sentence)
    if not when and _WHEN[AFTER_SCHOOL].search(section):
        when = frozenset({AFTER_SCHOOL})
    return Aspects(
        provider=provider,
        stage=_found(_STAGE, sentence) or frozenset({COMPULSORY}),
        kind=_found(_SENTENCE_KIND, sentence),
        when=when,
        teachers=bool(_TEACHERS_OWN.search(sentence) or _TEACHERS_SECTION.search(section)),
    )


@dataclass(frozen=True)
class Disagreement:
    """On which dimension a sentence speaks of something else than the question asks."""

    dimension: str
    asked: str  # what the question is about ("学校")
    said: str  # what the sentence is about ("校外培训机构")

    def label(self) -> str:
        """How an excerpt that disagrees is introduced to the parent."""
        if self.dimension == "when" and self.asked == OFF_DAYS:
            return "这段内容没有讲节假日和休息日:"
        if self.dimension == "teachers":
            return "这是关于教师自身工作安排的内容,不是关于学生的:"
        return f"这是关于{self.said}的内容,不是关于{self.asked}的:"


def disagreement(question: Aspects, sentence: Aspects) -> Disagreement | None:
    """The first dimension on which the sentence does not speak of what is asked."""
    if question.provider and sentence.provider and not question.provider & sentence.provider:
        return Disagreement("provider", _one(question.provider), _one(sentence.provider))
    asked_stage = question.stage - {COMPULSORY}
    if asked_stage and not asked_stage & sentence.stage:
        return Disagreement("stage", _one(asked_stage), _one(sentence.stage))
    if question.stage == {COMPULSORY} and COMPULSORY not in sentence.stage:
        return Disagreement("stage", COMPULSORY, _one(sentence.stage))
    if question.kind and sentence.kind and not question.kind & sentence.kind:
        return Disagreement("kind", _one(question.kind), _one(sentence.kind))
    # (a teacher's paid tutoring is banned on any day: 周末 does not set that rule apart)
    if OFF_DAYS in question.when and OFF_DAYS not in sentence.when and not question.teachers:
        return Disagreement("when", OFF_DAYS, _one(sentence.when) if sentence.when else "平时")
    if AFTER_SCHOOL in question.when and OFF_DAYS not in question.when and sentence.when == {OFF_DAYS}:
        return Disagreement("when", AFTER_SCHOOL, OFF_DAYS)
    if sentence.teachers and not question.teachers:
        return Disagreement("teachers", "学生", TEACHERS)
    return None


def _one(values: frozenset[str]) -> str:
    order = (SCHOOL, CENTRE, KINDERGARTEN, HIGH, COMPULSORY, SUBJECT, NON_SUBJECT, OFF_DAYS, AFTER_SCHOOL)
    return next((v for v in order if v in values), next(iter(values), ""))
