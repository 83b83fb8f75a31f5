"""A SQLite cache of passage embeddings, so a rebuild only embeds text it has not seen.

Rows are keyed by sha256(model_id + "\\0" + text): another model or another text is a
miss. Writes are transactions in WAL mode, so a killed build leaves every committed
batch usable. The cache is only ever an optimisation: a damaged file is moved aside
with a warning and a fresh one started; other SQLite errors degrade to cache misses.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from bot.errors import UsageError

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    key BLOB PRIMARY KEY,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL
) WITHOUT ROWID
"""
_CHUNK = 500  # keys per SELECT, well under SQLite's variable limit
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


def cache_key(model_id: str, text: str) -> bytes:
    """The row key of one text embedded by one model."""
    return hashlib.sha256(f"{model_id}\0{text}".encode("utf-8")).digest()


def _is_corruption(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    message = str(exc).lower()
    return "malformed" in message or "not a database" in message


class EmbeddingCache:
    """model id + text → float32 vector, persisted in one SQLite file (thread-safe)."""

    def __init__(self, path: str | Path) -> None:
        if not str(path):
            raise UsageError("EmbeddingCache needs a file path, got an empty one.")
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        with self._lock:
            self._open()

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("embedding cache folder %s cannot be created (%s); embedding without a cache", self.path.parent, exc)
            return
        try:
            self._conn = self._connect()
        except sqlite3.Error as exc:
            self._recover(exc, "be opened")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(SCHEMA)
            row = conn.execute("PRAGMA quick_check").fetchone()
            if row is None or row[0] != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: quick_check says {row!r}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _move_aside(self, exc: BaseException) -> None:
        """Rename the damaged file (and its WAL/SHM companions) out of the way."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}")
        try:
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{self.path}{suffix}")
                if source.exists():
                    source.replace(Path(f"{aside}{suffix}"))
        except OSError as err:
            log.warning("embedding cache %s is damaged (%s) and cannot be moved aside: %s", self.path, exc, err)
            return
        log.warning("embedding cache %s is damaged (%s); moved it to %s and starting an empty one", self.path, exc, aside)

    def _recover(self, exc: sqlite3.Error, action: str) -> bool:
        """After an error: rebuild a corrupt file (True) or log and carry on without the cache."""
        if _is_corruption(exc):
            self._move_aside(exc)
            try:
                self._conn = self._connect()
                return True
            except sqlite3.Error as again:
                log.warning("embedding cache %s cannot be recreated (%s); embedding without it", self.path, again)
                return False
        log.warning("embedding cache %s could not %s (%s); embedding without it", self.path, action, exc)
        return False

    def get_many(self, model_id: str, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The cached vectors of those `texts` this model has embedded before (misses are absent)."""
        keys = {cache_key(model_id, t): t for t in texts}
        with self._lock:
            try:
                return self._select(keys)
            except sqlite3.Error as exc:
                self._recover(exc, "be read")
                return {}

    def _select(self, keys: dict[bytes, str]) -> dict[str, np.ndarray]:
        if self._conn is None:
            return {}
        found: dict[str, np.ndarray] = {}
        wanted = list(keys)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, dim, blob in self._conn.execute(f"SELECT key, dim, vector FROM embeddings WHERE key IN ({marks})", chunk):
                if dim > 0 and len(blob) == 4 * dim:  # a short row is a miss, not an error
                    found[keys[key]] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        return found

    def put_many(self, model_id: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store one vector per text, all in one transaction."""
        array = np.asarray(vectors)
        if array.ndim != 2 or array.shape[0] != len(texts):
            raise UsageError(f"put_many needs one vector per text: {len(texts)} texts, vectors of shape {array.shape}.")
        if array.shape[1] == 0:
            raise UsageError("put_many got vectors with 0 dimensions.")
        dim = int(array.shape[1])
        rows = [(cache_key(model_id, t), dim, np.ascontiguousarray(v, dtype="<f4").tobytes()) for t, v in zip(texts, array)]
        with self._lock:
            for _attempt in range(2):
                try:
                    self._insert(rows)
                    return
                except sqlite3.Error as exc:
                    if not self._recover(exc, "be written"):
                        return

    def _insert(self, rows: list[tuple[bytes, int, bytes]]) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("INSERT OR REPLACE INTO embeddings (key, dim, vector) VALUES (?, ?, ?)", rows)
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            raise

    def __len__(self) -> int:
        with self._lock:
            if self._conn is None:
                return 0
            try:
                return int(self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
            except sqlite3.Error as exc:
                self._recover(exc, "be counted")
                return 0

    def close(self) -> None:
        """Close the connection (the file stays)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
