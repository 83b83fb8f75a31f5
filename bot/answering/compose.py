"""Extractive answers: quote the sentence that answers, cite it, never invent.

The reply leads with the best sentence(s) of the best passage (for a fee question,
the one with the figure), then its source, then a few supporting excerpts, a note
that rules differ by district, and a hotline. Everything is in the parent's script.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.coverage import TermStatistics
from bot.answering.query import Query
from bot.records import Answer, Hit, Hotline, Passage, Quote, Script, format_citation
from bot.text import normalize, to_script

_SENTENCE = re.compile(r"[^。！？!?；;]*(?:[。！？!?；;]+[”’」』)]?|$)")
_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:元|%|％|万|亿|个|所|次|项|名|人|家|天|小时|分钟|课时|学期|月|年|份|块|门|件|余)|[一二三四五六七八九十两]+(?:个月|小时|元)")
_HOTLINE = re.compile(r"电话|热线|举报|投诉|信箱|监督|回复")

NOT_COVERED = "抱歉,现有的区县“双减”报告里没有找到与这个问题直接相关的内容,我不想凭空回答。您可以换个说法再问,或联系下面的热线和当地教育部门。"
GREETING = "您好!我根据各区县“双减”工作报告回答家长的问题。请直接写下您的问题,例如:课后服务怎么收费?作业太多找谁反映?周末还能补课吗?"
NOTICE = "说明:以上内容摘自{region}的报告,各地规定不尽相同,具体请以当地教育局的规定为准。"
FAQ_NOTICE = "说明:以上是{author}的答复,各地规定不尽相同,具体请以当地教育局的规定为准。"
HOTLINE_HEAD = "咨询和投诉渠道:"
MORE_HEAD = "相关摘录:"

# The lead sentence is sought in this many top passages; a runner-up's sentence must
# score this much better (per rank) to lead, so ranking still decides ties.
LEAD_CANDIDATES = 2
RUNNER_UP_DISCOUNT = 0.8
# Added to a sentence holding what the question asks for: a figure, or a complaint channel.
INTENT_BONUS = 2.0


@dataclass(frozen=True)
class AnswerStyle:
    max_lead_sentences: int = 2
    max_excerpts: int = 2


def split_sentences(text: str) -> list[str]:
    """Sentences ending in 。！？ or ；, closing quotes kept with their sentence."""
    return [s for s in (m.group(0) for m in _SENTENCE.finditer(text)) if s.strip()]


class AnswerComposer:
    """Builds an `Answer` from ranked hits, or an honest abstention."""

    def __init__(self, stats: TermStatistics, hotlines: Sequence[Hotline], style: AnswerStyle | None = None) -> None:
        self.stats = stats
        self.hotlines = tuple(hotlines)
        self.style = style or AnswerStyle()

    def greet(self, query: Query) -> Answer:
        """A greeting or an empty message: invite the question, with examples."""
        message = to_script(GREETING, query.script)
        return Answer(query.original, True, query.script, message=message, text=message)

    def abstain(self, query: Query, hits: Sequence[Hit], confidence: float) -> Answer:
        """"Not covered", with the hotline directory; the ranked passages still travel along."""
        hotlines = self._hotlines(query, None, everything=True)
        message = to_script(NOT_COVERED, query.script)
        text = "\n\n".join([message, self._hotline_text(hotlines, query.script)])
        return Answer(query.original, True, query.script, message=message, hits=tuple(hits), hotlines=hotlines, confidence=confidence, text=text)

    def from_faq(self, query: Query, faq: Passage, hits: Sequence[Hit], confidence: float) -> Answer:
        """A staff FAQ entry matched: its answer verbatim, attributed to its author and date."""
        author = ", ".join(x for x in (faq.author, faq.date) if x)
        message = to_script(faq.answer, query.script)
        notice = to_script(FAQ_NOTICE.format(author=faq.author or "学校"), query.script)
        hotlines = self._hotlines(query, faq.region, everything=query.wants_hotline)
        lines = [message, f"——{to_script(author, query.script)}" if author else "", notice, self._hotline_text(hotlines, query.script)]
        text = "\n\n".join(x for x in lines if x)
        return Answer(query.original, False, query.script, message=message, hits=tuple(hits), hotlines=hotlines, confidence=confidence, faq=faq, notice=notice, text=text)

    def compose(self, query: Query, hits: Sequence[Hit], confidence: float, top_k: int = 3) -> Answer:
        """Lead with the sentence(s) that answer, then supporting excerpts.

        The lead comes from the best passage, or from the runner-up when one of its
        sentences answers clearly better (the figure a fee question asks for, the
        channel a complaint question asks for). `hits` may run longer than `top_k`:
        the extra ones become "more" excerpts.
        """
        runs = [self._best_run(query, h.passage, self.style.max_lead_sentences) for h in hits[:LEAD_CANDIDATES]]
        weighted = [score * RUNNER_UP_DISCOUNT**n for n, (_, score, _) in enumerate(runs)]
        # The district the parent named leads when it has a candidate; then a question that
        # asks for a figure or a channel is led by a sentence that gives one, unless that
        # sentence is clearly off the question.
        eligible = [n for n in range(len(runs)) if hits[n].passage.region in query.regions] or list(range(len(runs)))
        best = max(weighted[n] for n in eligible)
        eligible = [n for n in eligible if runs[n][2] and weighted[n] >= 0.5 * best] or eligible
        pick = max(eligible, key=lambda n: (weighted[n], -n))
        best = hits[pick].passage
        lead = Quote(_display(runs[pick][0], best, query.script), best, _citation(best, query.script))
        others = [h for n, h in enumerate(hits) if n != pick]
        shown = [
            Quote(self._excerpt(query, h.passage), h.passage, _citation(h.passage, query.script))
            for h in others[: self.style.max_excerpts]
        ]
        extra = tuple(
            Quote(_display(h.passage.text, h.passage, query.script), h.passage, _citation(h.passage, query.script))
            for h in others[self.style.max_excerpts :]
        )
        notice = to_script(NOTICE.format(region=best.region), query.script)
        hotlines = self._hotlines(query, best.region, everything=query.wants_hotline)
        parts = [f"{lead.text}\n——{lead.citation}"]
        if shown:
            parts.append(to_script(MORE_HEAD, query.script) + "\n" + "\n".join(f"• {q.text}\n  ——{q.citation}" for q in shown))
        parts += [notice, self._hotline_text(hotlines, query.script)]
        return Answer(
            query.original,
            False,
            query.script,
            quotes=(lead, *shown),
            hits=tuple(hits[:top_k]),
            hotlines=hotlines,
            confidence=confidence,
            notice=notice,
            text="\n\n".join(parts),
            extra_excerpts=extra,
        )

    def _score(self, query: Query, sentence: str) -> tuple[float, bool]:
        """IDF weight of the question's words (or their official terms) in the sentence, plus an
        intent bonus; and whether the sentence gives what the question asks for."""
        body = normalize(sentence)
        score = sum(
            self.stats.idf(w) for w in query.words if any(c in body for c in (w, *query.alternatives.get(w, ())))
        )
        intent = bool(
            (query.wants_figure and _FIGURE.search(body)) or (query.wants_hotline and _HOTLINE.search(body))
        )
        return score + (INTENT_BONUS if intent else 0.0), intent

    def _best_run(self, query: Query, passage: Passage, limit: int) -> tuple[str, float, bool]:
        """The best sentence (and, when it is short, the one after it), its score, and its intent match."""
        sentences = split_sentences(passage.text)
        if not sentences:
            return passage.text, 0.0, False
        scores = [self._score(query, s) for s in sentences]
        i = max(range(len(sentences)), key=lambda n: (scores[n][0], -n))
        chosen = [sentences[i]]
        while len(chosen) < limit and i + len(chosen) < len(sentences) and len("".join(chosen)) < 40:
            chosen.append(sentences[i + len(chosen)])
        return "".join(chosen).strip(), *scores[i]

    def _excerpt(self, query: Query, passage: Passage) -> str:
        text = passage.text if len(passage.text) <= 120 else self._best_run(query, passage, 2)[0]
        return _display(text, passage, query.script)

    def _hotlines(self, query: Query, region: str | None, everything: bool) -> tuple[Hotline, ...]:
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
