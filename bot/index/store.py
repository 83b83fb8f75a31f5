"""The index on disk (docs/ARCHITECTURE.md): build folders, the CURRENT pointer, manifest, verification.

A build folder holds vectors.faiss (IndexIDMap2, int64 passage ids, over an exact
IndexFlatIP or, past `[index] exact_limit` passages, HNSW or IVF: see vectors.py),
passages.jsonl (every Passage field plus its BM25 tokens), keyword/ (the BM25 index)
and manifest.json, written last, with the sha256 and size of every other file.
`load_index` checks all of them before anything is served.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from bot.config import CorpusSettings, IndexSettings
from bot.corpus.files import fsync_dir  # noqa: F401  (build.py imports it from here)
from bot.errors import BuildError, CorpusError, EmbedderError, IndexCorruptError, IndexMissingError, UsageError
from bot.index.keyword import KeywordIndex
from bot.index.vectors import FLAT, SEARCH_THREADS, check_kind, tune_search
from bot.records import Passage
from bot.text import Tokenizer

FORMAT_VERSION = 1
CURRENT = "CURRENT"
BUILDS = "builds"
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
PASSAGES = "passages.jsonl"
KEYWORD = "keyword"
PARTIAL = ".partial"
CACHE_FILE = "cache/embeddings.sqlite3"
OCR_CACHE = "cache/ocr"  # OCR text of scans, by file hash (bot.ocr.cache)
LOCK_FILE = ".build.lock"
REBUILD = "run `python -m bot index build`"
_BUILD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PASSAGE_FIELDS = {f.name for f in fields(Passage)}


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def corpus_fingerprint(settings: CorpusSettings) -> str:
    """sha256 over every non-hidden file's relative name and bytes in the corpus folder (sidecars too)."""
    root = settings.dir
    if not root.is_dir():
        raise CorpusError(f"corpus folder {root} does not exist.", hint="Set corpus.dir in config.toml to the folder of reports.")
    files = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if not any(part.startswith(".") for part in rel.parts) and path.is_file():
            files[rel.as_posix()] = path
    for sidecar in (settings.metadata, settings.faq, settings.repairs, settings.terms):
        if sidecar.is_file() and not sidecar.resolve().is_relative_to(root.resolve()):
            files[str(sidecar.resolve())] = sidecar  # a sidecar kept outside the folder
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name].stat().st_size}\0{file_sha256(files[name])}\n".encode("utf-8"))
    return digest.hexdigest()


def read_current(index_dir: Path) -> str | None:
    """The build id CURRENT names, or None when nothing was built yet."""
    try:
        return (index_dir / CURRENT).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(str(index_dir / CURRENT), f"cannot be read: {exc}") from exc


def set_current(index_dir: Path, build_id: str) -> None:
    """Point CURRENT at `build_id` atomically: write a temp file, fsync, os.replace, fsync the folder."""
    if not _BUILD_ID.match(build_id) or not (index_dir / BUILDS / build_id / MANIFEST).is_file():
        raise BuildError(f"cannot point CURRENT at {build_id!r}: no finished build of that name in {index_dir / BUILDS}.")
    tmp = index_dir / f"{CURRENT}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(build_id + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, index_dir / CURRENT)
    fsync_dir(index_dir)


@dataclass(eq=False)
class LoadedIndex:
    """One verified build in memory: passages, FAISS vectors and the BM25 index."""

    path: Path
    build_id: str
    manifest: dict[str, Any]
    passages: dict[int, Passage]
    ordered: list[Passage]
    tokens: dict[int, tuple[str, ...]]
    faiss_index: Any = field(repr=False)
    keyword: KeywordIndex = field(repr=False)
    _tokenizer: Tokenizer | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def dim(self) -> int:
        return int(self.faiss_index.d)

    @property
    def vector_index(self) -> dict[str, Any]:
        """The manifest's `vector_index`: {"type": "flat"} or the ANN kind and its build parameters."""
        return vector_index_of(self.manifest)

    @property
    def tokenizer(self) -> Tokenizer:
        """jieba with the dictionary this build used, so questions are cut like the passages were."""
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = Tokenizer(self.manifest.get("dictionary", ()))
            return self._tokenizer

    def dense_search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Up to `k` (passage id, cosine), best first, for one normalised query vector."""
        _check_k(k)
        query = np.ascontiguousarray(vector, dtype=np.float32)
        if query.ndim == 1:
            query = query.reshape(1, -1)
        if query.ndim != 2 or query.shape[0] != 1 or query.shape[1] != self.dim:
            raise EmbedderError(
                f"query vector of shape {np.shape(vector)} does not fit index {self.build_id} "
                f"({self.dim} dimensions, embedder {self.manifest.get('embedder')!r}).",
                hint=f"Use the same embedder as the index, or {REBUILD}.",
            )
        k = min(k, int(self.faiss_index.ntotal))
        if k == 0:
            return []
        faiss.omp_set_num_threads(SEARCH_THREADS)  # OpenMP settings are per thread: the one asking gets one
        scores, labels = self.faiss_index.search(query, k)
        return [(int(pid), float(score)) for pid, score in zip(labels[0], scores[0]) if pid != -1]

    def keyword_search(self, tokens: list[str], k: int) -> list[tuple[int, float]]:
        """Up to `k` (passage id, BM25 score), best first."""
        return self.keyword.search(tokens, k)

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored (normalised) vectors of these passage ids, in that order (read back from FAISS,
        whatever its kind, so no second copy of every vector is kept in memory)."""
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        for row, pid in enumerate(ids):
            if int(pid) not in self.passages:
                raise UsageError(f"passage id {pid} is not in index {self.build_id}.")
            out[row] = self.faiss_index.reconstruct(int(pid))
        return out


def vector_index_of(manifest: dict[str, Any]) -> dict[str, Any]:
    """Which FAISS index a build uses; builds from before ANN support are flat."""
    params = manifest.get("vector_index", {"type": FLAT})
    return params if isinstance(params, dict) else {"type": params}


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise UsageError(f"k must be a positive integer, got {k!r}.")


def load_index(settings: IndexSettings) -> LoadedIndex:
    """The build CURRENT names, verified against its manifest."""
    build_id = read_current(settings.dir)
    if build_id is None:
        raise IndexMissingError(f"no index has been built yet in {settings.dir}.", hint=f"To build one, {REBUILD}.")
    folder = settings.dir / BUILDS / build_id
    if not _BUILD_ID.match(build_id) or not folder.is_dir():
        raise IndexCorruptError(str(settings.dir / CURRENT), f"it names build {build_id!r}, which is not in {settings.dir / BUILDS}")
    return load_build(folder, settings)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a build folder, checked for format and required keys (not the files)."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(str(path), "the manifest is missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise IndexCorruptError(str(path), f"not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise IndexCorruptError(str(path), "not a JSON object")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorruptError(str(path), f"format version {manifest.get('format_version')!r}, this program reads version {FORMAT_VERSION}")
    kinds = {"build_id": str, "embedder": str, "dim": int, "passages": int, "files": dict, "dictionary": list}
    for key, kind in kinds.items():
        if not isinstance(manifest.get(key), kind):
            raise IndexCorruptError(str(path), f"`{key}` is missing or not a {kind.__name__}")
    return manifest


def verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists exists with its recorded size and sha256."""
    listed = manifest["files"]
    for required in (VECTORS, PASSAGES, f"{KEYWORD}/ids.npy"):
        if required not in listed:
            raise IndexCorruptError(str(folder / MANIFEST), f"it does not list {required}")
    for rel, entry in listed.items():
        path = folder / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts or not isinstance(entry, dict):
            raise IndexCorruptError(str(folder / MANIFEST), f"bad file entry {rel!r}")
        if not path.is_file():
            raise IndexCorruptError(str(path), "the file is missing")
        try:
            size, digest = path.stat().st_size, file_sha256(path)
        except OSError as exc:
            raise IndexCorruptError(str(path), f"it cannot be read ({exc.strerror or exc})") from exc
        if size != entry.get("size"):
            raise IndexCorruptError(str(path), f"it is {size} bytes but the manifest says {entry.get('size')} (truncated or replaced)")
        if digest != entry.get("sha256"):
            raise IndexCorruptError(str(path), "its sha256 does not match the manifest")


def load_build(folder: Path, settings: IndexSettings | None = None) -> LoadedIndex:
    """Load and verify one build folder; `settings` give the ANN search parameters."""
    # A flat index of a few thousand vectors is searched fastest on one thread; FAISS's
    # OpenMP workers would otherwise spin between questions and slow the embedder down.
    faiss.omp_set_num_threads(1)
    manifest = read_manifest(folder)
    verify_files(folder, manifest)
    vectors_path = folder / VECTORS
    try:
        index = faiss.read_index(str(vectors_path))
    except RuntimeError as exc:
        raise IndexCorruptError(str(vectors_path), f"FAISS cannot read it ({str(exc).strip().splitlines()[-1]})") from exc
    if not isinstance(index, faiss.IndexIDMap2) or index.d != manifest["dim"] or index.ntotal != manifest["passages"]:
        raise IndexCorruptError(str(vectors_path), f"expected an IndexIDMap2 of {manifest['passages']} vectors of {manifest['dim']} dimensions")
    mismatch = check_kind(index, vector_index_of(manifest))
    if mismatch:
        raise IndexCorruptError(str(vectors_path), mismatch)
    tune_search(index, settings or IndexSettings(dir=folder.parent.parent))  # the default search parameters
    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    passages, tokens = _read_passages(folder / PASSAGES)
    if len(passages) != len(ids) or set(passages) != set(ids.tolist()):
        raise IndexCorruptError(str(folder / PASSAGES), f"its {len(passages)} passages do not match the {len(ids)} ids in {VECTORS}")
    keyword = KeywordIndex.load(folder / KEYWORD)
    if set(keyword.ids.tolist()) != set(passages):
        raise IndexCorruptError(str(folder / KEYWORD), f"its ids do not match the passages in {PASSAGES}")
    return LoadedIndex(
        path=folder,
        build_id=manifest["build_id"],
        manifest=manifest,
        passages=passages,
        ordered=list(passages.values()),
        tokens=tokens,
        faiss_index=index,
        keyword=keyword,
    )


def _read_passages(path: Path) -> tuple[dict[int, Passage], dict[int, tuple[str, ...]]]:
    passages: dict[int, Passage] = {}
    tokens: dict[int, tuple[str, ...]] = {}
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
                if record.get("search_text") == record.get("text"):
                    record["search_text"] = record["text"]  # one string object, not two equal ones
                passage = Passage(**{k: v for k, v in record.items() if k in _PASSAGE_FIELDS})
                # Tokens repeat across passages: interned, a million passages keep one copy of each word.
                words = tuple(map(sys.intern, record.get("tokens", ())))
            except (ValueError, TypeError, AttributeError) as exc:
                raise IndexCorruptError(str(path), f"line {number} is not a passage ({exc})") from exc
            if passage.id in passages:
                raise IndexCorruptError(str(path), f"passage id {passage.id} appears twice")
            passages[passage.id] = passage
            tokens[passage.id] = words
    return passages, tokens


@dataclass(frozen=True)
class BuildInfo:
    """One finished build folder and what its manifest says (for the history and rollback)."""

    build_id: str
    path: Path
    current: bool
    manifest: dict[str, Any] | None  # None when the manifest cannot be read
    problem: str | None = None

    @property
    def built_at(self) -> str:
        return str((self.manifest or {}).get("built_at", ""))

    @property
    def order(self) -> tuple[str, int, str]:
        """When it was built, to the nanosecond where the manifest says (two builds can
        share one second; the build id's random tail must not decide which came first)."""
        built_ns = (self.manifest or {}).get("built_ns", 0)
        return self.built_at, built_ns if isinstance(built_ns, int) else 0, self.build_id


def list_builds(index_dir: Path) -> list[BuildInfo]:
    """Every finished build in `index_dir`, newest first (by the time in its manifest).
    Reads manifests only; the files are verified when a build is loaded."""
    builds = index_dir / BUILDS
    current = read_current(index_dir)
    found = []
    for folder in sorted(builds.iterdir()) if builds.is_dir() else []:
        if not folder.is_dir() or folder.name.endswith(PARTIAL) or not _BUILD_ID.match(folder.name):
            continue
        try:
            manifest, problem = read_manifest(folder), None
        except IndexCorruptError as exc:
            manifest, problem = None, exc.reason
        found.append(BuildInfo(folder.name, folder, folder.name == current, manifest, problem))
    found.sort(key=lambda b: b.order, reverse=True)
    return found


def previous_build(index_dir: Path) -> BuildInfo | None:
    """The newest readable build made before the current one: what a rollback goes back to."""
    builds = list_builds(index_dir)
    current = next((b for b in builds if b.current), None)
    older = [b for b in builds if not b.current and b.manifest is not None and (current is None or b.order < current.order)]
    return older[0] if older else None
