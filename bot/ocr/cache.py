"""OCR results kept by file hash, so an unchanged scan is never read twice.

One JSON file per (engine, file sha256) under the cache folder (`index/cache/ocr/`),
written to a temporary name and renamed, so a killed build never leaves half an entry.
An unreadable entry counts as missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


class OcrCache:
    """page number → text for files already read, keyed by engine id and content hash."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, engine_id: str, digest: str) -> Path:
        engine = hashlib.blake2s(engine_id.encode("utf-8"), digest_size=6).hexdigest()
        return self.folder / engine / f"{digest}.json"

    def get(self, engine_id: str, digest: str) -> dict[int, str] | None:
        path = self._path(engine_id, digest)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return {int(page): str(text) for page, text in data["pages"].items()}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring the damaged OCR cache entry %s: %s", path, exc)
            return None

    def put(self, engine_id: str, digest: str, pages: dict[int, str]) -> None:
        path = self._path(engine_id, digest)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            payload = {"engine": engine_id, "sha256": digest, "pages": {str(n): text for n, text in sorted(pages.items())}}
            tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # a cache that cannot be written costs time, never the build
            log.warning("cannot write the OCR cache entry %s: %s", path, exc)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
