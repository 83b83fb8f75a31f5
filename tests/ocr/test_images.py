"""bot.ocr.images: what may be decoded, and how images are scaled for OCR (no OCR runs here)."""

from __future__ import annotations

import pytest
from PIL import Image

from bot.errors import ImageError
from bot.ocr.images import ImageLimits, image_format, load_images, scale_for_ocr
from tests.ocr.helpers import encoded, fixture, png_declaring

LIMITS = ImageLimits(max_pixels=40_000_000, max_side=2000)


def kind_of(data: bytes, limits: ImageLimits = LIMITS) -> str:
    with pytest.raises(ImageError) as caught:
        load_images(data, limits)
    return caught.value.kind


def test_a_screenshot_is_read_at_full_size_in_rgb() -> None:
    [image] = load_images(fixture("fee_screenshot.png"), LIMITS)
    assert image.mode == "RGB" and image.size == (1080, 2400)


def test_a_photo_is_decoded() -> None:
    [image] = load_images(fixture("fee_notice_photo.jpg"), LIMITS)
    assert image.mode == "RGB" and image.size == (1200, 1600)


@pytest.mark.parametrize(("width", "height"), [(20_000, 20_000), (8_660, 5_800), (1, 100_000_000)])
def test_a_huge_declared_size_is_refused_before_decoding(width: int, height: int) -> None:
    """Decompression bombs and 50-megapixel photos: the header alone decides, nothing is decoded."""
    data = png_declaring(width, height)
    assert len(data) < 200
    with pytest.raises(ImageError) as caught:
        load_images(data, LIMITS)
    assert caught.value.kind == "too_large"
    assert f"{width}×{height}" in caught.value.reason or "far too large" in caught.value.reason


def test_the_limit_is_the_configured_one() -> None:
    data = encoded(Image.new("RGB", (1000, 1000), "white"), "PNG")
    assert load_images(data, LIMITS)
    assert kind_of(data, ImageLimits(max_pixels=999_999)) == "too_large"


def test_a_truncated_jpeg_is_refused_not_half_decoded() -> None:
    data = fixture("fee_notice_photo.jpg")
    assert kind_of(data[: len(data) // 2]) == "damaged"


def test_a_truncated_png_is_refused() -> None:
    data = fixture("no_text.png")
    assert kind_of(data[: len(data) - 40]) == "damaged"


@pytest.mark.parametrize(
    ("data", "kind"),
    [(b"", "empty"), ("家长您好,这不是图片".encode(), "not_image"), (b"%PDF-1.4\n1 0 obj\n", "not_image"), (b"GIF89a" + b"\x00" * 5, "not_image")],
)
def test_what_is_not_an_image_is_named(data: bytes, kind: str) -> None:
    assert kind_of(data) == kind


def test_format_is_read_from_the_content_not_the_name() -> None:
    assert image_format(fixture("fee_notice_photo.jpg")) == "JPEG"
    assert image_format(fixture("no_text.png")) == "PNG"
    assert image_format(b"not an image") is None


def test_a_large_jpeg_is_decoded_at_a_reduced_scale() -> None:
    data = encoded(Image.new("RGB", (6000, 4500), (240, 240, 240)), "JPEG", quality=50)
    [image] = load_images(data, LIMITS)
    assert max(image.size) == 2000 and image.size[0] * 3 == image.size[1] * 4


def test_transparent_stickers_and_screenshots_get_a_white_background() -> None:
    clear = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    for fmt in ("PNG", "WEBP"):
        [image] = load_images(encoded(clear, fmt), LIMITS)
        assert image.getpixel((50, 50)) == (255, 255, 255)


def test_tiff_pages_are_frames_up_to_the_limit() -> None:
    pages = [Image.new("RGB", (200, 300), colour) for colour in ("white", "grey", "black")]
    data = encoded(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    assert len(load_images(data, ImageLimits(max_frames=10))) == 3
    assert len(load_images(data, ImageLimits(max_frames=2))) == 2
    assert len(load_images(data, LIMITS)) == 1


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((4000, 3000), (2000, 1500)),  # a phone photo: long side capped
        ((1080, 2400), (1080, 2400)),  # a phone screenshot: read at full size
        ((1500, 1000), (1500, 1000)),  # small enough already
    ],
)
def test_scale_for_ocr(size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert scale_for_ocr(Image.new("RGB", size), 2000).size == expected


def test_a_long_screenshot_keeps_its_width_within_the_pixel_budget() -> None:
    width, height = scale_for_ocr(Image.new("RGB", (1080, 6000)), 2000).size
    assert width * height <= 2000 * 2000 and width >= 700
