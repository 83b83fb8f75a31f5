"""The OCR engine behind one small interface: an RGB image in, lines of text with confidences out.

`OcrEngine` is what the rest of the bot uses; `RapidOcrEngine` implements it with
rapidocr-onnxruntime (PP-OCRv4 Chinese detection + recognition models inside the wheel,
onnxruntime on CPU, nothing downloaded). Another engine only has to provide `engine_id`
and `read(image) -> OcrPage`.

onnxruntime's threads are capped through `SessionOptions` (`intra_op_num_threads`) and the
cap is read back from every session after loading: rapidocr passes unknown keywords on
silently, so a misspelt or out-of-range value would otherwise leave OCR on every core.
One engine reads one image at a time (a lock), so the cap holds however many callers wait.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from functools import lru_cache
from importlib import metadata
from typing import Any, Protocol

import numpy as np
from PIL import Image

from bot.errors import OcrError
from bot.ocr.layout import OcrLine, OcrPage

log = logging.getLogger(__name__)

# A page whose lines average below this confidence, or whose text boxes are mostly taller
# than wide, is tried turned by 90°, 270° and 180° as well; the best reading wins.
ROTATE_BELOW = 0.80
MIN_SCORE = 0.5  # lines recognised with less confidence are dropped (rapidocr's text_score)
# The text detector looks at the image scaled to this long side (rapidocr's default runs it at
# full size: a 1080×2400 screenshot cost 3× as much for the same text). Recognition still
# reads each line from the full image, so only very small print suffers.
DETECT_SIDE = 1280
# rapidocr scales an image whose short side is under 30 px up to 30 px, then letterboxes a wide
# one to a quarter of its width: a 5000×1 strip (a 206-byte PNG declaring 40000×3) became a
# 150000×37500 array, 17 GB and half a minute. Such images are padded with white instead.
MIN_SIDE = 32


class OcrEngine(Protocol):
    """What the bot needs from an OCR engine."""

    engine_id: str  # names the engine, its models and settings: part of cache keys

    def read(self, image: Image.Image) -> OcrPage: ...


class RapidOcrEngine:
    """PP-OCRv4 via rapidocr-onnxruntime, with onnxruntime's threads capped and verified."""

    def __init__(self, threads: int = 1, max_side: int = 2000, detect_side: int = DETECT_SIDE, rotations: bool = True) -> None:
        if threads < 1:
            raise OcrError(f"OCR threads must be at least 1, got {threads}.")
        if detect_side < 320:
            raise OcrError(f"the text detector's image side must be at least 320 pixels, got {detect_side}.")
        self.threads = min(threads, os.cpu_count() or 1)  # rapidocr ignores a value above the core count
        self.rotations = rotations
        try:
            import cv2
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # opencv needs libGL on minimal systems
            raise OcrError(
                f"the OCR engine cannot be loaded ({exc}).",
                hint="Install it with `pip install rapidocr-onnxruntime`; on a minimal Debian add `apt-get install -y libgl1 libglib2.0-0`.",
            ) from exc
        cv2.setNumThreads(self.threads)
        try:
            self._ocr = RapidOCR(
                intra_op_num_threads=self.threads,
                inter_op_num_threads=1,
                max_side_len=int(max_side * 2.5),  # images arrive already scaled (bot.ocr.images)
                text_score=MIN_SCORE,
            )
        except Exception as exc:  # model files missing or damaged, onnxruntime errors
            raise OcrError(f"the OCR engine failed to load its models ({type(exc).__name__}: {exc}).", hint="Reinstall rapidocr-onnxruntime.") from exc
        caps = session_thread_caps(self._ocr)
        if not caps or any(cap != (self.threads, 1) for cap in caps):
            raise OcrError(f"onnxruntime did not take the OCR thread cap of {self.threads}: sessions report {caps}.")
        _limit_detection(self._ocr, detect_side)
        self.engine_id = rapidocr_engine_id(max_side, detect_side)
        self._lock = threading.Lock()

    def read(self, image: Image.Image) -> OcrPage:
        """The lines of one image (best of four rotations when the first reading looks turned)."""
        started = time.perf_counter()
        with self._lock:
            page = self._read(image, 0)
            if self.rotations and page.lines and (page.confidence < ROTATE_BELOW or page.mostly_vertical):
                for angle in (90, 270, 180):
                    turned = self._read(image, angle)
                    if turned.weight > page.weight:
                        page = turned
        return page.timed(time.perf_counter() - started)

    def _read(self, image: Image.Image, angle: int) -> OcrPage:
        turned = image.rotate(angle, expand=True) if angle else image
        pixels = np.asarray(_padded(turned.convert("RGB")))[:, :, ::-1]  # rapidocr expects BGR, like OpenCV
        try:
            result, _ = self._ocr(np.ascontiguousarray(pixels))
        except Exception as exc:  # onnxruntime or OpenCV failing on an odd image
            raise OcrError(f"OCR failed on a {turned.width}×{turned.height} image ({type(exc).__name__}: {exc}).") from exc
        lines = tuple(
            OcrLine(text=str(text).strip(), score=float(score), box=tuple((float(x), float(y)) for x, y in box))
            for box, text, score in (result or [])
            if any(ch.isalnum() for ch in str(text))  # a lone "?" or "—" read off a drawing carries nothing
        )
        return OcrPage(lines=lines, width=turned.width, height=turned.height, rotation=angle)


def _padded(image: Image.Image) -> Image.Image:
    """The image on a white canvas at least MIN_SIDE on each side (top left, so boxes keep their place)."""
    width, height = image.size
    if min(width, height) >= MIN_SIDE:
        return image
    canvas = Image.new("RGB", (max(width, MIN_SIDE), max(height, MIN_SIDE)), (255, 255, 255))
    canvas.paste(image, (0, 0))
    return canvas


def rapidocr_engine_id(max_side: int, detect_side: int = DETECT_SIDE) -> str:
    """Names the engine version, its models and the image scales: part of the OCR cache key."""
    return f"rapidocr-onnxruntime-{metadata.version('rapidocr-onnxruntime')}/PP-OCRv4/side{max_side}/det{detect_side}"


def _limit_detection(ocr: Any, side: int) -> None:
    """Make rapidocr's detector scale every image to `side` on its long side (it has no setting for it)."""
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    detector = getattr(ocr, "text_det", None)
    if detector is None or not hasattr(detector, "get_preprocess"):
        raise OcrError("this rapidocr-onnxruntime has no text detector where bot/ocr/engine.py expects one.", hint="Install the version pyproject.toml names.")
    detector.get_preprocess = lambda longest: DetPreProcess(side, "max", detector.mean, detector.std)


def session_thread_caps(ocr: Any) -> list[tuple[int, int]]:
    """(intra, inter) op threads that each onnxruntime session of a RapidOCR really uses."""
    sessions = [
        getattr(getattr(getattr(ocr, "text_det", None), "infer", None), "session", None),
        getattr(getattr(getattr(ocr, "text_cls", None), "infer", None), "session", None),
        getattr(getattr(getattr(ocr, "text_rec", None), "session", None), "session", None),
    ]
    caps = []
    for session in sessions:
        if session is None:
            return []
        options = session.get_session_options()
        caps.append((options.intra_op_num_threads, options.inter_op_num_threads))
    return caps


_engines_lock = threading.Lock()


@lru_cache(maxsize=4)
def _shared(threads: int, max_side: int, detect_side: int) -> RapidOcrEngine:
    return RapidOcrEngine(threads=threads, max_side=max_side, detect_side=detect_side)


def shared_engine(threads: int = 1, max_side: int = 2000, detect_side: int = DETECT_SIDE) -> RapidOcrEngine:
    """One engine per process and setting (the models load once, about half a second)."""
    with _engines_lock:
        return _shared(threads, max_side, detect_side)

