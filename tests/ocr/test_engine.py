"""bot.ocr.engine with the real rapidocr-onnxruntime models: the thread cap really applies,
and the committed fixtures are read (a few small images: OCR is CPU heavy)."""

from __future__ import annotations

import pytest
from PIL import Image

from bot.ocr import read_image
from bot.ocr.accuracy import character_accuracy
from bot.ocr.engine import RapidOcrEngine, session_thread_caps, shared_engine
from bot.ocr.images import ImageLimits, load_images
from tests.ocr.helpers import fixture, truth


@pytest.fixture(scope="module")
def engine() -> RapidOcrEngine:
    return shared_engine(1, 2000)


def test_the_thread_cap_reaches_every_onnxruntime_session(engine: RapidOcrEngine) -> None:
    assert session_thread_caps(engine._ocr) == [(1, 1), (1, 1), (1, 1)]


def test_the_detector_looks_at_a_scaled_image(engine: RapidOcrEngine) -> None:
    """rapidocr would detect text on the full 1080×2400 screenshot; ours scales it to 1280."""
    assert engine._ocr.text_det.get_preprocess(2400).limit_side_len == 1280
    assert engine._ocr.text_det.get_preprocess(2400).limit_type == "max"


def test_the_check_sees_a_cap_that_was_silently_dropped() -> None:
    """rapidocr swallows unknown keywords: a misspelt cap leaves onnxruntime on its default
    (0 = every core). The check must see that, or it would pass whatever happened."""
    from rapidocr_onnxruntime import RapidOCR

    careless = RapidOCR(intra_op_threads=1)  # the wrong keyword, accepted without a word
    assert session_thread_caps(careless) == [(0, 0), (0, 0), (0, 0)]


def test_a_phone_screenshot_is_read(engine: RapidOcrEngine) -> None:
    [page] = read_image(fixture("fee_screenshot.png"), engine, ImageLimits())
    assert character_accuracy(page.text, truth("fee_screenshot.png")) >= 0.95
    assert "午托每月三百五十元" in page.text and page.rotation == 0


def test_a_photographed_notice_is_read(engine: RapidOcrEngine) -> None:
    [page] = read_image(fixture("fee_notice_photo.jpg"), engine, ImageLimits())
    assert character_accuracy(page.text, truth("fee_notice_photo.jpg")) >= 0.90
    assert "每课时3元" in page.text


def test_another_photographed_notice_is_read(engine: RapidOcrEngine) -> None:
    [page] = read_image(fixture("fee_notice_term.jpg"), engine, ImageLimits())
    assert character_accuracy(page.text, truth("fee_notice_term.jpg")) >= 0.90
    assert "每学期六百元" in page.text and "每天十元" in page.text and "每学期50元" in page.text


def test_a_photo_taken_sideways_is_turned_back(engine: RapidOcrEngine) -> None:
    [upright] = load_images(fixture("training_ad.jpg"), ImageLimits())
    page = engine.read(upright.rotate(90, expand=True))
    assert page.rotation in (90, 270)
    assert character_accuracy(page.text, truth("training_ad.jpg")) >= 0.90


def test_an_image_without_text_reads_nothing(engine: RapidOcrEngine) -> None:
    [page] = read_image(fixture("no_text.png"), engine, ImageLimits())
    assert page.lines == () and page.text == ""
    assert engine.read(Image.new("RGB", (64, 64), "white")).lines == ()


def test_a_thin_strip_is_padded_not_blown_up(engine: RapidOcrEngine) -> None:
    """A 206-byte PNG declaring 40000×3 pixels arrives as a 5000×1 strip; rapidocr on its own
    scales it to 30 px high and letterboxes it into a 150000×37500 array (17 GB, half a minute)."""
    import time

    from tests.ocr.helpers import encoded

    calls: list[tuple[int, ...]] = []
    real = engine._ocr

    def spy(pixels, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(pixels.shape)
        return real(pixels, *args, **kwargs)

    strip = encoded(Image.new("L", (40_000, 3), 255), "PNG")
    started = time.perf_counter()
    engine._ocr = spy
    try:
        [page] = read_image(strip, engine, ImageLimits())
        assert engine.read(Image.new("RGB", (5000, 2), "white")).lines == ()
    finally:
        engine._ocr = real
    assert page.lines == () and time.perf_counter() - started < 10
    assert calls and all(min(shape[:2]) >= 32 for shape in calls)


def test_a_short_line_of_text_is_still_read(engine: RapidOcrEngine) -> None:
    from pathlib import Path

    from PIL import ImageDraw, ImageFont

    font = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # the fixtures' font (make_fixtures.py)
    if not font.exists():
        pytest.skip("the CJK font of the fixtures is not installed")
    image = Image.new("RGB", (260, 20), "white")
    ImageDraw.Draw(image).text((4, 1), "每课时3元收取", font=ImageFont.truetype(str(font), 16), fill="black")
    assert [line.text for line in engine.read(image).lines] == ["每课时3元收取"]
