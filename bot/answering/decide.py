"""Which of three outcomes a question gets, and what is said first about its place.

One calibrated probability that the reports cover the question decides: at or above
`threshold` a confident answer, between `tentative` and `threshold` a tentative one,
below `tentative` a refusal. A confident answer becomes tentative when no candidate
sentence fits the question's intent (only statistics for a "how much" question).

When the parent named a place (or chose one with /region), the same probability is
computed over that place's reports alone. If they cover the question, their passage
leads; if not, the first sentence says so by name ("泸州市的报告没有提到…", "目前没有
北京市海淀区的报告。") and the closest passage from elsewhere follows, labelled with
its own district. One district's figure is never presented as another's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.compose import AnswerComposer, quotable_topic
from bot.answering.confidence import Calibration, features
from bot.answering.coverage import TermStatistics
from bot.answering.intent import FORM_WORDS, Intent, asks_kind, asks_price, asks_rate, gives_share, is_channel, says_outcome
from bot.answering.places import SUFFIX as _SUFFIX
from bot.answering.query import Query
from bot.answering.regions import CONTAINS, NONE, OWN, SIBLING, WITHIN, RegionCatalog
from bot.records import Answer, Hit, Passage
from bot.text import normalize

# The place's best passage (before its region boost) must score at least this share of
# the best passage elsewhere to count as covering the question: a fee question whose
# only local match is about training centres' prepaid fees is not covered locally.
LOCAL_SHARE = 0.6
# ... and after a swap of place ("那通州呢"), this share for a tentative answer from it.
SWAPPED_SHARE = 0.4
# ... or this share when it holds at least `ON_TOPIC` of the question's words (weighted).
ON_TOPIC_SHARE = 0.5
ON_TOPIC = 0.4
# A question word found in at most this many report passages is specific (双减假, 排名,
# 耗材): when a passage elsewhere holds more of the question than the place's best one and
# the place's report lacks such a word, the place is not covered.
SPECIFIC_DF = 3
# ... and it must be rare in general Chinese too (`Tokenizer.commonness`): 耗材费, 双减假,
# 体育课 are; 上课, 提前, 一次 only happen to be rare in the reports.
SPECIFIC_RARITY = 12.0
# Words that ask (几号, 几分钟, 哪家), not what about.
_ASKING_WORD = re.compile(r"^(?:几|多少|哪|好多)")
PLACE_PROMPT = "您想了解{place}的哪方面?例如:{place}课后服务怎么收费?{place}的举报电话是多少?"
ELSEWHERE = "以下是{region}的做法,仅供参考:"


@dataclass(frozen=True)
class Thresholds:
    answer: float = 0.45  # confident at or above
    tentative: float = 0.35  # tentative at or above (below: refusal)

    def __post_init__(self) -> None:
        if not 0.0 <= self.tentative <= self.answer <= 1.0:
            raise ValueError(f"thresholds must satisfy 0 <= tentative <= answer <= 1, got {self.tentative!r} and {self.answer!r}")


class Decider:
    """Turns a ranked question into an `Answer` through the composer."""

    def __init__(
        self, composer: AnswerComposer, calibration: Calibration, stats: TermStatistics, catalog: RegionCatalog, channels: Sequence[Passage],
        thresholds: Thresholds | None = None, region_boost: float = 1.0, region_texts: dict[str, str] | None = None,
    ) -> None:
        self.composer = composer
        self.calibration = calibration
        self.stats = stats
        self.catalog = catalog
        self.channels = tuple(channels)
        self.thresholds = thresholds or Thresholds()
        self.region_boost = region_boost
        self.region_texts = region_texts or {}  # region → its reports' search text, for specific words

    def answer(
        self, query: Query, reports: Sequence[Hit], dense: Sequence[Hit], values: dict[str, float], top_k: int, swapped: bool = False
    ) -> Answer:
        """Confident, tentative or refused; led by the place's own reports when they cover it.

        `swapped`: the question is the last one asked again about another place ("那通州呢"):
        the parent has had the other districts' answer, so the place's closest passage is
        quoted tentatively even when another district's would answer better."""
        confidence = self.calibration.probability(values)
        scope = query.scope
        if not scope.named or not scope.regions:
            note = self._none_note(query) if scope.named else ""
            return self._outcome(query, list(reports), confidence, top_k, note=note, label=scope.named)
        local = [h for h in reports if h.passage.region in scope.regions]
        local_p = self._probability(query, local, dense, values, lambda region: region in scope.regions) if local else 0.0
        ordered = local + [h for h in reports if h not in local]
        if local and self._covers(query, local, reports, local_p):
            return self._outcome(query, ordered, max(local_p, confidence), top_k, note=self._covered_note(query), prefer=scope.regions)
        others = [h for h in reports if h.passage.region not in scope.regions]
        # how well the other districts answer, judged on their passages alone (the place's
        # boost no longer puts its own passage first)
        others_p = self._probability(query, others, dense, values, lambda region: region not in scope.regions) if others else confidence
        # the place's report is the closest there is, if not a sure answer, or the only one that
        # came back (never "X没有提到…以下是X的做法"): quote it, tentatively
        if local and (not others or self._may_cover(query, local, reports, local_p, others_p, swapped)):
            return self._outcome(query, ordered, local_p, top_k, note=self._covered_note(query), prefer=scope.regions, tentative=True)
        # another district's passage, however close, does not answer for the place the parent named
        return self._outcome(query, others, others_p, top_k, note=self._uncovered_note(query), label=True, tentative=True)

    def _probability(self, query: Query, hits: Sequence[Hit], dense: Sequence[Hit], values: dict[str, float], keep) -> float:
        """The calibrated probability computed over the passages of some regions only.

        When none of the regions' passages was among the dense search's best, their own
        cosine (scored when the keyword search found them) stands for it, not zero."""
        near = [h for h in dense if keep(h.passage.region)] or sorted((h for h in hits if h.dense is not None), key=lambda h: -(h.dense or 0.0))
        subset = dict(features(query, hits, near, self.stats))
        subset["topic_margin"] = values.get("topic_margin", 0.0)
        return self.calibration.probability(subset)

    def place_only(self, query: Query) -> Answer:
        """A place and nothing else ("涪陵", "那北京呢" with no earlier question): which reports
        there are for it, and an invitation to ask about it."""
        scope = query.scope
        short = self._short(scope.asked)
        if scope.relation == NONE or not scope.regions:
            have = "、".join(self.catalog.places[r].short for r in self.catalog.places)
            return self.composer.message(query, f"目前没有{scope.asked}的报告;现有{have}的报告。您可以直接提问,我会引用这些报告并注明是哪个地区的做法。")
        elif scope.relation in (OWN, CONTAINS):
            first = f"有{self._names(scope.regions)}的报告。"
        else:
            first = self._covered_note(query).rstrip(":") + "。"
        message = first + PLACE_PROMPT.format(place=short)
        return self.composer.message(query, message)

    def _outcome(
        self, query: Query, hits: list[Hit], p: float, top_k: int, *, note: str = "", prefer: Sequence[str] = (), label: bool = False, tentative: bool = False
    ) -> Answer:
        t = self.thresholds
        refusal = note + ("其他地区的报告里也没有相关内容。" if note and hits else "")
        if not hits or p < t.tentative:
            return self.composer.abstain(query, hits[:top_k], p, note=refusal)
        _, lead = self.composer.leads.pick(query, hits)
        # no candidate sentence holds a word of the question: a tentative answer would be beside the point
        if query.intent is not Intent.REMEDY and not lead.worded:
            return self.composer.abstain(query, hits[:top_k], p, note=refusal)
        # the price of a thing no report names (校服) or with no sentence fitting it (a school's fee
        # for a kindergarten), a date, an age or papers no sentence gives: the reports do not say
        priced = query.intent in (Intent.FIGURE, Intent.COUNT) and asks_price(query.text)
        kind = asks_kind(query.text)
        if (priced and (not lead.fits or self._unheard(query))) or (kind is not None and not kind.search(lead.text)):
            return self.composer.abstain(query, hits[:top_k], p, note=refusal)
        tentative = tentative or p < t.answer or not lead.fits or (priced and not lead.gives)  # a related rule (prepaid fees)
        # not sure, and the question is about something no report ever names (校服, 驾照): no answer
        if tentative and not note and not query.scope.named and query.intent is not Intent.REMEDY and self._unheard(query):
            return self.composer.abstain(query, hits[:top_k], p)
        if query.intent is Intent.REMEDY:
            channel = self.composer.leads.channel(query, self.channels, prefer=prefer or query.scope.regions)
            return self.composer.remedy(query, hits, p, channel, top_k, note=note, tentative=tentative)
        if label:
            pick, _ = self.composer.leads.pick(query, hits, prefer)
            note += ELSEWHERE.format(region=hits[pick].passage.region)
        return self.composer.compose(query, hits, p, top_k, note=note, tentative=tentative, prefer=prefer, doubt=not label)

    def _covers(self, query: Query, local: Sequence[Hit], reports: Sequence[Hit], local_p: float) -> bool:
        """Do the place's own reports answer? (For "what do I do": do they name a channel?)"""
        if query.intent is Intent.REMEDY and self.composer.leads.channel(query, [p for p in self.channels if p.region in query.scope.regions]):
            return local_p >= self.thresholds.tentative
        if not (local_p >= self.thresholds.answer and self._holds_up(local, reports) and self._fits(query, local)):
            return False
        others = [h for h in reports if h not in local]
        if not others or not self._lacks_specific(query):
            return True
        # another report holds a specific word the place's lacks: it answers instead when it
        # also holds more of the question
        return max(h.coverage or 0.0 for h in others) <= max(h.coverage or 0.0 for h in local)

    def _may_cover(
        self, query: Query, local: Sequence[Hit], reports: Sequence[Hit], local_p: float, others_p: float, swapped: bool = False
    ) -> bool:
        """Is the place's report, if not a sure answer, the closest there is? (After a
        swap of place, the closest the place's report comes, unless far off, even when
        it lacks a word the district asked about before holds (云阳's 指导手册) or gives
        a count where the district before gave a rate (泸州's 参与学生45万人).)"""
        share = SWAPPED_SHARE if swapped else LOCAL_SHARE
        return (
            local_p >= self.thresholds.tentative and (swapped or local_p >= others_p) and self._holds_up(local, reports, share)
            and self._fits(query, local, rate=not swapped) and (swapped or not self._lacks_specific(query))
        )

    def _lacks_specific(self, query: Query) -> bool:
        """Does another report hold a specific word of the question that the place's lack?

        Specific: found in at most `SPECIFIC_DF` passages and rare in general Chinese too
        (`SPECIFIC_RARITY`); a word of the story around the question does not count."""
        texts = [self.region_texts.get(r, "") for r in query.scope.regions]
        for word in query.words:
            if not self._specific(query, word):
                continue  # 钱, 规定, 提前, the family's case: not what sets a report apart
            forms = (word, *query.alternatives.get(word, ()))
            if not 0 < min(self.stats.df(f) or 10**6 for f in forms) <= SPECIFIC_DF or any(f in t for f in forms for t in texts):
                continue
            parts = query.parts.get(word, ())
            if len(parts) >= 2 and any(all(p in passage for p in parts) for passage in self._passages_of(query.scope.regions)):
                continue  # 作业公示 said as "作业布置、公示": the words are there, apart
            return True
        return False

    def _unheard(self, query: Query) -> bool:
        """Does the question ask about a specific word no report uses and the term table cannot translate?"""
        unheard = (w for w in query.words if not _ASKING_WORD.match(w) and not query.alternatives.get(w) and self.stats.df(w) == 0)
        return any(self._specific(query, w) for w in unheard)

    def _specific(self, query: Query, word: str) -> bool:
        """Is the word one of the question's own (not the story's), not one asking for a kind
        of answer (规定) or how it turned out (管好), and rare in general Chinese too?"""
        return (
            len(word) >= 2 and word not in query.story and not FORM_WORDS.match(word) and not says_outcome(word)
            and self.stats.commonness(word) >= SPECIFIC_RARITY
        )

    def _passages_of(self, regions: Sequence[str]) -> list[str]:
        """The regions' passages, one search text each (`region_texts` joins them by lines)."""
        return [p for r in regions for p in self.region_texts.get(r, "").split("\n")]

    def _holds_up(self, local: Sequence[Hit], reports: Sequence[Hit], share: float = LOCAL_SHARE) -> bool:
        """Is the place's best passage (without its boost) close to the best one elsewhere,
        or, not far behind, does it hold as much of the question as that one does, or
        does it hold a good share of the question and score at least half as well (通州's
        作业管理 for "作业是怎么管的,会不会布置太多", though 布置 is only elsewhere)?"""
        mine = {h.passage.id for h in local}
        others = [h for h in reports if h.passage.id not in mine]
        if not others:
            return True
        rival = max(others, key=lambda h: h.score)
        ratio = max(h.score for h in local) / self.region_boost / rival.score if rival.score > 0 else 1.0
        mine_cover = max(h.coverage or 0.0 for h in local)
        held = mine_cover >= (rival.coverage or 0.0)
        return ratio >= share or (held and ratio >= min(share, SWAPPED_SHARE)) or (mine_cover >= ON_TOPIC and ratio >= ON_TOPIC_SHARE)

    def _fits(self, query: Query, hits: Sequence[Hit], rate: bool = True) -> bool:
        """Does one of the lead candidates fit the question: its intent (a rule, not a
        statistic, for a rule question; with `rate`, a share for a rate), its scope (whose
        rule, which pupils, when) and at least one of its words?"""
        _, lead = self.composer.leads.pick(query, hits)
        return lead.fits and (not rate or not asks_rate(query.text) or gives_share(lead.text))

    # -- what is said first about the place -------------------------------------------------

    def _covered_note(self, query: Query) -> str:
        scope = query.scope
        if scope.relation == WITHIN:
            return f"没有{self._as_written(query)}单独的报告,以下摘自{scope.container}的报告:"
        if scope.relation == SIBLING:
            return f"没有{self._as_written(query)}的报告;{scope.container}有{self._names(scope.regions)}的报告:"
        return ""

    def _uncovered_note(self, query: Query) -> str:
        scope, topic = query.scope, quotable_topic(query)
        about = f"“{topic}”" if topic else "这个问题"  # a long message is not quoted back
        if scope.relation == OWN:
            return f"{self._names(scope.regions)}的报告没有提到{about}。"
        if scope.relation == WITHIN:
            return f"没有{self._as_written(query)}单独的报告,{scope.container}的报告也没有提到{about}。"
        if scope.relation == CONTAINS:
            return f"{scope.asked}的{self._names(scope.regions)}的报告都没有提到{about}。"
        if scope.relation == SIBLING:
            return f"没有{self._as_written(query)}的报告;{scope.container}有{self._names(scope.regions)}的报告,但没有提到{about}。"
        return self._none_note(query)

    def _none_note(self, query: Query) -> str:
        if query.scope.relation == NONE or not query.scope.regions:
            return f"目前没有{self._as_written(query, full=True)}的报告。"
        return ""

    def _as_written(self, query: Query, full: bool = False) -> str:
        """The place as the parent named it when they wrote its city too ("成都武侯区"), else its
        short name (渝北区), or with `full` its whole name (北京市海淀区)."""
        scope = query.scope
        fallback = scope.asked if full else self._short(scope.asked)
        mentions = [(m, place) for m, place in self.catalog.gazetteer.places(query.text) if place.name == scope.asked]
        for mention, place in mentions:  # the first one written with its city ("南通崇川 … 崇川这边")
            place = next((p for p in mention.places if p.name == scope.asked), place)
            before = query.text[: mention.start]
            for part in (place.city, place.province):
                for form in dict.fromkeys((part, _SUFFIX.sub("", part))):
                    if form and before.endswith(form) and len(mention.text) > 1:
                        return form + mention.text
        return fallback

    def _names(self, regions: Sequence[str]) -> str:
        return "、".join(self._short(self.catalog.places[r].name) if r in self.catalog.places else r for r in regions)

    def _short(self, name: str) -> str:
        for region, place in self.catalog.places.items():
            if place.name == name:
                return place.short
        found = self.catalog.gazetteer.places(name)
        return found[-1][1].short if found and found[-1][1].short else name


def channel_passages(passages: Sequence[Passage]) -> list[Passage]:
    """Report passages that name a reporting channel (scanned once per index)."""
    return [p for p in passages if p.kind == "report" and is_channel(normalize(p.text))]

