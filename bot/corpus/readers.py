"""Bytes to text for the corpus formats, with encoding detection and readable bad-file reasons.

Every failure raises `DocumentError(path, reason)` where `reason` tells a person what is
wrong with the file ("empty file", "damaged .pdf", ...). Cleaning happens later, in
`bot.corpus.cleaning`; this module only turns a file into plain text with "\n" line breaks.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import charset_normalizer

from bot.errors import DocumentError
from bot.ocr.images import SUFFIXES as IMAGE_SUFFIXES

if TYPE_CHECKING:
    from bot.corpus.scans import Scanner

TEXT_TYPES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
SUPPORTED = TEXT_TYPES + IMAGE_SUFFIXES  # images (scans) are read by OCR
MB = 1024 * 1024
_CHINESE_ENCODINGS = ("gb18030", "big5")
# C0 control bytes that never occur in text files (tab, newlines, form feed and ESC do).
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13, 27}


def read_document(path: Path, max_bytes: int, scanner: Scanner | None = None) -> str:
    """The text of one corpus file; raises DocumentError saying why a file cannot be used.

    Scans (image files, PDF pages without a usable text layer) are read with `scanner`'s OCR;
    without a scanner an image file is refused and a PDF keeps only its text pages.
    """
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None and suffix not in IMAGE_SUFFIXES:
        raise DocumentError(str(path), f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(SUPPORTED)}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(
                str(path),
                f"file is {_mb(size)} MB, larger than the {max_bytes / MB:.3g} MB limit (corpus.max_file_mb)",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(str(path), f"cannot read the file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise DocumentError(str(path), "empty file")
    if suffix in IMAGE_SUFFIXES:
        text = _read_image(data, path, scanner)
    elif suffix == ".pdf":
        text = _read_pdf(data, path, scanner)
    else:
        text = reader(data, path)  # type: ignore[misc]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(str(path), "empty file")
    return text


def _mb(size: int) -> str:
    """25.0 for 25 MB; two significant digits below 0.1 MB (0.016)."""
    value = size / MB
    return f"{value:.1f}" if value >= 0.1 else f"{value:.2g}"


def decode_text(data: bytes, path: Path) -> str:
    """Decode a text file: UTF-8 (BOM or not; a stray bad byte tolerated), else GB18030 or Big5.

    charset-normalizer chooses when both Chinese encodings decode the bytes.
    """
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                break
    if _looks_binary(data):
        raise DocumentError(str(path), "binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        lenient = data.decode("utf-8-sig", errors="replace")
    bad = lenient.count("\ufffd")
    if bad * 50 <= sum(1 for ch in lenient if ord(ch) > 0x7F) - bad:  # UTF-8 with a stray damaged byte
        return lenient
    candidates = {}
    for encoding in _CHINESE_ENCODINGS:
        try:
            candidates[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not candidates:
        raise DocumentError(str(path), "cannot decode text (tried UTF-8, GB18030, Big5)")
    if len(candidates) == 1:
        return next(iter(candidates.values()))
    best = charset_normalizer.from_bytes(data, cp_isolation=list(candidates)).best()
    if best is not None and best.encoding in candidates:
        return candidates[best.encoding]
    return next(iter(candidates.values()))


def _looks_binary(data: bytes) -> bool:
    """NUL bytes, or more than 5% control bytes in the first 8 KB."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte in _CONTROL)
    return controls > len(head) * 0.05


def _read_text(data: bytes, path: Path) -> str:
    return decode_text(data, path)


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def _read_markdown(data: bytes, path: Path) -> str:
    """Markdown as text: heading hashes, quote marks, bold markers and link targets dropped."""
    text = decode_text(data, path)
    text = _MD_HEADING.sub("", text)
    text = _MD_QUOTE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    return _MD_EMPHASIS.sub(r"\2", text)


class _HtmlText(HTMLParser):
    """Collects the visible text of a page; block elements become line breaks."""

    SKIP = frozenset({"script", "style", "nav", "header", "footer", "noscript", "template", "aside", "iframe", "svg"})
    BLOCK = frozenset(
        """address article blockquote br dd div dl dt figcaption figure form h1 h2 h3 h4 h5 h6
        hr li main ol p pre section table td th tr ul title caption""".split()
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "pre":
            self.in_pre += 1
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "pre":
            self.in_pre = max(0, self.in_pre - 1)
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        self.parts.append(data if self.in_pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = (line.strip() for line in "".join(self.parts).split("\n"))
        return "\n".join(line for line in lines if line)


def _read_html(data: bytes, path: Path) -> str:
    """Visible text of an HTML page (script, style, navigation, header and footer dropped)."""
    parser = _HtmlText()
    parser.feed(decode_text(data, path))
    parser.close()
    return parser.text()


def _read_docx(data: bytes, path: Path) -> str:
    """Paragraphs and table cells of a Word file, in document order."""
    import docx  # python-docx: imported here so text-only corpora never load lxml
    from docx.table import Table

    damaged = "truncated or damaged .docx (not a valid Word file)"
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError(str(path), damaged)
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_rows(block))
            else:
                lines.append(block.text)
    except Exception as exc:  # python-docx raises zipfile, KeyError, lxml and its own errors alike
        raise DocumentError(str(path), damaged) from exc
    return "\n".join(line for line in lines if line.strip())


def _table_rows(table: object) -> list[str]:
    """One line per table row, its distinct cells joined with " | " (merged cells once)."""
    rows = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _read_image(data: bytes, path: Path, scanner: Scanner | None) -> str:
    """A scanned page saved as an image, read by OCR."""
    if scanner is None:
        raise DocumentError(str(path), "an image file needs OCR to be read")
    text = scanner.read_image_file(path.name, data)
    if not text.strip():
        raise DocumentError(path.name, "OCR found no text in the image")
    return text


def _read_pdf(data: bytes, path: Path, scanner: Scanner | None = None) -> str:
    """The text layer of every page of a PDF; pages without a usable one are OCRed (with a scanner)."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on damaged files say less than our reason

    if not data.lstrip().startswith(b"%PDF"):
        raise DocumentError(str(path), "damaged .pdf")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(str(path), "encrypted .pdf (save it without a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises PdfReadError, ValueError, KeyError... on damaged files
        raise DocumentError(str(path), "damaged .pdf") from exc
    texts = [unwrap_lines(page) for page in pages]
    if scanner is not None:
        weak = [n for n, page in enumerate(pages) if scanner.needs_ocr(page)]
        if weak:
            for n, text in scanner.read_pdf_pages(path.name, data, reader, weak, len(pages)).items():
                if text.strip():  # a scanned page OCR found nothing on keeps its thin text layer
                    texts[n] = text
            if not any(text.strip() for text in texts):
                raise DocumentError(path.name, "no text layer in .pdf and OCR found no text on its pages")
    if not any(text.strip() for text in texts):
        raise DocumentError(str(path), "no text layer in .pdf (scanned?)")
    return "\n\n".join(text for text in texts if text.strip())


_SENTENCE_END = "。！？!?；;:：”’」』."
_OUTLINE_START = re.compile(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+\s*[.．、]|第[一二三四五六七八九十]+)")


def unwrap_lines(page: str) -> str:
    """Join the lines a PDF wrapped mid-sentence back into paragraphs.

    A line about as wide as the page's widest line that does not end a sentence continues
    on the next line, unless that one starts an outline item (一、 (一) 1. 第一).
    """
    lines = [line.strip() for line in page.split("\n")]
    width = max((_width(line) for line in lines), default=0)
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        wrapped = previous and line and _width(previous) >= 0.85 * width and width >= 20
        if wrapped and previous[-1] not in _SENTENCE_END and not _OUTLINE_START.match(line):
            space = " " if previous[-1].isascii() and previous[-1].isalnum() and line[0].isascii() else ""
            out[-1] = previous + space + line
        else:
            out.append(line)
    return "\n".join(out).strip()


def _width(line: str) -> int:
    """Display width: CJK characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


_READERS: dict[str, Callable[[bytes, Path], str]] = {
    ".txt": _read_text,
    ".md": _read_markdown,
    ".html": _read_html,
    ".htm": _read_html,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
}
