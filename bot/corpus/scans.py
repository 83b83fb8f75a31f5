"""Scanned reports: PDF pages without a usable text layer, and image files, read by OCR.

The decision is made per page: a PDF page keeps its own text when it has at least
`[ocr] min_text_chars` readable characters that are not font-encoding junk; otherwise the
images on the page are read by OCR. Results are cached by the file's sha256 (and the
engine), so an unchanged scan is never read twice; `Scanner.records` says, per file, how
many pages were OCRed and whether the cache had them, for the build summary.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PIL import Image

from bot.config import OcrSettings
from bot.errors import DocumentError, ImageError, OcrError
from bot.ocr.cache import OcrCache, sha256_hex
from bot.ocr.engine import OcrEngine, rapidocr_engine_id, shared_engine
from bot.ocr.images import ImageLimits, iter_images, scale_for_ocr

log = logging.getLogger(__name__)

MIN_IMAGE_SIDE = 64  # smaller images on a PDF page are logos or rules, not text
_GARBLED = ("\ufffd",)


@dataclass(frozen=True)
class ScanRecord:
    """One file read (partly) by OCR."""

    name: str
    pages: int  # pages (or image frames) in the file
    ocr_pages: int  # of them read by OCR
    cached: int  # of those, taken from the OCR cache
    seconds: float = 0.0

    def describe(self) -> str:
        """"OCRed scan.pdf: 2 pages", "OCRed mixed.pdf: 1 of 3 pages, from the OCR cache"."""
        pages = f"{self.pages} page{'s' if self.pages != 1 else ''}" if self.ocr_pages == self.pages else f"{self.ocr_pages} of {self.pages} pages"
        if self.cached and self.cached == self.ocr_pages:
            pages += ", from the OCR cache"
        elif self.cached:
            pages += f", {self.cached} from the OCR cache"
        return f"OCRed {self.name}: {pages}"


def usable_characters(text: str) -> int:
    """Letters and digits that are not private-use glyphs or replacement characters."""
    return sum(1 for ch in text if unicodedata.category(ch)[0] in "LN" and ch not in _GARBLED)


def is_garbled(text: str) -> bool:
    """Half or more of the visible characters are private-use glyphs, replacement characters or (cid:N)."""
    visible = [ch for ch in text if not ch.isspace()]
    junk = sum(1 for ch in visible if unicodedata.category(ch) == "Co" or ch in _GARBLED)
    junk += 6 * text.count("(cid:")
    return bool(visible) and junk * 2 >= len(visible)


class Scanner:
    """Reads scans for the corpus with one OCR engine (loaded on first use) and a cache."""

    def __init__(self, settings: OcrSettings | None = None, cache: OcrCache | None = None, engine: OcrEngine | None = None) -> None:
        self.settings = settings or OcrSettings()
        self.cache = cache
        self._engine = engine
        self.records: list[ScanRecord] = []

    @property
    def engine(self) -> OcrEngine:
        if self._engine is None:
            self._engine = shared_engine(self.settings.threads, self.settings.max_side, self.settings.detect_side)
        return self._engine

    def limits(self, frames: int = 1) -> ImageLimits:
        return ImageLimits(max_pixels=int(self.settings.max_megapixels * 1e6), max_side=self.settings.max_side, max_frames=frames)

    def needs_ocr(self, text: str) -> bool:
        """Whether a PDF page's own text is too thin or too garbled to use."""
        return usable_characters(text) < self.settings.min_text_chars or is_garbled(text)

    def read_image_file(self, name: str, data: bytes) -> str:
        """The text of an image file (every page of a TIFF), one paragraph per wrapped block."""
        started = time.perf_counter()
        digest = sha256_hex(data)
        cached = self._cached(digest)
        if cached is not None:
            texts = [cached[n] for n in sorted(cached)]
            self.records.append(ScanRecord(name, len(texts), len(texts), len(texts), time.perf_counter() - started))
            return "\n\n".join(t for t in texts if t)
        pages: dict[int, str] = {}
        try:
            for n, frame in enumerate(iter_images(data, self.limits(self.settings.max_pages + 1))):
                if n >= self.settings.max_pages:
                    raise DocumentError(name, f"the scan has more than {self.settings.max_pages} pages (ocr.max_pages)")
                pages[n] = self._ocr(name, frame)
        except ImageError as exc:
            raise DocumentError(name, f"unreadable image: {exc.reason}") from None
        self._store(digest, pages)
        self.records.append(ScanRecord(name, len(pages), len(pages), 0, time.perf_counter() - started))
        return "\n\n".join(pages[n] for n in sorted(pages) if pages[n])

    def read_pdf_pages(self, name: str, data: bytes, reader: Any, wanted: list[int], total: int) -> dict[int, str]:
        """OCR text of those PDF pages in `wanted` (numbered from 0) that hold images; cached by
        the file's hash. A page without images keeps its own text (the caller's)."""
        if len(wanted) > self.settings.max_pages:
            raise DocumentError(name, f"{len(wanted)} pages have no text layer, more than the {self.settings.max_pages} OCR allows (ocr.max_pages)")
        started = time.perf_counter()
        digest = sha256_hex(data)
        cached = self._cached(digest) or {}
        pages = {n: cached[n] for n in wanted if n in cached}
        fresh = 0
        for n in wanted:
            if n in pages:
                continue
            images = list(page_images(reader.pages[n], self.limits(), name, n))
            if images:
                pages[n] = "\n".join(text for text in (self._ocr(name, image) for image in images) if text)
                fresh += 1
        if fresh:
            self._store(digest, {**cached, **pages})
        if pages:
            self.records.append(ScanRecord(name, total, len(pages), len(pages) - fresh, time.perf_counter() - started))
        return pages

    def _ocr(self, name: str, image: Image.Image) -> str:
        try:
            return self.engine.read(image).paragraphs()
        except OcrError as exc:
            raise DocumentError(name, f"OCR failed: {exc.message}") from None

    def _cached(self, digest: str) -> dict[int, str] | None:
        if self.cache is None:
            return None
        return self.cache.get(self.engine_id, digest)

    def _store(self, digest: str, pages: dict[int, str]) -> None:
        if self.cache is not None:
            self.cache.put(self.engine_id, digest, pages)

    @property
    def engine_id(self) -> str:
        """The engine's id, without loading the engine when the cache can answer."""
        return self._engine.engine_id if self._engine is not None else rapidocr_engine_id(self.settings.max_side, self.settings.detect_side)


def page_images(page: Any, limits: ImageLimits, name: str, number: int) -> Iterator[Image.Image]:
    """The images drawn on a PDF page (one level of forms included), size-checked before decoding."""
    try:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for obj in _image_objects(xobjects, depth=0):
            width, height = int(obj.get("/Width", 0)), int(obj.get("/Height", 0))
            if width < MIN_IMAGE_SIDE or height < MIN_IMAGE_SIDE:
                continue
            if width * height > limits.max_pixels:
                raise DocumentError(name, f"page {number + 1} holds a {width}×{height} image, above the {limits.max_pixels / 1e6:g}-megapixel limit (ocr.max_megapixels)")
            yield scale_for_ocr(obj.decode_as_image().convert("RGB"), limits.max_side)
    except DocumentError:
        raise
    except Exception as exc:  # pypdf and Pillow raise many kinds on damaged or unusual images
        raise DocumentError(name, f"page {number + 1}: cannot decode its scanned image ({type(exc).__name__}: {exc})") from None


def _image_objects(xobjects: Any, depth: int) -> Iterator[Any]:
    for ref in xobjects.values():
        obj = ref.get_object()
        subtype = obj.get("/Subtype")
        if subtype == "/Image":
            yield obj
        elif subtype == "/Form" and depth < 1:
            inner = (obj.get("/Resources") or {}).get("/XObject") or {}
            yield from _image_objects(inner, depth + 1)
