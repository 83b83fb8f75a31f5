"""Answers → Telegram HTML: every piece of user and report text escaped, messages split
under Telegram's 4,096-character limit between or inside text runs, never inside a tag
or an entity, so each part is valid HTML on its own.

Text is built as blocks (paragraphs) of spans (a run of text with at most one tag);
splitting works on that structure and only then escapes and wraps.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.answering.intent import is_channel
from bot.answering.mixed import CASES_HEAD
from bot.records import Answer, Hotline, Quote, Script
from bot.text import normalize, to_script

MAX_MESSAGE = 4096  # Telegram's limit for a message text
MAX_CARD_TITLE = 60
MAX_CARD_DESCRIPTION = 120
_BREAKS = "\n。！？!?；;,,、 "  # preferred places to cut an over-long text run


@lru_cache(maxsize=1024)
def label(text: str, script: Script) -> str:
    """One of our own (Simplified) labels in the parent's script."""
    return to_script(text, script)


@dataclass(frozen=True)
class Span:
    """A run of text shown with one tag ("" = plain); `href` for links."""

    text: str
    tag: str = ""
    href: str = ""

    def html(self) -> str:
        body = html.escape(self.text, quote=False)
        if self.tag == "a":
            return f'<a href="{html.escape(self.href, quote=True)}">{body}</a>'
        return f"<{self.tag}>{body}</{self.tag}>" if self.tag else body

    def overhead(self) -> int:
        return utf16_len(Span("", self.tag, self.href).html())


Block = tuple[Span, ...]


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _cost(ch: str) -> int:
    return utf16_len(html.escape(ch, quote=False))


def split_text(text: str, budget: int) -> list[str]:
    """Cut `text` into pieces whose escaped length fits `budget`, preferring line and sentence ends."""
    pieces: list[str] = []
    start = 0
    while start < len(text):
        used, end, cut = 0, start, -1
        while end < len(text) and used + _cost(text[end]) <= budget:
            used += _cost(text[end])
            end += 1
            if text[end - 1] in _BREAKS:
                cut = end
        if end == start:  # budget smaller than one character: take it anyway
            end += 1
        elif end < len(text) and cut > start + (end - start) // 2:
            end = cut
        pieces.append(text[start:end])
        start = end
    return [p for p in pieces if p]


def block_html(block: Block) -> str:
    return "".join(span.html() for span in block)


def _fit_block(block: Block, limit: int) -> list[str]:
    """One block as one or more HTML pieces, each within `limit`."""
    whole = block_html(block)
    if utf16_len(whole) <= limit:
        return [whole]
    pieces: list[str] = []
    current = ""
    for span in block:
        for part in split_text(span.text, max(1, limit - span.overhead())):
            chunk = Span(part, span.tag, span.href).html()
            if current and utf16_len(current) + utf16_len(chunk) > limit:
                pieces.append(current)
                current = ""
            current += chunk
    if current:
        pieces.append(current)
    return pieces


def paginate(blocks: Sequence[Block], limit: int = MAX_MESSAGE, sep: str = "\n\n") -> list[str]:
    """Join blocks into as few messages as possible, each at most `limit` long."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _fit_block(block, limit):
            joined = f"{current}{sep}{piece}" if current else piece
            if utf16_len(joined) <= limit:
                current = joined
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages or [""]


# -- answers ---------------------------------------------------------------------------


def _quote_block(quote: Quote, script: Script, lead: bool = False, tentative: bool = False) -> Block:
    """The quote (the answer itself when `lead`, the closest passage when `tentative`) and
    its source line; a labelled quote (one case of a rule, or another scope) says what it is."""
    if quote.label:
        head: Block = (Span("• "), Span(quote.label, "b"), Span(quote.text))
    elif lead:
        head = (Span(label("最接近的内容:" if tentative else "答:", script), "b"), Span(quote.text))
    else:
        head = (Span("• " + quote.text),)
    return head + (Span("\n"), Span("——" + quote.citation, "i"))


def _hotline_blocks(hotlines: Sequence[Hotline], script: Script) -> list[Block]:
    if not hotlines:
        return []
    spans: list[Span] = [Span(label("咨询和投诉渠道:", script), "b")]
    for h in hotlines:
        contact = " ".join(x for x in (h.number, h.url) if x)
        note = f"({h.note})" if h.note else ""
        spans += [Span("\n📞 "), Span(label(h.name, script), "b"), Span(label(f": {contact}{note}", script))]
    return [tuple(spans)]


def answer_blocks(answer: Answer) -> list[Block]:
    """The reply body: the note about the place and the answer (or message), citation,
    supporting excerpts, notice, hotlines. A tentative answer is marked ⚠️ and its quote
    is "the closest" rather than "the answer"; a "what do I do" answer shows the channel
    and the hotlines before the rule."""
    script = answer.script
    blocks: list[Block] = []
    if answer.faq is not None:
        byline = ", ".join(x for x in (answer.faq.author, answer.faq.date or "") if x)
        blocks.append((Span(label("答:", script), "b"), Span(answer.message)) + ((Span("\n"), Span("——" + label(byline, script), "i")) if byline else ()))
    elif answer.message or not answer.quotes:
        text = answer.message or label("抱歉,没有找到答案。", script)
        blocks.append((Span("⚠️ "), Span(text, "b")) if answer.tentative and not answer.remedy else (Span(text),))
    hotlines = _hotline_blocks(answer.hotlines, script)
    if answer.faq is None and answer.quotes:
        quotes = list(answer.quotes)
        if answer.remedy:
            if is_channel(normalize(quotes[0].text)):
                blocks.append(_quote_block(quotes.pop(0), script))
            blocks += hotlines
            hotlines = []
            heading = label("报告里没有直接回答这个问题,最接近的内容是:" if answer.tentative else "相关规定:", script)
        elif answer.cases:  # rules that differ by case, quoted together: "答:报告里的规定分几种情况:" then each case
            blocks.append((Span(label("答:", script), "b"), Span(label(CASES_HEAD, script))))
            blocks += [_quote_block(quotes.pop(0), script) for _ in range(min(answer.cases, len(quotes)))]
            heading = label("相关摘录:", script)
        else:
            blocks.append(_quote_block(quotes.pop(0), script, lead=True, tentative=answer.tentative))
            heading = label("相关摘录:", script)
        for n, quote in enumerate(quotes):
            block = _quote_block(quote, script)
            blocks.append(((Span(heading, "b"), Span("\n")) + block) if n == 0 else block)
    if answer.notice:
        blocks.append((Span(answer.notice, "i"),))
    return blocks + hotlines


def render_answer(answer: Answer) -> list[str]:
    """The reply as one or more HTML messages; buttons go under the last one."""
    return paginate(answer_blocks(answer))


def excerpt_pages(answer: Answer, per_page: int) -> list[str]:
    """Pages of further excerpts for the "more" button (possibly none)."""
    if not answer.extra_excerpts:
        return []
    script = answer.script
    question = answer.question if len(answer.question) <= 60 else answer.question[:59] + "…"
    head: Block = (Span(label("更多摘录", script), "b"), Span(label("(问:", script) + question + label(")", script)))
    pages: list[str] = []
    per_page = max(1, per_page)
    for n in range(0, len(answer.extra_excerpts), per_page):
        blocks = [head]
        for quote in answer.extra_excerpts[n : n + per_page]:
            blocks.append(_quote_block(quote, script))
        pages += paginate(blocks)
    return pages


def render_forwardable(answer: Answer, bot_username: str = "") -> list[str]:
    """A self-contained reply a teacher can forward to a parents' group: question quoted,
    answer, source, notice and hotlines, no buttons."""
    script = answer.script
    blocks: list[Block] = [(Span(label("❓ 家长的问题:", script), "b"), Span("\n"), Span(answer.question, "blockquote"))]
    blocks += answer_blocks(answer)
    if bot_username:
        blocks.append((Span(label("—— 双减问答助手 @", script) + bot_username, "i"),))
    return paginate(blocks)


@dataclass(frozen=True)
class Card:
    """One inline-mode result."""

    title: str
    description: str
    html: str


def _short(text: str, size: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def inline_cards(answer: Answer, bot_username: str = "", limit: int = 5) -> list[Card]:
    """Up to `limit` cards: the whole answer first, then single excerpts, each self-contained."""
    script = answer.script
    whole = render_forwardable(answer, bot_username)[0]
    first = answer.message if (answer.abstained or answer.faq is not None or not answer.quotes) else answer.quotes[0].text
    cards = [Card(_short(label("回答:", script) + answer.question, MAX_CARD_TITLE), _short(first, MAX_CARD_DESCRIPTION), whole)]
    if answer.abstained or answer.faq is not None:
        return cards
    question_block: Block = (Span(label("❓ 家长的问题:", script), "b"), Span("\n"), Span(answer.question, "blockquote"))
    for quote in (*answer.quotes[1:], *answer.extra_excerpts)[: limit - 1]:
        blocks = [question_block, _quote_block(quote, script)]
        if answer.notice:
            blocks.append((Span(answer.notice, "i"),))
        cards.append(Card(_short(label("摘录:", script) + quote.citation, MAX_CARD_TITLE), _short(quote.text, MAX_CARD_DESCRIPTION), paginate(blocks)[0]))
    return cards


def plain(text: str) -> str:
    """Escape one of our own messages that may embed user text."""
    return html.escape(text, quote=False)


# Bidirectional embeddings, overrides and isolates: echoed back, they could reorder how
# our own reply is displayed. Marks (U+200E/U+200F) and zero-width joiners stay.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_user_text(text: str) -> str:
    """User text made safe to ask, store and echo: control characters become spaces;
    lone surrogates (which cannot be encoded) and bidi overrides are removed."""
    out = []
    for ch in text:
        if ch in _BIDI_CONTROLS:
            continue
        kind = unicodedata.category(ch)
        if kind == "Cc":
            out.append(" ")
        elif kind != "Cs":
            out.append(ch)
    return "".join(out)
