"""bot.corpus.scans: which pages are OCRed, the cache by file hash, image files, limits
(a fake engine, so no OCR runs here; tests/index/test_scans_build.py runs the real one)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from bot.config import OcrSettings
from bot.corpus.readers import MB, read_document
from bot.corpus.scans import Scanner, is_garbled, usable_characters
from bot.errors import DocumentError
from bot.ocr.cache import OcrCache
from bot.ocr.layout import OcrLine, OcrPage
from tests.corpus.test_readers import minimal_pdf
from tests.ocr.helpers import encoded, fixture

LIMIT = 20 * MB
TEXT_PAGE = "After-school service ends at 17:30 every school day."


class CountingEngine:
    """Reads every image as the same line and counts the images it was given."""

    engine_id = "fake-ocr/1"

    def __init__(self, text: str = "扫描页:课后服务每天不少于2小时。") -> None:
        self.text = text
        self.images: list[tuple[int, int]] = []

    def read(self, image: Image.Image) -> OcrPage:
        self.images.append(image.size)
        return OcrPage((OcrLine(self.text, 0.99, ((0, 0), (100, 0), (100, 20), (0, 20))),), image.width, image.height)


def scanner(engine: CountingEngine, cache: OcrCache | None = None, **settings: int) -> Scanner:
    return Scanner(OcrSettings(**settings), cache, engine)


def mixed_pdf(tmp_path: Path) -> Path:
    """Page 1 has a text layer; pages 2 and 3 are the scanned fixture's image-only pages."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(minimal_pdf([TEXT_PAGE]))))
    writer.append(PdfReader(io.BytesIO(fixture("scanned_report.pdf"))))
    path = tmp_path / "mixed.pdf"
    writer.write(path)
    return path


def test_only_pages_without_a_text_layer_are_ocred(tmp_path: Path) -> None:
    engine = CountingEngine()
    reading = scanner(engine)
    text = read_document(mixed_pdf(tmp_path), LIMIT, reading)
    assert text.split("\n\n") == [TEXT_PAGE, engine.text, engine.text]
    assert len(engine.images) == 2 and all(max(size) <= 2000 for size in engine.images)
    assert [r.describe() for r in reading.records] == ["OCRed mixed.pdf: 2 of 3 pages"]


def test_the_ocr_text_is_cached_by_the_file_hash(tmp_path: Path) -> None:
    cache = OcrCache(tmp_path / "cache")
    path = mixed_pdf(tmp_path)
    first = CountingEngine()
    read_document(path, LIMIT, scanner(first, cache))
    again = CountingEngine("this engine must not be asked")
    reading = scanner(again, cache)
    assert engine_text(read_document(path, LIMIT, reading)) == first.text
    assert again.images == []
    assert [r.describe() for r in reading.records] == ["OCRed mixed.pdf: 2 of 3 pages, from the OCR cache"]
    path.write_bytes(path.read_bytes() + b"\n% changed\n")  # other bytes: read again
    read_document(path, LIMIT, scanner(again, cache))
    assert len(again.images) == 2


def engine_text(text: str) -> str:
    return text.split("\n\n")[1]


def test_a_damaged_cache_entry_is_read_again(tmp_path: Path) -> None:
    cache = OcrCache(tmp_path / "cache")
    path = mixed_pdf(tmp_path)
    read_document(path, LIMIT, scanner(CountingEngine(), cache))
    for entry in (tmp_path / "cache").rglob("*.json"):
        entry.write_text("{not json", encoding="utf-8")
    engine = CountingEngine()
    read_document(path, LIMIT, scanner(engine, cache))
    assert len(engine.images) == 2


def test_without_a_scanner_a_scanned_pdf_keeps_the_old_reason(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(fixture("scanned_report.pdf"))
    with pytest.raises(DocumentError, match=r"no text layer in \.pdf \(scanned\?\)"):
        read_document(path, LIMIT)


def test_a_scan_on_which_ocr_finds_nothing_is_named(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(fixture("scanned_report.pdf"))
    with pytest.raises(DocumentError, match="OCR found no text") as caught:
        read_document(path, LIMIT, scanner(CountingEngine("")))
    assert caught.value.path == "scan.pdf"  # the file's name, like the scanner's own reasons
    assert caught.value.reason == "no text layer in .pdf and OCR found no text on its pages"


def test_an_image_on_which_ocr_finds_nothing_is_named(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(fixture("no_text.png"))
    with pytest.raises(DocumentError, match="OCR found no text") as caught:
        read_document(path, LIMIT, scanner(CountingEngine("")))
    assert caught.value.path == "scan.png"
    assert caught.value.reason == "OCR found no text in the image"


def test_too_many_scanned_pages_are_refused_before_any_ocr(tmp_path: Path) -> None:
    engine = CountingEngine()
    with pytest.raises(DocumentError, match=r"2 pages have no text layer, more than the 1 OCR allows \(ocr.max_pages\)"):
        read_document(mixed_pdf(tmp_path), LIMIT, scanner(engine, max_pages=1))
    assert engine.images == []


def test_image_files_are_read_every_tiff_page(tmp_path: Path) -> None:
    pages = [Image.new("RGB", (600, 800), "white") for _ in range(3)]
    (tmp_path / "scan.tiff").write_bytes(encoded(pages[0], "TIFF", save_all=True, append_images=pages[1:]))
    (tmp_path / "scan.png").write_bytes(encoded(pages[0], "PNG"))
    engine = CountingEngine()
    reading = scanner(engine)
    assert read_document(tmp_path / "scan.tiff", LIMIT, reading).count(engine.text) == 3
    assert read_document(tmp_path / "scan.png", LIMIT, reading) == engine.text
    assert [r.describe() for r in reading.records] == ["OCRed scan.tiff: 3 pages", "OCRed scan.png: 1 page"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not an image at all", "unreadable image: this is not an image we can read"),
        (fixture("fee_notice_photo.jpg")[:5000], "unreadable image: the image is damaged or truncated"),
    ],
)
def test_a_bad_image_file_is_skipped_with_its_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "scan.jpg"
    path.write_bytes(data)
    with pytest.raises(DocumentError) as caught:
        read_document(path, LIMIT, scanner(CountingEngine()))
    assert caught.value.reason.startswith(reason)


def test_an_image_file_without_a_scanner_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(fixture("no_text.png"))
    with pytest.raises(DocumentError, match="needs OCR"):
        read_document(path, LIMIT)


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("课后服务每天不少于2小时,结束时间不早于家长下班时间。", False),
        ("第 3 页", True),  # a page number over a scanned image
        ("\ue000\ue001\ue002\ue003\ue004\ue005\ue006\ue007\ue008\ue009\ue00a\ue00b\ue00c\ue00d\ue00e\ue00f\ue010\ue011\ue012\ue013\ue014课", True),
        ("(cid:12)(cid:40)(cid:77)(cid:3)(cid:55)(cid:91)(cid:17)" * 3, True),
        ("", True),
    ],
)
def test_a_page_is_ocred_when_its_text_is_thin_or_garbled(text: str, needs: bool) -> None:
    assert Scanner().needs_ocr(text) is needs


def test_usable_characters_skip_junk() -> None:
    assert usable_characters("课后服务 2 元\ufffd\ue000") == 6
    assert is_garbled("\ue000\ue001课") and not is_garbled("课后服务")
