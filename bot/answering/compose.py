"""Extractive answers: quote the sentence that answers, cite it, never invent.

A reply is one of three: a confident answer (the sentence that answers, its source,
a few supporting excerpts, the "rules differ" notice, a hotline); a tentative one
("报告里没有直接回答这个问题,最接近的内容是…" before the same quotes); or a refusal
that names what was looked for, with the hotline directory. A "what do I do" question
leads with the channel: the district's reporting channel from its report, then the
configured hotlines, then the rule that applies. When the top passages say different
things about paying (charged, reduced, free), each is quoted with its label
(`mixed.py`). A quote that speaks of another scope than the question (training
centres for a school question) is labelled for what it is. A note about the place the
parent asked about (`decide.py`) comes first when there is one. Redaction marks of the
anonymised report are shown as "(原文隐去)" (`redaction.py`). Everything is in the
parent's script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.answering.aspects import disagreement, of_sentence
from bot.answering.coverage import TermStatistics
from bot.answering.intent import Intent, is_channel
from bot.answering.leads import Lead, LeadPicker, split_sentences
from bot.answering.mixed import CASES_HEAD, fee_cases
from bot.answering.query import Query, topic_phrase
from bot.answering.redaction import mostly_hidden, unredact
from bot.records import Answer, Hit, Hotline, Passage, Quote, Script, format_citation
from bot.text import normalize, to_script

__all__ = ["AnswerComposer", "AnswerStyle", "split_sentences"]

NOT_COVERED = "抱歉,现有的区县“双减”报告里没有找到与这个问题直接相关的内容,我不想凭空回答。您可以换个说法再问,或联系下面的热线和当地教育部门。"
NOT_COVERED_ABOUT = "抱歉,现有的区县“双减”报告里没有讲到“{topic}”,我不想凭空回答。您可以换个说法再问,或联系下面的热线和当地教育部门。"
TENTATIVE = "报告里没有直接回答这个问题,最接近的内容是:"
TENTATIVE_ABOUT = "报告里没有直接讲“{topic}”,最接近的内容是:"
# A question phrase longer than this is not quoted back in a refusal (it would be cut).
QUOTABLE = 24
# "具体点嘛": this many more supporting excerpts than usual.
DETAIL_EXCERPTS = 2
REMEDY_HEAD = "可以通过这些渠道反映:"
REMEDY_NONE = "报告里没有讲到这种情况的处理办法,可以通过下面的热线反映:"
RULE_HEAD = "相关规定:"
GREETING = "您好!我根据各区县“双减”工作报告回答家长的问题。请直接写下您的问题,例如:课后服务怎么收费?作业太多找谁反映?周末还能补课吗?"
YOU_ARE_WELCOME = "不客气!还有别的问题,随时问我。"
WHOSE = "上面的回答引用的是{region}的报告。各地规定不尽相同,具体请以当地教育局的规定为准。"
NOTICE = "说明:以上内容摘自{region}的报告,各地规定不尽相同,具体请以当地教育局的规定为准。"
FAQ_NOTICE = "说明:以上是{author}的答复,各地规定不尽相同,具体请以当地教育局的规定为准。"
HOTLINE_HEAD = "咨询和投诉渠道:"
MORE_HEAD = "相关摘录:"


@dataclass(frozen=True)
class AnswerStyle:
    max_lead_sentences: int = 2
    max_excerpts: int = 2


class AnswerComposer:
    """Builds an `Answer` from ranked hits: confident, tentative, a remedy, or a refusal."""

    def __init__(self, stats: TermStatistics, hotlines: Sequence[Hotline], style: AnswerStyle | None = None) -> None:
        self.stats = stats
        self.hotlines = tuple(hotlines)
        self.style = style or AnswerStyle()
        self.leads = LeadPicker(stats, self.style.max_lead_sentences)

    def greet(self, query: Query) -> Answer:
        """A greeting or an empty message: invite the question, with examples."""
        message = to_script(GREETING, query.script)
        return Answer(query.original, True, query.script, message=message, text=message, own_reply=True)

    def thank(self, query: Query) -> Answer:
        """A thank-you or an "OK" alone: a short reply, not the opening greeting again."""
        message = to_script(YOU_ARE_WELCOME, query.script)
        return Answer(query.original, True, query.script, message=message, text=message, own_reply=True)

    def source(self, query: Query, region: str) -> Answer:
        """"这是哪里的规定": whose report the last answer quoted, and that rules differ by place."""
        return self.message(query, WHOSE.format(region=region))

    def message(self, query: Query, text: str) -> Answer:
        """A reply of our own that quotes nothing (an invitation to say more)."""
        message = to_script(text, query.script)
        return self._answer(query, True, message=message, text=message, own_reply=True)

    def abstain(self, query: Query, hits: Sequence[Hit], confidence: float, note: str = "") -> Answer:
        """"Not covered", with the hotline directory; the ranked passages still travel along.
        A "what do I do" question gets the hotlines first."""
        hotlines = self._hotlines(None, everything=True)
        topic = quotable_topic(query)
        base = REMEDY_NONE if query.intent.value == "remedy" else (NOT_COVERED_ABOUT.format(topic=topic) if topic else NOT_COVERED)
        message = to_script("".join(x for x in (note, base) if x), query.script)
        text = "\n\n".join([message, self._hotline_text(hotlines, query.script)])
        return self._answer(query, True, message=message, hits=hits, hotlines=hotlines, confidence=confidence, text=text, note=note)

    def from_faq(self, query: Query, faq: Passage, hits: Sequence[Hit], confidence: float) -> Answer:
        """A staff FAQ entry matched: its answer verbatim, attributed to its author and date."""
        author = ", ".join(x for x in (faq.author, faq.date) if x)
        message = to_script(faq.answer, query.script)
        notice = to_script(FAQ_NOTICE.format(author=faq.author or "学校"), query.script)
        hotlines = self._hotlines(faq.region, everything=query.wants_hotline)
        lines = [message, f"——{to_script(author, query.script)}" if author else "", notice, self._hotline_text(hotlines, query.script)]
        text = "\n\n".join(x for x in lines if x)
        return self._answer(query, False, message=message, hits=hits, hotlines=hotlines, confidence=confidence, faq=faq, notice=notice, text=text)

    def compose(
        self, query: Query, hits: Sequence[Hit], confidence: float, top_k: int = 3, *, note: str = "", tentative: bool = False, prefer: Sequence[str] = (),
        doubt: bool = True,
    ) -> Answer:
        """Lead with the sentence(s) that answer, then supporting excerpts.

        `doubt`: a tentative answer says so first, unless its note already does
        ("泸州市的报告没有提到…以下是某区(匿名)的做法,仅供参考:").

        `hits` may run longer than `top_k`: the extra ones become "more" excerpts. `note`
        (about the place asked about) comes first; a tentative answer says it may not
        answer exactly. Rules on paying that differ are quoted together, each labelled."""
        script = query.script
        pick, lead_run = self.leads.pick(query, hits, prefer)
        best = hits[pick].passage
        # the cases come from the lead's district when the parent named one: never another's rule unlabelled
        pool = [hits[pick], *(h for n, h in enumerate(hits) if n != pick and (not prefer or h.passage.region in prefer))]
        cases = [] if tentative and doubt else fee_cases(query, pool, self.leads)  # another district's cases, labelled, still help
        if cases:
            leading = [Quote(_display(text, passage, script), passage, _citation(passage, script), to_script(kind, script)) for kind, passage, text in cases]
            best = cases[0][1]
        else:
            leading = [Quote(_display(lead_run.text, best, script), best, _citation(best, script), self._scope_label(lead_run, script))]
        used = {q.passage.id for q in leading}
        # an excerpt whose every figure the anonymised report hid tells the parent nothing
        others = [h for h in hits if h.passage.id not in used and not mostly_hidden(h.passage.text)]
        excerpts = self.style.max_excerpts + (DETAIL_EXCERPTS if query.detail else 0)  # "具体点": more of what the reports say
        shown = [self._quote(query, h.passage) for h in others[:excerpts]]
        extra = tuple(self._quote(query, h.passage, whole=True) for h in others[excerpts:])
        topic = quotable_topic(query)
        doubt = (TENTATIVE_ABOUT.format(topic=topic) if topic and lead_run.disagrees else TENTATIVE) if tentative and doubt else ""
        if doubt and prefer and best.region in prefer and query.scope.written:
            doubt = f"{query.scope.written[-1]}的{doubt}"  # whose report comes closest: the place the parent named
        head = "".join(x for x in (note, doubt) if x)
        message = to_script(head, script) if head else ""
        notice = to_script(NOTICE.format(region=best.region), script)
        hotlines = self._hotlines(best.region, everything=query.wants_hotline)
        parts = [message] if message else []
        if cases:
            parts.append(to_script(CASES_HEAD, script) + "\n" + "\n".join(_quote_text(q, bullet=True) for q in leading))
        else:
            parts += [_quote_text(q) for q in leading]
        if shown:
            parts.append(to_script(MORE_HEAD, script) + "\n" + "\n".join(_quote_text(q, bullet=True) for q in shown))
        parts += [notice, self._hotline_text(hotlines, script)]
        return self._answer(
            query, False, message=message, quotes=(*leading, *shown), hits=hits[:top_k], hotlines=hotlines, confidence=confidence,
            notice=notice, text="\n\n".join(p for p in parts if p), extra_excerpts=extra, tentative=tentative, note=note,
            cases=len(leading) if cases else 0,
        )

    def remedy(
        self, query: Query, hits: Sequence[Hit], confidence: float, channel: tuple[Passage, str] | None, top_k: int = 3, *, note: str = "", tentative: bool = False
    ) -> Answer:
        """"What do I do": the report's channel, the hotlines, then the rule that applies."""
        script = query.script
        hotlines = self._hotlines(channel[0].region if channel else None, everything=True)
        quotes: list[Quote] = []
        if channel is not None:
            quotes.append(Quote(_display(channel[1], channel[0], script), channel[0], _citation(channel[0], script)))
        only_channels = {h.passage.id for h in hits if _only_channel(h.passage)}
        rule_hits = [h for h in hits if channel is None or h.passage.id != channel[0].id] or list(hits)
        rule_hits = [h for h in rule_hits if h.passage.id not in only_channels] or rule_hits  # a second channel is no rule
        if rule_hits:
            # what applies to the problem told (the story), not where to call
            as_rule = replace(query, intent=Intent.FACT, wants_hotline=False, story=frozenset())
            pick, run = self.leads.pick(as_rule, rule_hits, query.scope.regions)  # the named district's rule first
            passage = rule_hits[pick].passage
            if not quotes or run.text not in quotes[0].text:
                quotes.append(Quote(_display(run.text, passage, script), passage, _citation(passage, script), self._scope_label(run, script)))
        message = to_script(note + REMEDY_HEAD, script)
        parts = [message]
        if channel is not None:  # with the report's other channel, when a passage of its own names one
            more = next((h.passage for h in hits if h.passage.doc_id == channel[0].doc_id and h.passage.id != channel[0].id and h.passage.id in only_channels), None)
            extra = _display(more.text, more, script) if more is not None and more.text not in quotes[0].text else ""
            said = "\n".join(text for text in (quotes[0].text, extra) if text)
            parts.append(f"{said}\n——{quotes[0].citation}")
        parts.append(self._hotline_text(hotlines, script))
        rules = quotes[1:] if channel is not None else quotes
        if rules:
            head = TENTATIVE if tentative else RULE_HEAD
            parts.append(to_script(head, script) + "\n" + "\n".join(_quote_text(q, bullet=True) for q in rules))
        region = (quotes[-1].passage.region if quotes else "")
        notice = to_script(NOTICE.format(region=region), script) if region else ""
        parts.append(notice)
        # the named district's own channel answers "where do I report" for sure, whatever the rule below
        own_channel = channel is not None and channel[0].region in query.scope.regions
        if channel is not None:  # the passages shown are the ones quoted: the channel's first
            found = next((h for h in hits if h.passage.id == channel[0].id), None)
            hits = [found or Hit(channel[0], hits[0].score if hits else 0.0), *(h for h in hits if h.passage.id != channel[0].id)]
        return self._answer(
            query, False, message=message, quotes=tuple(quotes), hits=hits[:top_k], hotlines=hotlines, confidence=confidence,
            notice=notice, text="\n\n".join(p for p in parts if p), tentative=tentative and not own_channel, note=note, remedy=True,
        )

    def _answer(self, query: Query, abstained: bool, *, hits: Sequence[Hit] = (), note: str = "", **fields) -> Answer:
        return Answer(
            query.original, abstained, query.script, hits=tuple(hits), asked_region=query.scope.asked or None,
            scope_note=to_script(note, query.script) if note else "", **fields,
        )

    def _quote(self, query: Query, passage: Passage, whole: bool = False) -> Quote:
        """An excerpt: a short passage whole, else its best sentences; labelled when it
        speaks of another scope than the question."""
        if whole or len(passage.text) <= 120:
            text = passage.text
            off = disagreement(query.aspects, of_sentence(normalize(text), passage.section))
            label = to_script(off.label(), query.script) if off is not None else ""
        else:
            run = self.leads.best(query, passage, 2)
            text, label = run.text, self._scope_label(run, query.script)
        return Quote(_display(text, passage, query.script), passage, _citation(passage, query.script), label)

    @staticmethod
    def _scope_label(run: Lead, script: Script) -> str:
        return to_script(run.disagrees.label(), script) if run.disagrees is not None else ""

    def _hotlines(self, region: str | None, everything: bool) -> tuple[Hotline, ...]:
        """Hotlines for the passage's region first, then national ones; one line unless asked."""
        local = [h for h in self.hotlines if region and h.region and h.region in region]
        national = [h for h in self.hotlines if h not in local]
        ordered = local + national
        return tuple(ordered if everything else ordered[:1])

    def _hotline_text(self, hotlines: Sequence[Hotline], script: Script) -> str:
        if not hotlines:
            return ""
        lines = [to_script(HOTLINE_HEAD, script)]
        for h in hotlines:
            contact = " ".join(x for x in (h.number, h.url) if x)
            note = f"({h.note})" if h.note else ""
            lines.append(to_script(f"📞 {h.name}: {contact}{note}", script))
        return "\n".join(lines)


def _only_channel(passage: Passage) -> bool:
    """Does every sentence of the passage name a way to report, and nothing else it rules?"""
    return all(is_channel(normalize(sentence)) for sentence in split_sentences(passage.text))


def _display(text: str, passage: Passage, script: Script) -> str:
    """Report text as a parent reads it: redaction marks shown whole, in the parent's script."""
    text = unredact(text)
    return text if passage.script == script else to_script(text, script)


def _quote_text(quote: Quote, bullet: bool = False) -> str:
    """A quote and its source as plain text, its label first."""
    body = f"{quote.label}{quote.text}"
    return f"• {body}\n  ——{quote.citation}" if bullet else f"{body}\n——{quote.citation}"


def quotable_topic(query: Query) -> str:
    """The question's topic when it is short enough to quote back whole."""
    topic = topic_phrase(query)
    return topic if 0 < len(topic) <= QUOTABLE and len(query.topic) <= QUOTABLE + 6 else ""


def _citation(passage: Passage, script: Script) -> str:
    return to_script(format_citation(passage.title, passage.region, passage.source, passage.date), script)
