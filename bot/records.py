"""The records that flow through the pipeline: corpus -> passages -> hits -> answer.

Plain frozen dataclasses, no behaviour beyond small derived properties, so every
module can import them without pulling anything else in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

Script = Literal["simplified", "traditional"]
Kind = Literal["report", "faq"]


def format_citation(title: str, region: str, source: str = "", date: str | None = None) -> str:
    """《title》, region, source, date: the line a parent sees under a quote."""
    parts = [f"《{title}》"]
    for value in (region, source, date):
        if value and value not in parts:
            parts.append(value)
    return ", ".join(parts)


def stable_id(*parts: str) -> int:
    """A positive int64 derived from content (FAISS ids must fit in int64)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class DocumentMeta:
    """Who published a document, for whom, when. Edited by admins in `corpus/documents.toml`."""

    doc_id: str  # file name relative to the corpus folder, e.g. "chongqing-fuling.txt"
    title: str
    region: str  # display form, e.g. "重庆市涪陵区"
    province: str = ""
    city: str = ""
    county: str = ""
    source: str = ""  # publisher or site
    date: str | None = None  # ISO date when known
    aliases: tuple[str, ...] = ()  # short names parents use: 涪陵, 涪陵区
    kind: Kind = "report"

    @property
    def citation(self) -> str:
        return format_citation(self.title, self.region, self.source, self.date)


@dataclass(frozen=True)
class Document:
    """A cleaned document: `text` keeps the report's own script; `script` says which."""

    meta: DocumentMeta
    text: str
    script: Script = "simplified"


@dataclass(frozen=True)
class Passage:
    """A few sentences of one document, the unit that is embedded, indexed and quoted.

    `text` is for display (the report's own script, cleaned); `search_text` is the
    normalised Simplified form used for embedding and keyword search. `start`/`end`
    are character offsets of `text` in the cleaned document text.
    """

    id: int
    doc_id: str
    title: str
    region: str
    section: str
    text: str
    search_text: str
    start: int
    end: int
    source: str = ""
    date: str | None = None
    script: Script = "simplified"
    kind: Kind = "report"
    # FAQ passages: the staff answer, its author and date (question is `text`).
    answer: str = ""
    author: str = ""

    @property
    def embed_text(self) -> str:
        """What the embedder sees: the section heading gives a short passage its context."""
        if self.section and self.kind == "report":
            return f"{self.section}: {self.search_text}"
        return self.search_text

    @property
    def citation(self) -> str:
        return format_citation(self.title, self.region, self.source, self.date)


@dataclass(frozen=True)
class Hit:
    """A passage found for a question. `score` orders hits; the others explain it."""

    passage: Passage
    score: float
    dense: float | None = None  # cosine similarity, when the dense retriever saw it
    keyword: float | None = None  # BM25 score, when the keyword retriever saw it
    coverage: float | None = None  # share of the question's words the passage contains
    rank_dense: int | None = None
    rank_keyword: int | None = None


@dataclass(frozen=True)
class Hotline:
    """A number or platform parents can contact. Configured by admins, never generated."""

    region: str
    name: str
    number: str = ""
    url: str = ""
    note: str = ""
    last_checked: str = ""


@dataclass(frozen=True)
class Quote:
    """A sentence (or a few) quoted verbatim from a passage, in the parent's script."""

    text: str
    passage: Passage
    citation: str
    label: str = ""  # what the quote is, when it is not plainly the answer ("减免:", "这是关于校外培训机构的内容…")


@dataclass(frozen=True)
class DialogState:
    """What one chat (one user in a group) remembers of its last question, to complete
    an elliptical next message ("那涪陵呢", "收费呢"). Never the retrieved passages."""

    topic: str  # the last question as searched, without its place (normalised Simplified)
    place: str = ""  # the place it was about, as the parent wrote it ("涪陵")
    subject: str = ""  # what it was about (课后服务, 作业, 校外培训 …), when recognised
    ts: float = 0.0  # when it was asked (seconds since the epoch)
    script: Script = "simplified"  # the script the parent writes in (kept for "那涪陵呢")
    home: str = ""  # the place the parent said they are from ("我娃儿在云阳读小学"), as written
    answered: str = ""  # whose report the last answer quoted first (its region), for "这是哪里的规定"


@dataclass(frozen=True)
class Answer:
    """What the bot says to one question. Rendered as text (CLI) or HTML (Telegram)."""

    question: str
    abstained: bool
    script: Script
    message: str = ""  # the top line when no quote leads: "not covered", or a FAQ answer
    quotes: tuple[Quote, ...] = ()  # quotes[0] answers; the rest support it
    hits: tuple[Hit, ...] = ()  # the top-k ranked passages, abstained or not
    hotlines: tuple[Hotline, ...] = ()
    confidence: float = 0.0  # calibrated probability that the reports cover the question
    faq: Passage | None = None  # set when a staff FAQ entry answered verbatim
    notice: str = ""  # "this is one district's rule; confirm locally"
    text: str = ""  # the full plain-text reply
    extra_excerpts: tuple[Quote, ...] = field(default=())  # for "more" paging
    tentative: bool = False  # related passages, but none may answer exactly
    asked_region: str | None = None  # the place the parent named or chose, as recognised
    scope_note: str = ""  # first sentence about that place ("泸州市的报告没有提到…")
    remedy: bool = False  # a "what do I do" question: channels lead
    cases: int = 0  # the first `cases` quotes answer together: rules that differ by case (收费 / 减免 / 不收费)
    effective_question: str = ""  # what was searched (a follow-up completed from the chat)
    state: DialogState | None = None  # what the chat remembers after this answer
    own_reply: bool = False  # a reply of our own (a greeting, thanks, an invitation), not a refusal
