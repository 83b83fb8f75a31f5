"""A parent's question → what the retrievers search for.

Script and width are normalised, greetings and filler stripped, typos fixed,
colloquial words expanded with the reports' official terms (`corpus/terms.toml`),
and a district named in the question is recognised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.answering.aspects import Aspects, names_pupils, of_question
from bot.answering.focus import MIN_QUESTION_WORDS, SUBJECTS, split
from bot.answering.intent import FORM_WORDS, Intent, intent_of, is_remedy, says_outcome
from bot.answering.places import Gazetteer
from bot.answering.regions import WITHIN, RegionCatalog, Scope
from bot.answering.spelling import HomophoneCorrector
from bot.corpus.terms import Terms
from bot.records import Script
from bot.text import Tokenizer, detect_script, normalize

# Politeness and filler around the question itself; matched on the Simplified form.
_FILLER = re.compile(
    r"^(?:(?:各位)?(?:老师|家长|群友|大家|亲)?(?:们)?(?:您好|你好|好)[,!。~\s]*"
    r"|请问(?:一下|下)?|(?:我)?想(?:请教|咨询|问|了解)(?:一下|下)?|(?:麻烦|打扰)(?:问)?(?:一下|下)?"
    r"|(?:有没有人|谁)知道|求助|急急?急?|咨询(?:一下|下)?|问(?:一下|下)|小助手|机器人)[,:!。~\s]*"
)
# An acknowledgement of the last answer before the next question ("好的,那收费呢", "嗯嗯 那涪陵呢").
_ACK = re.compile(
    r"^(?:嗯+|哦+|噢+|喔+|好的|好滴|好嘞|好吧|好嘛|好哒|行吧|行|要得|可以|明白了?|知道了|晓得了|晓得咯|懂了|了解了?|清楚了|收到|ok"
    r"|这样啊|原来如此|原来是这样|谢谢(?:老师|您|你)?|多谢|感谢)(?:[,:!。~\s]+|$)"
)
# A remark on the last answer, not a question: "哦45万人 好多哦", "哇 这么多", "不错嘛".
_REACTION = re.compile(
    r"^(?:(?:哦|噢|哇|啊|嗯|呀)+[,!。~\s]*)?[\w.%％]{0,10}?[\s,]*"
    r"(?:好多|这么多|那么多|真多|挺多|不少|好少|这么少|真少|厉害|不错|挺好|蛮好)(?:哦|啊|呀|哈|嘛|耶|哟)*[!。~\s]*$"
)
_REACTION_ASKS = re.compile(r"[?？吗呢几啥谁哪咋怎费钱]|(?<![这那])么|(?:^|[,，\s])(?:哦|噢|哇|啊|嗯|呀)*那(?!么)|有|多少|什么")
_TRAILING = re.compile(r"(?:谢谢(?:老师|您|你|大家)?|多谢|感谢|急|在线等)[!。~\s]*$")
_PARTICLES = re.compile(r"^(?:的|那|那么|在|还有|呢|吧|啊)+|(?:吗|呢|啊|呀|吧|么|的话)+$")
# What the place's removal leaves of "我在通州,听说…真的假的": not part of the topic quoted back.
_LEFTOVER = re.compile(r"^(?:(?:我们?|我家|俺家?|咱们?)(?:住)?在|听说|据说|现在)+|(?:真的假的|是真的吗|是不是真的|对不对|对吗|是吗)$")
_ENDS_ASKING = re.compile(r"[?？]\W*$")
_LEVEL = re.compile(r"[省市区县]$")
_PUNCT_EDGES = re.compile(r"^[\s,.!?;:、。，！？；：~…\"'“”‘’()（）\[\]【】-]+|[\s,.!?;:、。，！？；：~…\"'“”‘’()（）\[\]【】-]+$")

# A message of this many words is long: its everyday words (less rare in general Chinese
# than EVERYDAY, see `Tokenizer.commonness`) weigh as its story does. In a short question
# every word counts: "周末带孩子去哪里玩" is about 玩.
LONG_MESSAGE = 6
EVERYDAY = 8.8

# Questions that want a figure or a rule on money: the answer should lead with the figure.
_FIGURE_WORDS = ("多少", "几", "标准", "收费", "费用", "价格", "钱", "比例", "多长", "多久", "时长")
_HOTLINE_WORDS = ("投诉", "举报", "反映", "电话", "热线", "找谁", "找哪", "维权", "曝光")


@dataclass(frozen=True)
class Query:
    """What one question asks, ready for the retrievers."""

    original: str
    script: Script
    text: str  # normalised Simplified question without filler
    expansions: tuple[str, ...]  # official terms added from the term table
    tokens: tuple[str, ...]  # BM25 tokens of the question and its expansions
    core_tokens: tuple[str, ...]  # BM25 tokens of the question alone
    words: tuple[str, ...]  # the question's meaningful whole words (for coverage)
    alternatives: dict[str, tuple[str, ...]]  # word -> official terms that say the same
    parts: dict[str, tuple[str, ...]]  # long word -> its shorter parts (在职教师 -> 在职, 教师)
    regions: tuple[str, ...]  # report regions that speak for the place asked about (preferred)
    corrections: tuple[tuple[str, str], ...]  # (slip, word) pairs fixed by sound
    wants_figure: bool
    wants_hotline: bool
    intent: Intent = Intent.FACT  # what the question wants: a channel, a figure, a time, a rule …
    scope: Scope = Scope()  # the place the question names (or the parent chose) and its reports
    topic: str = ""  # the question without the place: what is asked about it
    aspects: Aspects = Aspects()  # whose rule, which pupils, when (学校 / 机构, 幼儿园, 假期 …)
    story: frozenset[str] = frozenset()  # words that only add when found: the story's, a follow-up's borrowed ones, a long message's everyday ones
    detail: bool = False  # "具体点嘛": the last question again, answered at more length

    @property
    def dense_text(self) -> str:
        """The text embedded for dense search: the question itself (the keyword side gets
        the expansions; adding them here made the embedding slower and no better)."""
        return self.text


class QueryAnalyzer:
    """Turns a raw question into a `Query`. Thread-safe (the tokenizer locks)."""

    def __init__(
        self,
        terms: Terms,
        tokenizer: Tokenizer,
        regions: Iterable[str],
        aliases: dict[str, Iterable[str]] | None = None,
        corrector: HomophoneCorrector | None = None,
        *,
        catalog: RegionCatalog | None = None,
    ) -> None:
        self.terms = terms
        self.tokenizer = tokenizer
        self.corrector = corrector
        self.catalog = catalog or RegionCatalog.from_names(Gazetteer(common=tokenizer.frequency), regions, aliases)
        self._term_tokens: dict[str, tuple[str, ...]] = {}  # official terms come from a fixed table

    def _tokens_of(self, term: str) -> tuple[str, ...]:
        tokens = self._term_tokens.get(term)
        if tokens is None:
            tokens = self._term_tokens[term] = tuple(self.tokenizer.tokens(term))
        return tokens

    def analyze(self, question: str, *, region: str | None = None, context: str = "") -> Query:
        """Normalise, strip filler, fix typos, expand terms and find the district.

        `context`: the part of `question` borrowed from the last one in the chat (a
        follow-up completed from it); its words weigh as the story does."""
        if not isinstance(question, str):
            raise TypeError(f"question must be a string, got {type(question).__name__}")
        script = detect_script(question)
        normalized = normalize(question)
        text = self.terms.fix_typos(strip_filler(normalized))
        corrections: tuple[tuple[str, str], ...] = ()
        if self.corrector is not None:
            text, corrections = self.corrector.correct(text, self.tokenizer.spans(text))
        scope, topic = self.catalog.scope(text, chosen=region)
        matches = self.terms.matches(topic)
        expansions = tuple(dict.fromkeys(t for _, targets in matches for t in targets if t not in topic))
        core = tuple(self.tokenizer.tokens(topic))
        words = self._words(topic)
        ends_asking = bool(_ENDS_ASKING.search(normalized))
        termed = {w for w in words if any(phrase in w for phrase, _ in matches)}  # 来查: the term table says what it means
        story, asked = self._light_words(topic, words, context, ends_asking, termed)
        if scope.relation == WITHIN and scope.written:  # 龙马潭 within 泸州: its own mentions in the city's report count
            inner = _LEVEL.sub("", scope.written[-1])
            if len(inner) > 1 and inner not in words:
                words, story = (*words, inner), story | {inner}
        alternatives = {
            w: tuple(dict.fromkeys(t for phrase, targets in matches if w in phrase or phrase in w for t in targets))
            for w in words
        }
        parts = {w: tuple(p for p in self.tokenizer.tokens(w) if p != w and len(p) > 1) for w in words if len(w) > 2}
        extra = [tok for term in expansions for tok in self._tokens_of(term)]
        return Query(
            original=question,
            script=script,
            text=text,
            expansions=expansions,
            tokens=core + tuple(extra),
            core_tokens=core,
            words=words,
            alternatives={w: alts for w, alts in alternatives.items() if alts},
            parts={w: ps for w, ps in parts.items() if ps},
            regions=scope.regions,
            corrections=corrections,
            wants_figure=any(w in text for w in _FIGURE_WORDS),
            wants_hotline=any(w in text for w in _HOTLINE_WORDS) or any(w in expansions for w in ("举报电话",)),
            intent=_intent(text, asked, context),
            scope=scope,
            topic=topic,
            aspects=of_question(topic),
            story=story,
        )

    def _words(self, text: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for w in self.tokenizer.content_words(text) if len(w) > 1 or not w.isascii()))

    def _light_words(
        self, topic: str, words: tuple[str, ...], context: str, ends_asking: bool = False, termed: set[str] | frozenset[str] = frozenset()
    ) -> tuple[frozenset[str], str]:
        """The words that only add when found, and the text that asks.

        The story's words, a follow-up's borrowed ones, a long message's everyday words
        (看, 到, 地方) and words asking for a kind of answer (规定, 措施). When that leaves
        nothing to ask about, the borrowed words are the question ("通州有没有类似的?我妹妹
        家在那边"), then the question clause's everyday words ("是不是每个学校都有"); when
        even they are not, every word counts."""
        story, asked = self._story(topic, words, ends_asking)
        borrowed: set[str] = set()
        if context:
            own = set(self._words(topic.replace(normalize(context), " ")))
            borrowed = {w for w in self._words(normalize(context)) if w not in own}
        # 小学, 初二: the reports' 义务教育 speaks for them (a 幼儿园 or 高中 question is a scope of its own);
        # 管好, 做完: the reports tell how it turned out in their own words
        told = set(story) | {w for w in words if FORM_WORDS.match(w) or names_pupils(w) or says_outcome(w)}
        light = set(told)
        if len(words) >= LONG_MESSAGE:  # (not a word the term table gives official terms for: 来查 → 督查)
            light |= {w for w in words if self.tokenizer.commonness(w) < EVERYDAY and (w not in termed or w in story)}
        # when the everyday words were all the question clause had (学校, 参加), they are what it asks
        for candidate in (light | borrowed, light - borrowed, told - borrowed):
            if not candidate >= set(words):
                return frozenset(candidate & set(words)), asked
        return frozenset(), asked

    def _story(self, topic: str, words: tuple[str, ...], ends_asking: bool = False) -> tuple[frozenset[str], str]:
        """The words told only around the question, and the text that asks (the whole
        topic when its question clauses say too little on their own)."""
        focus = split(topic, ends_asking)
        if not focus.has_story:
            return frozenset(), topic
        asked = set(self._words(focus.question))
        # "收费吗" says too little on its own; "作业有啥子规定没得" names its subject
        if sum(1 for w in asked if not FORM_WORDS.match(w)) < MIN_QUESTION_WORDS and not SUBJECTS.search(focus.question):
            return frozenset(), topic
        return frozenset(w for w in words if w not in asked), focus.question


def _intent(text: str, asked: str, context: str) -> Intent:
    """The question's intent; a follow-up's is its own part's when that asks something, and
    it asks what to do only when its own part does."""
    own = _own_part(text, context)
    if is_remedy(own):
        return Intent.REMEDY
    if not context:
        return intent_of(asked)
    intent = intent_of(_own_part(asked, context))
    if intent is Intent.FACT:  # "、家庭困难": the last question's intent
        intent = intent_of(asked)
    return Intent.FACT if intent is Intent.REMEDY else intent


def _own_part(text: str, context: str) -> str:
    """A follow-up without the last question it borrowed ("…跑路咋办,有没有管、是第三方管的不"
    asks whether a third party holds the money, not what to do)."""
    borrowed = normalize(context)
    return text.replace(borrowed, " ", 1) if borrowed and borrowed in text else text


def is_acknowledgement(text: str) -> bool:
    """Is the message only a thank-you, an "OK" ("晓得了,谢谢", "好的 多谢") or a remark on the
    answer ("哦45万人 好多哦")?"""
    text = normalize(text).strip()
    if _REACTION.match(text) and not _REACTION_ASKS.search(text) and (re.search(r"\d", text) or re.match(r"^(?:哦|噢|哇|啊|嗯|呀)", text)):
        return True  # a remark on the figure just given ("哦45万人 好多哦"), not a question about it
    return bool(text) and (bool(_ACK.match(text)) or bool(_TRAILING.search(text))) and not strip_filler(text)


def strip_filler(text: str) -> str:
    """Remove greetings, 请问 and thanks around the question; keep the question itself."""
    previous = None
    while previous != text:
        previous = text
        text = _ACK.sub("", text, count=1)
        text = _FILLER.sub("", text, count=1)
        text = _TRAILING.sub("", text)
        text = _PUNCT_EDGES.sub("", text)
    return text


def topic_phrase(query: Query) -> str:
    """What was asked about the place, short enough to quote back ("课后服务几点结束")."""
    text = re.sub(r"[\s,.!?;:、。，！？；：~…]+", "", query.topic)
    previous = None
    while previous != text:
        previous = text
        text = _LEFTOVER.sub("", _PARTICLES.sub("", text))
    return text[:30]
