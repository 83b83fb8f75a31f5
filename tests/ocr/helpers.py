"""Images for the OCR tests: the committed fixtures (tests/data/ocr, made by make_fixtures.py)
and hostile files built on the fly (a PNG declaring a huge size, a truncated JPEG)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "ocr"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def truth(name: str) -> str:
    """The text drawn on a fixture (its .txt)."""
    return (FIXTURES / name).with_suffix(".txt").read_text(encoding="utf-8")


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height` (a decompression bomb as far as any
    reader that trusts the header is concerned); its CRCs are valid."""
    buffer = io.BytesIO()
    Image.new("1", (8, 8)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    start = data.index(b"IHDR")
    body = struct.pack(">II", width, height) + bytes(data[start + 12 : start + 17])
    data[start + 4 : start + 17] = body
    data[start + 17 : start + 21] = struct.pack(">I", zlib.crc32(b"IHDR" + body) & 0xFFFFFFFF)
    return bytes(data)


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()
