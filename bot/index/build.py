"""corpus → passages → embeddings (cached) → a new build folder → atomic swap of CURRENT.

One builder at a time (flock on index/.build.lock). Everything is written into
builds/<id>.partial/, fsynced and renamed to builds/<id>/ before CURRENT is replaced,
so a build that fails or is killed leaves the previous index serving, byte for byte.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from bot.config import Config, IndexSettings
from bot.corpus.loader import ignored_files, ignored_reason, load_passages
from bot.corpus.scans import Scanner, ScanRecord
from bot.corpus.terms import load_terms
from bot.errors import BotError, BuildBusyError, BuildError, CorpusError, DocumentError, EmbedderError, IndexCorruptError
from bot.index.cache import EmbeddingCache
from bot.index.embedder import Embedder, make_embedder, model_id_for, normalize_rows
from bot.index.keyword import KeywordIndex
from bot.index.store import (
    BUILDS,
    CACHE_FILE,
    CURRENT,
    FORMAT_VERSION,
    KEYWORD,
    LOCK_FILE,
    MANIFEST,
    OCR_CACHE,
    PARTIAL,
    PASSAGES,
    VECTORS,
    corpus_fingerprint,
    file_sha256,
    fsync_dir,
    load_build,
    read_current,
    set_current,
)
from bot.index.vectors import build_vector_index
from bot.ocr.cache import OcrCache
from bot.records import Passage
from bot.text import Tokenizer

Progress = bool | Callable[[int, int], None]


@dataclass(frozen=True)
class BuildReport:
    """What one build did; `embedded` + `reused` count distinct passage texts."""

    build_id: str
    path: Path
    documents: int
    passages: int
    embedded: int
    reused: int
    seconds: float
    skipped: tuple[DocumentError, ...] = ()
    ignored: tuple[Path, ...] = ()  # corpus files of a type the readers do not handle
    scanned: tuple[ScanRecord, ...] = ()  # files (partly) read by OCR

    def problems(self) -> list[str]:
        """One line per file left out of the build, for the summary an admin reads."""
        return [f"skipped {problem}" for problem in self.skipped] + [ignored_reason(path) for path in self.ignored]

    def scans(self) -> list[str]:
        """One line per file read by OCR: which, how many pages, whether the OCR cache had them."""
        return [record.describe() for record in self.scanned]


def build_index(config: Config, *, embedder: Embedder | None = None, progress: Progress = True) -> BuildReport:
    """Build a new index from the corpus and make it the current one."""
    started = time.perf_counter()
    index_dir = config.index.dir
    with build_lock(index_dir):
        remove_leftovers(index_dir)
        fingerprint = corpus_fingerprint(config.corpus)  # before reading: a change during the build shows as stale
        scanner = Scanner(config.ocr, OcrCache(index_dir / OCR_CACHE))
        passages, skipped = load_passages(config.corpus, scanner)
        ignored = tuple(ignored_files(config.corpus))
        if not passages:
            raise CorpusError(f"the corpus in {config.corpus.dir} yields no passages to index.", hint="Add a readable report (txt, md, html, docx, pdf) and try again.")
        dictionary = load_terms(config.corpus.terms).dictionary
        tokenizer = Tokenizer(dictionary)
        tokens = [tokenizer.tokens(p.search_text) for p in passages]
        model_id = embedder.model_id if embedder is not None else model_id_for(config.embedder)

        def get_embedder() -> Embedder:
            return embedder if embedder is not None else make_embedder(config.embedder)

        with EmbeddingCache(index_dir / CACHE_FILE) as cache:
            texts = [p.embed_text for p in passages]
            found, embedded = embed_texts(texts, model_id, get_embedder, cache, config.embedder.batch_size, progress)
        vectors = np.stack([found[t] for t in texts])
        build_id = new_build_id()
        builds = index_dir / BUILDS
        partial = builds / f"{build_id}{PARTIAL}"
        try:
            write_build(
                partial, build_id=build_id, passages=passages, tokens=tokens, vectors=vectors, embedder=model_id,
                corpus_fingerprint=fingerprint, corpus_dir=config.corpus.dir, dictionary=tokenizer.words, skipped=skipped,
                scanned=scanner.records,
                vector_settings=config.index,
            )
            os.rename(partial, builds / build_id)
            fsync_dir(builds)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise BuildError(f"cannot write the new index into {partial}: {exc}.", hint="The previous index is still serving.") from exc
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        try:
            load_build(builds / build_id, config.index)  # what was written must load before it serves
        except IndexCorruptError:
            shutil.rmtree(builds / build_id, ignore_errors=True)
            raise
        set_current(index_dir, build_id)
        prune_builds(index_dir, config.index.keep_previous)
    unique = len(found)
    return BuildReport(
        build_id=build_id,
        path=builds / build_id,
        documents=len({p.doc_id for p in passages if p.kind == "report"}),
        passages=len(passages),
        embedded=embedded,
        reused=unique - embedded,
        seconds=time.perf_counter() - started,
        skipped=tuple(skipped),
        ignored=ignored,
        scanned=tuple(scanner.records),
    )


def embed_texts(
    texts: Sequence[str],
    model_id: str,
    get_embedder: Callable[[], Embedder],
    cache: EmbeddingCache,
    batch_size: int,
    progress: Progress = False,
) -> tuple[dict[str, np.ndarray], int]:
    """Vectors of every distinct text and how many were embedded now; only cache misses are embedded."""
    # The model is loaded only when something is missing; each batch is committed to the
    # cache at once, so a killed build resumes where it stopped. A callable `progress`
    # gets (done, total) only when there is work (total > 0).
    unique = list(dict.fromkeys(texts))
    found = cache.get_many(model_id, unique)
    missing = [t for t in unique if t not in found]
    if not missing:
        _check_dims(found.values(), model_id)
        return found, 0
    report, close = _progress(progress, len(missing))
    try:
        model = get_embedder()
        done = 0
        report(0, len(missing))
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            try:
                vectors = model.encode_document(batch)
            except BotError:
                raise
            except Exception as exc:
                raise BuildError(
                    f"the index build failed while embedding passages ({type(exc).__name__}: {exc}).",
                    hint="The previous index is still serving; fix the embedder and rebuild.",
                ) from exc
            vectors = _checked(vectors, len(batch), model.dim, model_id)
            cache.put_many(model_id, batch, vectors)
            found.update(zip(batch, vectors))
            done += len(batch)
            report(done, len(missing))
    finally:
        close()
    _check_dims(found.values(), model_id)
    return found, len(missing)


def _checked(vectors: Any, count: int, dim: int, model_id: str) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.shape != (count, dim) or not np.isfinite(array).all():
        raise EmbedderError(f"embedder {model_id} returned vectors of shape {array.shape} (or non-finite values) for {count} texts; expected ({count}, {dim}).")
    return normalize_rows(array, dim)


def _check_dims(vectors: Any, model_id: str) -> None:
    dims = {int(v.shape[0]) for v in vectors}
    if len(dims) > 1:
        raise EmbedderError(f"embedder {model_id} produced vectors of different sizes {sorted(dims)}.", hint="Delete index/cache/ and rebuild.")


def _progress(progress: Progress, total: int) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    if callable(progress):
        return progress, lambda: None
    if not progress:
        return (lambda done, total: None), lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc="embedding passages", unit="passage", file=sys.stderr)

    def update(done: int, total: int) -> None:
        bar.update(done - bar.n)

    return update, bar.close


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold index/.build.lock for the duration; another holder means BuildBusyError."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildBusyError("another index build is running.", hint=f"Wait for it to finish (lock file {path}).") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock; the kernel does the same for a killed process


def new_build_id(now: datetime | None = None) -> str:
    """A sortable, unique build folder name, e.g. 20261125-074455-3f9a2c."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%d-%H%M%S}-{os.urandom(3).hex()}"


def write_build(
    folder: Path,
    *,
    build_id: str,
    passages: Sequence[Passage],
    tokens: Sequence[list[str]],
    vectors: np.ndarray,
    embedder: str,
    corpus_fingerprint: str,
    corpus_dir: Path,
    dictionary: Sequence[str] = (),
    skipped: Sequence[DocumentError] = (),
    scanned: Sequence[ScanRecord] = (),
    vector_settings: IndexSettings | None = None,
) -> dict[str, Any]:
    """Write a complete build into the new `folder` (manifest last, everything fsynced); returns the manifest.

    `vector_settings` choose the FAISS index (exact up to `exact_limit` passages, HNSW/IVF
    beyond); without them the index is exact."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or not (len(passages) == len(tokens) == vectors.shape[0]):
        raise BuildError(f"a build needs one token list and one vector per passage: {len(passages)} passages, {len(tokens)} token lists, vectors {vectors.shape}.")
    ids = np.array([p.id for p in passages], dtype=np.int64)
    if len(set(ids.tolist())) != len(ids):
        raise BuildError("two passages share one id.", hint="The corpus splitter must give every passage its own id.")
    folder.mkdir(parents=True)
    index, vector_index = build_vector_index(vectors, ids, vector_settings or IndexSettings(dir=folder, exact_limit=len(ids)))
    faiss.write_index(index, str(folder / VECTORS))
    del index
    with open(folder / PASSAGES, "w", encoding="utf-8") as out:
        for passage, words in zip(passages, tokens):
            out.write(json.dumps({**asdict(passage), "tokens": list(words)}, ensure_ascii=False) + "\n")
    KeywordIndex.build(ids.tolist(), [list(t) for t in tokens]).save(folder / KEYWORD)
    files = {
        path.relative_to(folder).as_posix(): {"sha256": file_sha256(path), "size": path.stat().st_size}
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "build_id": build_id,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "built_ns": time.time_ns(),  # orders two builds made within one second
        "embedder": embedder,
        "dim": int(vectors.shape[1]),
        "corpus_fingerprint": corpus_fingerprint,
        "corpus_dir": str(corpus_dir),
        "documents": len({p.doc_id for p in passages if p.kind == "report"}),
        "passages": len(passages),
        "dictionary": list(dictionary),
        "vector_index": vector_index,
        "skipped": [{"path": str(e.path), "reason": str(e.reason)} for e in skipped],
        "scanned": [{"path": r.name, "pages": r.pages, "ocr_pages": r.ocr_pages} for r in scanned],
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    _fsync_tree(folder)
    return manifest


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        else:
            fsync_dir(path)
    fsync_dir(folder)


def remove_leftovers(index_dir: Path) -> None:
    """Delete `.partial` folders and CURRENT temp files of killed builds (call with the lock held)."""
    for partial in (index_dir / BUILDS).glob(f"*{PARTIAL}"):
        shutil.rmtree(partial, ignore_errors=True)
    for tmp in index_dir.glob(f"{CURRENT}.*.tmp"):
        tmp.unlink(missing_ok=True)


def prune_builds(index_dir: Path, keep_previous: int) -> list[str]:
    """Delete finished builds older than the newest `keep_previous` besides the current one."""
    current = read_current(index_dir)
    older = [d for d in (index_dir / BUILDS).iterdir() if d.is_dir() and not d.name.endswith(PARTIAL) and d.name != current]
    older.sort(key=lambda d: (d / MANIFEST).stat().st_mtime_ns if (d / MANIFEST).is_file() else 0, reverse=True)
    removed = older[keep_previous:]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return [folder.name for folder in removed]


def roll_back(index_dir: Path) -> str:
    """Point CURRENT at the build made before the current one, once it loads and verifies;
    returns its id. Holds the build lock, so it never races a build."""
    from bot.errors import UsageError
    from bot.index.store import previous_build

    with build_lock(index_dir):
        target = previous_build(index_dir)
        if target is None:
            raise UsageError(
                f"there is no earlier build in {index_dir / BUILDS} to go back to.",
                hint="[index] keep_previous sets how many earlier builds are kept (it must be at least 1).",
            )
        load_build(target.path)  # damaged builds are refused before they serve
        set_current(index_dir, target.build_id)
        return target.build_id
