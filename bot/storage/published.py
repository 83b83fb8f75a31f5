"""Index builds and corpus files shared through PostgreSQL (the data side of `bot.cluster`).

* `index_builds` + `index_build_files`: a finished build folder, file by file in parts of
  at most `PART_BYTES`, written in one transaction that also sends NOTIFY on `CHANNEL`, so
  an instance that hears of a build can always read all of it.
* `corpus_files`: the shared corpus: each file's latest bytes and sha256 (or a deletion),
  pushed by the machine where an admin added, changed or removed it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.storage.db import Database

CHANNEL = "shuangjian_index"
PART_BYTES = 8 << 20
KEEP_BUILDS = 3  # published builds kept in the database (the newest first)

_ADD_BUILD = "INSERT INTO index_builds (build_id, embedder, published, host, corpus, bytes) VALUES (?, ?, ?, ?, ?, ?)"
_DROP_BUILD = "DELETE FROM index_builds WHERE build_id = ?"
_ADD_PART = "INSERT INTO index_build_files (build_id, path, part, data) VALUES (?, ?, ?, ?)"
_NOTIFY = "SELECT pg_notify('shuangjian_index', ?)"
_PRUNE = "DELETE FROM index_builds WHERE seq NOT IN (SELECT seq FROM index_builds ORDER BY seq DESC LIMIT ?)"
_LATEST = "SELECT build_id, embedder, published, host, corpus, bytes FROM index_builds ORDER BY seq DESC LIMIT 1"
_BUILD = "SELECT build_id, embedder, published, host, corpus, bytes FROM index_builds WHERE build_id = ?"
_PATHS = "SELECT DISTINCT path FROM index_build_files WHERE build_id = ? ORDER BY path"
_PARTS = "SELECT data FROM index_build_files WHERE build_id = ? AND path = ? ORDER BY part"
_CORPUS = "SELECT path, sha256, deleted FROM corpus_files"
_CORPUS_DATA = "SELECT data FROM corpus_files WHERE path = ? AND sha256 = ? AND NOT deleted"
_PUT_FILE = (
    "INSERT INTO corpus_files (path, sha256, data, deleted, updated, host) VALUES (?, ?, ?, FALSE, ?, ?)"
    " ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, data = excluded.data, deleted = FALSE,"
    " updated = excluded.updated, host = excluded.host"
)
_DELETE_FILE = "UPDATE corpus_files SET deleted = TRUE, data = NULL, updated = ?, host = ? WHERE path = ? AND sha256 = ?"


@dataclass(frozen=True)
class PublishedBuild:
    build_id: str
    embedder: str
    published: float
    host: str
    corpus: str  # JSON {relative path: sha256} of the corpus files it was built from
    bytes: int


@dataclass(frozen=True)
class SharedFile:
    path: str
    sha256: str
    deleted: bool


def publish_build(db: Database, build: PublishedBuild, files: Iterable[tuple[str, bytes]]) -> None:
    """Store a whole build folder and announce it (one transaction: all or nothing)."""
    with db.transaction() as cur:
        cur.execute(_DROP_BUILD, (build.build_id,))  # published again (a rollback): it becomes the newest
        cur.execute(_ADD_BUILD, (build.build_id, build.embedder, build.published, build.host, build.corpus, build.bytes))
        for path, data in files:
            for part, start in enumerate(range(0, max(len(data), 1), PART_BYTES)):
                cur.execute(_ADD_PART, (build.build_id, path, part, data[start : start + PART_BYTES]))
        cur.execute(_PRUNE, (KEEP_BUILDS,))
        cur.execute(_NOTIFY, (build.build_id,))


def latest_build(db: Database) -> PublishedBuild | None:
    with db.transaction() as cur:
        row = cur.execute(_LATEST).fetchone()
    return PublishedBuild(*row) if row else None


def published_build(db: Database, build_id: str) -> PublishedBuild | None:
    with db.transaction() as cur:
        row = cur.execute(_BUILD, (build_id,)).fetchone()
    return PublishedBuild(*row) if row else None


def build_files(db: Database, build_id: str) -> Iterator[tuple[str, bytes]]:
    """Each file of a published build, whole (its parts joined)."""
    with db.transaction() as cur:
        paths = [p for (p,) in cur.execute(_PATHS, (build_id,)).fetchall()]
    for path in paths:
        with db.transaction() as cur:
            parts = cur.execute(_PARTS, (build_id, path)).fetchall()
        yield path, b"".join(bytes(data) for (data,) in parts)


def shared_corpus(db: Database) -> dict[str, SharedFile]:
    with db.transaction() as cur:
        return {path: SharedFile(path, sha, bool(deleted)) for path, sha, deleted in cur.execute(_CORPUS).fetchall()}


def corpus_file(db: Database, path: str, sha256: str) -> bytes | None:
    with db.transaction() as cur:
        row = cur.execute(_CORPUS_DATA, (path, sha256)).fetchone()
    return bytes(row[0]) if row else None


def put_corpus_file(db: Database, path: str, sha256: str, data: bytes, host: str) -> None:
    with db.transaction() as cur:
        cur.execute(_PUT_FILE, (path, sha256, data, time.time(), host))


def delete_corpus_file(db: Database, path: str, sha256: str, host: str) -> bool:
    """Mark a file deleted, unless someone changed it since we saw `sha256`."""
    with db.transaction() as cur:
        return cur.execute(_DELETE_FILE, (time.time(), host, path, sha256)).rowcount == 1
