"""Extractive answers: quote the sentence that answers, cite it, never invent.

A reply is one of three: a confident answer (the sentence that answers, its source,
a few supporting excerpts, the "rules differ" notice, a hotline); a tentative one
("报告里没有直接回答这个问题,最接近的内容是…" before the same quotes); or a refusal
with the hotline directory. A "what do I do" question leads with the channel: the
district's reporting channel from its report, then the configured hotlines, then the
rule that applies. A note about the place the parent asked about (`decide.py`) comes
first when there is one. Everything is in the parent's script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.coverage import TermStatistics
from bot.answering.leads import LeadPicker, split_sentences
from bot.answering.query import Query
from bot.records import Answer, Hit, Hotline, Passage, Quote, Script, format_citation
from bot.text import to_script

__all__ = ["AnswerComposer", "AnswerStyle", "split_sentences"]

NOT_COVERED = "抱歉,现有的区县“双减”报告里没有找到与这个问题直接相关的内容,我不想凭空回答。您可以换个说法再问,或联系下面的热线和当地教育部门。"
TENTATIVE = "报告里没有直接回答这个问题,最接近的内容是:"
REMEDY_HEAD = "可以通过这些渠道反映:"
REMEDY_NONE = "报告里没有讲到这种情况的处理办法,可以通过下面的热线反映:"
RULE_HEAD = "相关规定:"
GREETING = "您好!我根据各区县“双减”工作报告回答家长的问题。请直接写下您的问题,例如:课后服务怎么收费?作业太多找谁反映?周末还能补课吗?"
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
        return Answer(query.original, True, query.script, message=message, text=message)

    def message(self, query: Query, text: str) -> Answer:
        """A reply of our own that quotes nothing (an invitation to say more)."""
        message = to_script(text, query.script)
        return self._answer(query, True, message=message, text=message)

    def abstain(self, query: Query, hits: Sequence[Hit], confidence: float, note: str = "") -> Answer:
        """"Not covered", with the hotline directory; the ranked passages still travel along.
        A "what do I do" question gets the hotlines first."""
        hotlines = self._hotlines(None, everything=True)
        base = REMEDY_NONE if query.intent.value == "remedy" else NOT_COVERED
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
        self, query: Query, hits: Sequence[Hit], confidence: float, top_k: int = 3, *, note: str = "", tentative: bool = False, prefer: Sequence[str] = ()
    ) -> Answer:
        """Lead with the sentence(s) that answer, then supporting excerpts.

        `hits` may run longer than `top_k`: the extra ones become "more" excerpts. `note`
        (about the place asked about) comes first; a tentative answer says it may not
        answer exactly."""
        pick, lead_run = self.leads.pick(query, hits, prefer)
        best = hits[pick].passage
        lead = Quote(_display(lead_run.text, best, query.script), best, _citation(best, query.script))
        others = [h for n, h in enumerate(hits) if n != pick]
        shown = [self._quote(query, h.passage) for h in others[: self.style.max_excerpts]]
        extra = tuple(Quote(_display(h.passage.text, h.passage, query.script), h.passage, _citation(h.passage, query.script)) for h in others[self.style.max_excerpts :])
        head = "".join(x for x in (note, TENTATIVE if tentative else "") if x)
        message = to_script(head, query.script) if head else ""
        notice = to_script(NOTICE.format(region=best.region), query.script)
        hotlines = self._hotlines(best.region, everything=query.wants_hotline)
        parts = [message] if message else []
        parts.append(f"{lead.text}\n——{lead.citation}")
        if shown:
            parts.append(to_script(MORE_HEAD, query.script) + "\n" + "\n".join(f"• {q.text}\n  ——{q.citation}" for q in shown))
        parts += [notice, self._hotline_text(hotlines, query.script)]
        return self._answer(
            query, False, message=message, quotes=(lead, *shown), hits=hits[:top_k], hotlines=hotlines, confidence=confidence,
            notice=notice, text="\n\n".join(p for p in parts if p), extra_excerpts=extra, tentative=tentative, note=note,
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
        rule_hits = [h for h in hits if channel is None or h.passage.id != channel[0].id] or list(hits)
        if rule_hits:
            pick, run = self.leads.pick(query, rule_hits)
            passage = rule_hits[pick].passage
            if not quotes or run.text not in quotes[0].text:
                quotes.append(Quote(_display(run.text, passage, script), passage, _citation(passage, script)))
        message = to_script(note + REMEDY_HEAD, script)
        parts = [message]
        if channel is not None:
            parts.append(f"{quotes[0].text}\n——{quotes[0].citation}")
        parts.append(self._hotline_text(hotlines, script))
        rules = quotes[1:] if channel is not None else quotes
        if rules:
            head = TENTATIVE if tentative else RULE_HEAD
            parts.append(to_script(head, script) + "\n" + "\n".join(f"• {q.text}\n  ——{q.citation}" for q in rules))
        region = (quotes[-1].passage.region if quotes else "")
        notice = to_script(NOTICE.format(region=region), script) if region else ""
        parts.append(notice)
        return self._answer(
            query, False, message=message, quotes=tuple(quotes), hits=hits[:top_k], hotlines=hotlines, confidence=confidence,
            notice=notice, text="\n\n".join(p for p in parts if p), tentative=tentative, note=note, remedy=True,
        )

    def _answer(self, query: Query, abstained: bool, *, hits: Sequence[Hit] = (), note: str = "", **fields) -> Answer:
        return Answer(
            query.original, abstained, query.script, hits=tuple(hits), asked_region=query.scope.asked or None,
            scope_note=to_script(note, query.script) if note else "", **fields,
        )

    def _quote(self, query: Query, passage: Passage) -> Quote:
        text = passage.text if len(passage.text) <= 120 else self.leads.best(query, passage, 2).text
        return Quote(_display(text, passage, query.script), passage, _citation(passage, query.script))

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


def _display(text: str, passage: Passage, script: Script) -> str:
    """Report text in the parent's script (unchanged when the scripts already agree)."""
    return text if passage.script == script else to_script(text, script)


def _citation(passage: Passage, script: Script) -> str:
    return to_script(format_citation(passage.title, passage.region, passage.source, passage.date), script)
