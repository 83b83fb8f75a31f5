"""A report added through a front end (sent to the bot, or uploaded in the web console).

The file is checked before anything is written: its type (txt, md, html, docx, pdf, or a
scan as png/jpg/webp/tiff, by name and then by content), its size (`[corpus] max_file_mb`)
and whether `bot.corpus.readers.read_document` can read it, on a temporary copy (a scan is
read by OCR there, and its text cached by the file's hash, so the next build does not read
it again). It is then saved
directly in the corpus folder under a sanitised name (no folders, no hidden names); an
existing file is never replaced: the new one gets a numbered name.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bot.config import CorpusSettings
from bot.corpus.files import fsync_dir
from bot.corpus.readers import MB, SUPPORTED, read_document
from bot.corpus.scans import Scanner
from bot.errors import DocumentError

MAX_STEM = 80  # characters of the saved file name before its extension
_UNSAFE = re.compile(r"[^\w\-.()（）《》【】]+")  # \w is Unicode-aware: letters (CJK too), digits, _


@dataclass(frozen=True)
class Saved:
    name: str  # the file name in the corpus folder
    characters: int  # text characters read from it
    requested: str  # the sanitised name asked for (differs from `name` when that was taken)
    duplicate_of: str | None = None  # an existing file with the same bytes (nothing written)
    ocr_pages: int = 0  # pages read by OCR (a scan)


def safe_file_name(name: str | None) -> str | None:
    """A name that can only create a file directly in the corpus folder: the last path
    component, no control or format characters, no leading dot, a supported extension.
    None when no usable name is left (e.g. an unsupported type)."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix.strip().lower()}"
    if not dot or suffix not in SUPPORTED:
        return None
    stem = re.sub(r"\.{2,}", ".", _UNSAFE.sub("_", stem)).strip("._- ")[:MAX_STEM].rstrip("._- ")
    if stem.lower() == "readme":  # the corpus reader skips a folder's README
        stem += "_report"
    return f"{stem or 'report'}{suffix}"


def save_report(corpus: CorpusSettings, name: str, data: bytes, max_bytes: int, scanner: Scanner | None = None) -> Saved:
    """Validate `data` as the document `name` and store it in the corpus folder (never
    replacing a file). Raises DocumentError saying why a file is refused. Scans are read
    with `scanner` (OCR)."""
    if len(data) > max_bytes:
        raise DocumentError(name, f"file is larger than the {max_bytes / MB:.3g} MB limit (corpus.max_file_mb)")
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        probe = Path(tmp) / f"upload{Path(name).suffix}"
        probe.write_bytes(data)
        try:
            text = read_document(probe, max_bytes, scanner)
        except DocumentError as exc:
            raise DocumentError(name, exc.reason) from None
    ocr_pages = sum(record.ocr_pages for record in scanner.records) if scanner is not None else 0
    folder = corpus.dir.resolve()
    digest = hashlib.sha256(data).digest()
    for existing in sorted(folder.iterdir()):
        if existing.is_file() and existing.stat().st_size == len(data) and hashlib.sha256(existing.read_bytes()).digest() == digest:
            return Saved(existing.name, len(text), name, duplicate_of=existing.name, ocr_pages=ocr_pages)
    staging = folder / f".upload-{secrets.token_hex(6)}.tmp"  # hidden: never read as a report
    with open(staging, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    try:
        stem, suffix = Path(name).stem, Path(name).suffix
        for n in range(1, 1000):
            candidate = name if n == 1 else f"{stem}-{n}{suffix}"
            target = folder / candidate
            if target.resolve().parent != folder:  # defence in depth: safe_file_name already ensures it
                raise DocumentError(name, "the file name points outside the corpus folder")
            try:
                os.link(staging, target)  # atomic, and fails instead of replacing an existing file
            except FileExistsError:
                continue
            fsync_dir(folder)
            return Saved(candidate, len(text), name, ocr_pages=ocr_pages)
        raise DocumentError(name, "too many files of that name in the corpus folder")
    finally:
        staging.unlink(missing_ok=True)
