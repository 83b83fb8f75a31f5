"""The dense side of a build: exact (flat) search up to `[index] exact_limit` passages, an
approximate one (HNSW or IVF) beyond it.

Every kind sits inside `IndexIDMap2`, so FAISS returns our int64 passage ids and
`reconstruct(id)` gives back a stored vector (the re-scoring of keyword-only candidates
needs that): HNSW keeps its vectors in a flat storage, IVF-Flat gets a direct map.
The manifest records which kind a build uses (`vector_index`); `check_kind` verifies the
file against it at load. Build parameters live in the file; search parameters
(`hnsw_ef_search`, `ivf_nprobe`) come from `config.toml` at load, so they can be tuned
without a rebuild.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from typing import Any

import faiss
import numpy as np

from bot.config import IndexSettings

FLAT = "flat"
HNSW = "hnsw"
IVF = "ivf"
KINDS = (FLAT, HNSW, IVF)
_INNER = {FLAT: faiss.IndexFlatIP, HNSW: faiss.IndexHNSWFlat, IVF: faiss.IndexIVFFlat}
# The search threads: one. A single question gains nothing from more, and idle OpenMP
# workers spinning between questions slowed the embedder down threefold.
SEARCH_THREADS = 1


def choose_kind(count: int, settings: IndexSettings) -> str:
    """`flat` (exact) for up to `exact_limit` passages, the configured ANN kind beyond."""
    return FLAT if count <= settings.exact_limit else settings.ann


def ivf_lists(count: int, settings: IndexSettings) -> int:
    """The number of IVF lists: `ivf_nlist`, or about 2·√n; never more than n / 39 (FAISS's
    minimum of training points per list) nor fewer than 1."""
    wanted = settings.ivf_nlist or int(2 * math.sqrt(max(count, 1)))
    return max(1, min(wanted, count // 39))


def describe(params: dict[str, Any]) -> str:
    """One line for `index status`, e.g. "hnsw (approximate; M=32, efConstruction=80)"."""
    kind = params.get("type", FLAT)
    if kind == FLAT:
        return "flat (exact search)"
    shown = ", ".join(f"{key}={value}" for key, value in params.items() if key != "type")
    return f"{kind} (approximate; {shown})"


@contextlib.contextmanager
def faiss_threads(count: int) -> Iterator[None]:
    """Let FAISS use `count` threads (0: every core) inside the block, one thread after it."""
    faiss.omp_set_num_threads(count or os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(SEARCH_THREADS)


def build_vector_index(vectors: np.ndarray, ids: np.ndarray, settings: IndexSettings) -> tuple[Any, dict[str, Any]]:
    """An `IndexIDMap2` over the kind `choose_kind` picks, and its manifest entry."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    count, dim = vectors.shape
    kind = choose_kind(count, settings)
    params: dict[str, Any] = {"type": kind}
    if kind == FLAT:
        inner = faiss.IndexFlatIP(dim)
    elif kind == HNSW:
        inner = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = settings.hnsw_ef_construction
        params.update(M=settings.hnsw_m, efConstruction=settings.hnsw_ef_construction)
    else:
        nlist = ivf_lists(count, settings)
        inner = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        params.update(nlist=nlist)
    index = faiss.IndexIDMap2(inner)
    with faiss_threads(settings.build_threads if kind != FLAT else SEARCH_THREADS):
        if kind == IVF:
            inner.train(_training_sample(vectors, 64 * params["nlist"]))
        index.add_with_ids(vectors, ids)
        if kind == IVF:
            inner.make_direct_map()  # so reconstruct(id) works
    return index, params


def _training_sample(vectors: np.ndarray, limit: int) -> np.ndarray:
    """At most `limit` rows, drawn reproducibly (k-means needs no more)."""
    if len(vectors) <= limit:
        return vectors
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), size=limit, replace=False))
    return vectors[rows]


def inner_index(index: Any) -> Any:
    """The index inside an `IndexIDMap2`, as its own FAISS class."""
    return faiss.downcast_index(index.index)


def check_kind(index: Any, params: dict[str, Any]) -> str | None:
    """Why the FAISS file does not match the manifest's `vector_index`, or None when it does."""
    kind = params.get("type")
    if kind not in KINDS:
        return f"unknown vector index type {kind!r} (this program knows {', '.join(KINDS)})"
    inner = inner_index(index)
    if type(inner) is not _INNER[kind]:
        return f"the manifest says {kind} but the file holds {type(inner).__name__}"
    if inner.metric_type != faiss.METRIC_INNER_PRODUCT:
        return "the vectors are not compared by inner product"
    if kind == HNSW and params.get("M") != inner.hnsw.nb_neighbors(1):
        return f"the manifest says M={params.get('M')} but the graph has M={inner.hnsw.nb_neighbors(1)}"
    if kind == IVF:
        if params.get("nlist") != inner.nlist:
            return f"the manifest says nlist={params.get('nlist')} but the file has {inner.nlist} lists"
        if inner.direct_map.type == faiss.DirectMap.NoMap:
            return "the IVF index has no direct map, so stored vectors cannot be read back"
    return None


def tune_search(index: Any, settings: IndexSettings) -> None:
    """Apply the search-time settings (`hnsw_ef_search`, `ivf_nprobe`) to a loaded index."""
    inner = inner_index(index)
    if isinstance(inner, faiss.IndexHNSW):
        inner.hnsw.efSearch = settings.hnsw_ef_search
    elif isinstance(inner, faiss.IndexIVF):
        inner.nprobe = min(settings.ivf_nprobe, inner.nlist)
