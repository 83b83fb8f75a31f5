"""What OCR read, with its geometry: lines, rows of a page, and paragraphs for the corpus.

Engines return one `OcrLine` per detected text box; a notice's "收费标准:" and "每课时3元"
may be two boxes on one row, and a report's paragraph wraps over several rows. `rows()`
puts boxes of one row together (left to right) and `paragraphs()` joins rows that a
scan wrapped mid-sentence, using where each row ends on the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

Point = tuple[float, float]
SENTENCE_END = "。！？!?；;:：”’」』)）"
ROW_OVERLAP = 0.5  # two boxes share a row when their vertical extents overlap this much
FULL_ROW = 0.85  # a row reaching this share of the text block's width was wrapped
CONTINUES = ",，、"  # a row ending in a comma always continues on the next one
_OUTLINE = re.compile(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+\s*[.．、]|第[一二三四五六七八九十]+)")


@dataclass(frozen=True)
class OcrLine:
    """One text box: its text, the engine's confidence (0..1), its corners (x, y) in pixels."""

    text: str
    score: float
    box: tuple[Point, ...] = ()

    @property
    def left(self) -> float:
        return min((x for x, _ in self.box), default=0.0)

    @property
    def right(self) -> float:
        return max((x for x, _ in self.box), default=0.0)

    @property
    def top(self) -> float:
        return min((y for _, y in self.box), default=0.0)

    @property
    def bottom(self) -> float:
        return max((y for _, y in self.box), default=0.0)

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Row:
    """Boxes on one row, left to right."""

    lines: tuple[OcrLine, ...]

    @property
    def text(self) -> str:
        parts = [line.text for line in self.lines]
        out = parts[0]
        for part in parts[1:]:  # a space only between Latin letters or digits
            out += (" " if out[-1:].isascii() and out[-1:].isalnum() and part[:1].isascii() and part[:1].isalnum() else "") + part
        return out

    @property
    def left(self) -> float:
        return min(line.left for line in self.lines)

    @property
    def right(self) -> float:
        return max(line.right for line in self.lines)

    @property
    def height(self) -> float:
        return max(line.height for line in self.lines)


@dataclass(frozen=True)
class OcrPage:
    """Everything read from one image (one page), and how long it took."""

    lines: tuple[OcrLine, ...]
    width: int = 0
    height: int = 0
    rotation: int = 0  # degrees the image was turned to read it best
    seconds: float = 0.0

    @property
    def confidence(self) -> float:
        """Mean confidence, weighted by characters (0 when nothing was read)."""
        chars = sum(len(line.text) for line in self.lines)
        return sum(line.score * len(line.text) for line in self.lines) / chars if chars else 0.0

    @property
    def weight(self) -> float:
        """Characters read times confidence, halved when the lines run vertically (a reading of a
        turned image can be confident line by line yet out of order): how readings compare."""
        weight = sum(line.score * len(line.text) for line in self.lines)
        return weight / 2 if self.mostly_vertical else weight

    @property
    def mostly_vertical(self) -> bool:
        """Most multi-character boxes taller than wide: the image is probably turned by 90°."""
        boxes = [line for line in self.lines if len(line.text) >= 3]
        tall = sum(1 for line in boxes if line.height > 1.5 * (line.right - line.left))
        return bool(boxes) and tall * 2 > len(boxes)

    def timed(self, seconds: float) -> OcrPage:
        return replace(self, seconds=seconds)

    def rows(self) -> list[Row]:
        """Boxes grouped into rows, top to bottom, each row left to right."""
        rows: list[list[OcrLine]] = []
        for line in sorted(self.lines, key=lambda item: (item.top, item.left)):
            row = rows[-1] if rows else None
            if row is not None and _same_row(row, line):
                row.append(line)
            else:
                rows.append([line])
        return [Row(tuple(sorted(row, key=lambda item: item.left))) for row in rows]

    @property
    def text(self) -> str:
        """One line per row."""
        return "\n".join(row.text for row in self.rows())

    def paragraphs(self) -> str:
        """Rows joined where the scan wrapped a sentence: a row that ends in a comma, or runs to
        the block's right edge without ending a sentence, continues on the next row, unless it
        is a centred or indented heading or the next row starts an outline item (一、 (二) 3.)."""
        rows = self.rows()
        if not rows:
            return ""
        left = min(row.left for row in rows)
        right = max(row.right for row in rows)
        width = max(right - left, 1.0)
        out: list[str] = []
        previous: Row | None = None
        for row in rows:
            text = row.text
            if previous is not None and out:
                last = out[-1][-1:]
                full = previous.right >= left + FULL_ROW * width and last not in SENTENCE_END
                heading = previous.left - left > 1.2 * previous.height
                if (last in CONTINUES or full) and not heading and not _OUTLINE.match(text):
                    out[-1] += text
                    previous = row
                    continue
            out.append(text)
            previous = row
        return "\n".join(out)


def _same_row(row: list[OcrLine], line: OcrLine) -> bool:
    top = min(item.top for item in row)
    bottom = max(item.bottom for item in row)
    overlap = min(bottom, line.bottom) - max(top, line.top)
    return overlap > ROW_OVERLAP * min(bottom - top, line.height)
