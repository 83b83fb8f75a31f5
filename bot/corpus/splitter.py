"""A cleaned document -> passages, along the report's own structure.

Lines are paragraphs or heading lines. A paragraph splits into items at its markers
(一是, 第一, (一), 一、, 1 ., 1、) and items into sentences (。！？; at ； only inside very long
ones). A passage is whole sentences of one item, merged up to about TARGET characters and
never above MAX unless one sentence is longer. Each passage carries its heading chain
("第二,坚持全程推进,促校内减负提质增效 › 三是优化课后服务") in the document's own script.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.records import Document, Passage, stable_id
from bot.text import normalize

TARGET = 120  # merge sentences until a passage is about this long
MAX = 240  # ... but never longer, unless a single sentence is
SMALL = 40  # a last piece shorter than this joins the passage before it
HEADING_MAX = 40  # heading lines and heading sentences are at most this long
LEAD_MAX = 24  # an unmarked paragraph lead ("凝聚合力,强化协同育人效能。") at most this long
SEPARATOR = " › "

_NUM = "一二三四五六七八九十"
# (pattern, level): 1 = chapter, 2 = section, 3 = item, 4 = sub-item.
MARKERS = (
    (re.compile(rf"第[{_NUM}]+个?是"), 4),
    (re.compile(rf"第[{_NUM}]+[,，、:：]"), 1),
    (re.compile(rf"[{_NUM}]+、(?![{_NUM}])"), 1),  # not "一、二年级"
    (re.compile(rf"[(（][{_NUM}]+[)）]"), 2),
    (re.compile(r"\d{1,2}\s*[.．、](?![\d%])"), 3),
    (re.compile(rf"[{_NUM}]是"), 3),
)
_BOUNDARY = "。！？!?；;:："
_SENTENCE = re.compile(r"[^。！？!?]*(?:[。！？!?]+[”’」』)）]*|$)")
_CLAUSE_END = re.compile(r"[;；]")
_COMMA = re.compile(r"[,，;；]")
_HEAD_TRIM = "。！？!?；;:：,， "


@dataclass(frozen=True)
class _Heading:
    text: str
    level: int
    inline: bool  # came from inside a paragraph: dropped at the paragraph's end


def marker_level(text: str, pos: int = 0) -> int | None:
    """The outline level (1..4) of the marker at `text[pos:]` (一、 (一) 1 . 一是 …), or None."""
    for pattern, level in MARKERS:
        if pattern.match(text, pos):
            return level
    return None


def split_document(doc: Document) -> list[Passage]:
    """All passages of `doc`, in order; `text` is always `doc.text[start:end]`."""
    lines = _lines(doc.text)
    spans: list[tuple[int, int, str]] = []
    stack: list[_Heading] = []
    for n, (start, end, level) in enumerate(lines):
        if level is not None:
            text = doc.text[start:end]
            if n == 0 and marker_level(text) is None and len(lines) > 1:
                continue  # the report's title line: neither a passage nor a section
            if _has_body(lines, n):
                _push(stack, _Heading(text.rstrip(_HEAD_TRIM), level, inline=False))
                continue
        spans.extend(_split_paragraph(doc.text, start, end, stack))
        stack[:] = [h for h in stack if not h.inline]
    return _passages(doc, spans)


def _lines(text: str) -> list[tuple[int, int, int | None]]:
    """Non-empty lines as (start, end, heading level or None for a paragraph)."""
    lines = []
    offset = 0
    for line in text.split("\n"):
        start, end = _trim(text, offset, offset + len(line))
        offset += len(line) + 1
        if start < end:
            heading = _is_heading_line(text[start:end])
            lines.append((start, end, (marker_level(text[start:end]) or 1) if heading else None))
    return lines


def _has_body(lines: list[tuple[int, int, int | None]], n: int) -> bool:
    """True when a paragraph follows heading line `n` before a heading of its level or higher."""
    level = lines[n][2] or 1
    for _, _, other in lines[n + 1 :]:
        if other is None:
            return True
        if other <= level:
            return False
    return False


def _split_paragraph(text: str, start: int, end: int, stack: list[_Heading]) -> list[tuple[int, int, str]]:
    """Passages of one paragraph; `stack` gains the paragraph's inline headings."""
    spans = []
    segments = _segments(text, start, end)
    for n, (seg_start, seg_end, level) in enumerate(segments):
        sentences = _sentences(text, seg_start, seg_end)
        if not sentences:
            continue
        first = text[sentences[0][0] : sentences[0][1]]
        more = len(sentences) > 1 or seg_end < end
        heading = _segment_heading(first, level, lead=seg_start == start and more)
        if heading or level is not None:
            _push(stack, _Heading(heading, level or 1, inline=True))
        next_level = segments[n + 1][2] if n + 1 < len(segments) else None
        if heading and len(sentences) == 1 and next_level is not None and next_level > (level or 1):
            continue  # a lead that only names the items after it ("第二,坚持全程推进,…。")
        section = SEPARATOR.join(h.text for h in stack if h.text)
        spans.extend((a, b, section) for a, b in _pack(sentences))
    return spans


def _segments(text: str, start: int, end: int) -> list[tuple[int, int, int | None]]:
    """Items of a paragraph: (start, end, marker level) cut at markers after a sentence end."""
    cuts: list[tuple[int, int | None]] = [(start, marker_level(text, start))]
    for i in range(start + 1, end):
        if text[i - 1] in _BOUNDARY:
            level = marker_level(text, i)
            if level is not None:
                cuts.append((i, level))
    bounds = [c[0] for c in cuts] + [end]
    return [(bounds[n], bounds[n + 1], level) for n, (_, level) in enumerate(cuts)]


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans (trimmed); a sentence longer than MAX is cut after its semicolons."""
    spans = []
    for match in _SENTENCE.finditer(text, start, end):
        a, b = _trim(text, match.start(), match.end())
        if a == b:
            continue
        if b - a <= MAX:
            spans.append((a, b))
            continue
        piece = a
        for semi in _CLAUSE_END.finditer(text, a, b):
            if semi.end() < b:
                spans.append(_trim(text, piece, semi.end()))
                piece = semi.end()
        spans.append(_trim(text, piece, b))  # a clause may start after a space ("; 按照…")
    return [(x, y) for x, y in spans if x < y]


def _pack(sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge consecutive sentences into passages of about TARGET, at most MAX characters."""
    chunks: list[list[int]] = []
    for a, b in sentences:
        if chunks and (chunks[-1][1] - chunks[-1][0] < TARGET) and (b - chunks[-1][0] <= MAX):
            chunks[-1][1] = b
        else:
            chunks.append([a, b])
    if len(chunks) > 1 and chunks[-1][1] - chunks[-1][0] < SMALL and chunks[-1][1] - chunks[-2][0] <= MAX:
        last = chunks.pop()
        chunks[-1][1] = last[1]
    return [(a, b) for a, b in chunks]


def _segment_heading(first: str, level: int | None, lead: bool) -> str:
    """The heading an item or paragraph opens with: its short first sentence or clause."""
    sentence = first.rstrip(_HEAD_TRIM)
    if level is None:
        # Only a short two-part slogan leads a paragraph without a marker.
        ok = lead and len(sentence) <= LEAD_MAX and len(_COMMA.findall(sentence)) == 1
        return sentence if ok and not re.search(r"\d", sentence) else ""
    if len(sentence) <= HEADING_MAX:
        return sentence
    clause = _COMMA.split(sentence, maxsplit=1)[0]
    return clause if len(clause) <= 30 else ""


def _is_heading_line(line: str) -> bool:
    """A short line of at most one sentence (no table row); an unmarked sentence only as a slogan."""
    inner = line.rstrip(_HEAD_TRIM)
    if "|" in line or len(line) > 60 or not inner or re.search(r"[。！？!?]", inner):
        return False
    if line[-1] not in "。！？!?":
        return True
    if marker_level(line) is not None:
        return len(line) <= HEADING_MAX
    return bool(_segment_heading(line, None, lead=True))  # "實施優質課後服務行動,促進學生全面發展健康成長。"


def _push(stack: list[_Heading], heading: _Heading) -> None:
    """Make `heading` the innermost heading, closing any at its level or deeper."""
    while stack and stack[-1].level >= heading.level:
        stack.pop()
    stack.append(heading)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """`start`/`end` moved inwards past whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _passages(doc: Document, spans: list[tuple[int, int, str]]) -> list[Passage]:
    """Passage records for the spans; a text repeated in the document gets a counter in its id."""
    meta = doc.meta
    seen: Counter[str] = Counter()
    passages = []
    for start, end, section in spans:
        text = doc.text[start:end]
        search_text = normalize(text)
        repeat = seen[search_text]
        seen[search_text] += 1
        parts = (meta.doc_id, search_text) + ((str(repeat),) if repeat else ())
        passages.append(
            Passage(
                id=stable_id(*parts),
                doc_id=meta.doc_id,
                title=meta.title,
                region=meta.region,
                section=section,
                text=text,
                search_text=search_text,
                start=start,
                end=end,
                source=meta.source,
                date=meta.date,
                script=doc.script,
                kind=meta.kind,
            )
        )
    return passages
