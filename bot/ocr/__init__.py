"""Reading text from images: one small engine interface, safe image loading, a result cache.

Sits just above the shared modules (it imports nothing else of the bot), so both the
corpus layer (scanned reports at build time) and the Telegram layer (parents' photos)
can use it.

Entry points:
- `bot.ocr.images.load_images(data, limits)`: bytes → bounded RGB frames, or an `ImageError`.
- `bot.ocr.engine.shared_engine(threads, max_side, detect_side)`: the process's `OcrEngine` (rapidocr-onnxruntime).
- `bot.ocr.read_image(data, engine, limits)`: both together → one `OcrPage` per frame.
- `bot.ocr.cache.OcrCache`: OCR text keyed by engine and file hash (scans are read once).
"""

from __future__ import annotations

from bot.ocr.engine import OcrEngine
from bot.ocr.images import ImageLimits, iter_images
from bot.ocr.layout import OcrPage


def read_image(data: bytes, engine: OcrEngine, limits: ImageLimits) -> list[OcrPage]:
    """Every frame of an image file read by `engine` (raises ImageError or OcrError)."""
    return [engine.read(frame) for frame in iter_images(data, limits)]
