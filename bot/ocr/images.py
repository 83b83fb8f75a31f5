"""Bytes → bounded RGB images for OCR, refusing what is not safe to decode.

Nothing a file declares is trusted: the format must be one we allow (by content, not by
name), the pixel count is checked before a single pixel is decoded (decompression bombs,
50-megapixel photos), the file is verified, a truncated one is refused instead of half
decoded, and the decoded size must match the declared one. Every refusal is an
`ImageError` whose `kind` lets the caller pick a friendly reply.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps, ImageSequence, UnidentifiedImageError

from bot.errors import ImageError

FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF")
SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff")  # image files an admin may put in corpus/
# Pillow's own guard (a warning above this, an error above twice this), set deliberately
# rather than left at its default; our `ImageLimits.max_pixels` check runs first and is lower.
HARD_MAX_PIXELS = 120_000_000
Image.MAX_IMAGE_PIXELS = HARD_MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is an error, never half an image


@dataclass(frozen=True)
class ImageLimits:
    """What an image may be: pixels before decoding, the long side OCR sees, frames (pages) read."""

    max_pixels: int = 40_000_000
    max_side: int = 2000
    max_frames: int = 1

    def __post_init__(self) -> None:
        if not (0 < self.max_pixels <= HARD_MAX_PIXELS):
            raise ValueError(f"max_pixels must be between 1 and {HARD_MAX_PIXELS}, got {self.max_pixels}")
        if self.max_side < 64:
            raise ValueError(f"max_side must be at least 64, got {self.max_side}")
        if self.max_frames < 1:
            raise ValueError(f"max_frames must be at least 1, got {self.max_frames}")


def image_format(data: bytes) -> str | None:
    """The format Pillow recognises in `data` (one of FORMATS), or None; reads the header only."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            return img.format
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def load_images(data: bytes, limits: ImageLimits) -> list[Image.Image]:
    """The image's frames (TIFF pages; the first frame of anything else) as RGB, scaled for OCR."""
    return list(iter_images(data, limits))


def iter_images(data: bytes, limits: ImageLimits) -> Iterator[Image.Image]:
    """Like `load_images`, one frame at a time (a 100-page TIFF is never all in memory)."""
    if not data:
        raise ImageError("empty", "the file is empty")
    _verify(data, limits)
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            frames = ImageSequence.Iterator(img) if img.format == "TIFF" else iter([img])
            for n, frame in enumerate(frames):
                if n >= limits.max_frames:
                    break
                yield _decode(frame, limits)
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError("too_large", f"the image is far too large to open safely ({exc})") from exc
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise ImageError("damaged", f"the image is damaged or truncated ({type(exc).__name__}: {exc})") from exc


def _verify(data: bytes, limits: ImageLimits) -> None:
    """Open (header only), check the declared size, then let Pillow verify the file's structure."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            _check_size(img.size, limits.max_pixels)
            img.verify()
    except ImageError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageError("not_image", "this is not an image we can read (JPEG, PNG, WebP, TIFF, BMP or GIF)") from exc
    except Image.DecompressionBombError as exc:
        raise ImageError("too_large", f"the image is far too large to open safely ({exc})") from exc
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise ImageError("damaged", f"the image is damaged or truncated ({type(exc).__name__}: {exc})") from exc


def _check_size(size: tuple[int, int], max_pixels: int | None) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError("damaged", f"the image declares an impossible size {width}×{height}")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageError(
            "too_large",
            f"the image is {width}×{height} ({width * height / 1e6:.0f} megapixels), above the {max_pixels / 1e6:g}-megapixel limit",
        )


def _decode(frame: Image.Image, limits: ImageLimits) -> Image.Image:
    """One frame: size checked before decoding, JPEG decoded at a reduced scale when that is enough."""
    declared = frame.size
    _check_size(declared, limits.max_pixels)
    if frame.format == "JPEG":
        frame.draft("RGB", (limits.max_side, limits.max_side))  # DCT scaling: a 50 MP photo decodes at 1/4
    frame.load()
    width, height = frame.size
    if width > declared[0] or height > declared[1]:
        raise ImageError("damaged", f"the image decoded to {width}×{height}, larger than the {declared[0]}×{declared[1]} it declares")
    image = ImageOps.exif_transpose(frame) if frame.format == "JPEG" else frame
    return scale_for_ocr(_rgb(image), limits.max_side)


def _rgb(image: Image.Image) -> Image.Image:
    """RGB; transparent parts (stickers, PNG screenshots with alpha) become white, as on paper."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def scale_for_ocr(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink so OCR costs at most about a `max_side`² image: the long side at most `max_side`,
    except tall screenshots, which keep their width up to the same pixel budget (a 1080×2400
    phone screenshot is read at full size; shrinking it would make its text unreadable)."""
    width, height = image.size
    budget = max_side * max_side
    long_side = max(width, height)
    if long_side / min(width, height) >= 2.0:
        scale = min(1.0, math.sqrt(budget / (width * height)), 2.5 * max_side / long_side)
    else:
        scale = min(1.0, max_side / long_side)
    if scale >= 1.0:
        return image
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
