"""Exact search up to `[index] exact_limit`, HNSW or IVF beyond: choice, manifest, load checks,
reading vectors back, recall against exact search, corrupt files, and a real answer."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest

from bot.config import IndexSettings, load_config
from bot.errors import ConfigError, IndexCorruptError
from bot.index.build import build_index, write_build
from bot.index.status import index_status
from bot.index.store import BUILDS, MANIFEST, VECTORS, load_index, set_current
from bot.index.vectors import FLAT, HNSW, IVF, build_vector_index, check_kind, choose_kind, describe, inner_index, ivf_lists
from bot.service import Service
from bot.text import Tokenizer
from tests.helpers_index import HashEmbedder, edit_config, rehash_manifest, sample_passages

TOKENIZER = Tokenizer(("课后服务", "校外培训", "有偿补课"))


def _settings(tmp_path: Path, **values: object) -> IndexSettings:
    return replace(IndexSettings(dir=tmp_path), **values)


def _write(index_dir: Path, settings: IndexSettings | None, build_id: str = "b1") -> tuple[list, np.ndarray]:
    passages = sample_passages()
    vectors = HashEmbedder().encode_document([p.embed_text for p in passages])
    write_build(
        index_dir / BUILDS / build_id, build_id=build_id, passages=passages,
        tokens=[TOKENIZER.tokens(p.search_text) for p in passages], vectors=vectors, embedder="fake:hash-bigrams",
        corpus_fingerprint="f" * 64, corpus_dir=index_dir / "corpus", dictionary=TOKENIZER.words, vector_settings=settings,
    )
    set_current(index_dir, build_id)
    return passages, vectors


def _clustered(count: int, dim: int = 48, centres: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors around a few centres, like embeddings of a corpus with recurring topics."""
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, dim))
    vectors = middle[rng.integers(0, centres, count)] + 0.6 * rng.normal(size=(count, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def test_exact_up_to_the_limit_then_the_configured_kind(tmp_path: Path) -> None:
    settings = _settings(tmp_path, exact_limit=100)
    assert choose_kind(100, settings) == FLAT
    assert choose_kind(101, settings) == IVF
    assert choose_kind(101, replace(settings, ann="hnsw")) == HNSW
    assert ivf_lists(1_000_000, settings) == 2000  # about 2·√n
    assert ivf_lists(1_000_000, replace(settings, ivf_nlist=1024)) == 1024
    assert ivf_lists(100, settings) == 2 and ivf_lists(10, settings) == 1  # never fewer than 39 points a list
    assert describe({"type": "flat"}) == "flat (exact search)"
    assert describe({"type": "hnsw", "M": 32, "efConstruction": 80}) == "hnsw (approximate; M=32, efConstruction=80)"


def test_the_default_build_stays_exact(tmp_path: Path) -> None:
    _write(tmp_path, None)
    index = load_index(IndexSettings(dir=tmp_path))
    assert index.vector_index == {"type": "flat"}
    assert isinstance(inner_index(index.faiss_index), faiss.IndexFlatIP)


@pytest.mark.parametrize("kind", [HNSW, IVF])
def test_an_ann_build_loads_verifies_searches_and_reads_vectors_back(tmp_path: Path, kind: str) -> None:
    settings = _settings(tmp_path, exact_limit=3, ann=kind, hnsw_m=8, hnsw_ef_search=40, ivf_nprobe=5)
    passages, vectors = _write(tmp_path, settings)
    index = load_index(settings)
    inner = inner_index(index.faiss_index)
    assert index.vector_index["type"] == kind
    if kind == HNSW:
        assert isinstance(inner, faiss.IndexHNSWFlat) and index.vector_index == {"type": "hnsw", "M": 8, "efConstruction": 80}
        assert inner.hnsw.efSearch == 40  # the search setting comes from config at load
    else:
        assert isinstance(inner, faiss.IndexIVFFlat) and index.vector_index == {"type": "ivf", "nlist": 1}
        assert inner.nprobe == 1  # never more lists probed than there are
    for row in (0, 4, 6):
        hits = index.dense_search(vectors[row], 3)
        assert hits[0][0] == passages[row].id and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    ids = [passages[5].id, passages[0].id]
    np.testing.assert_allclose(index.vectors(ids), vectors[[5, 0]], atol=1e-6)  # re-scoring keyword-only hits works


@pytest.mark.parametrize("kind", [HNSW, IVF])
def test_recall_at_10_against_exact_search(tmp_path: Path, kind: str) -> None:
    """The default parameters keep recall@10 high on clustered vectors (the bench measures e5 ones)."""
    vectors = _clustered(4000)
    queries = _clustered(100, seed=1)
    ids = np.arange(10**12, 10**12 + len(vectors), dtype=np.int64)  # big int64 ids, as passages have
    settings = _settings(tmp_path, exact_limit=0, ann=kind)
    ann, params = build_vector_index(vectors, ids, settings)
    exact, exact_params = build_vector_index(vectors, ids, _settings(tmp_path))
    assert params["type"] == kind and exact_params == {"type": "flat"}
    from bot.index.vectors import tune_search

    tune_search(ann, settings)
    _, found = ann.search(queries, 10)
    _, truth = exact.search(queries, 10)
    recall = np.mean([len(set(a) & set(t)) / 10 for a, t in zip(found, truth)])
    assert recall >= 0.95, recall
    tune_search(ann, replace(settings, hnsw_ef_search=1, ivf_nprobe=1))  # and the check can fail
    _, found = ann.search(queries, 10)
    assert np.mean([len(set(a) & set(t)) / 10 for a, t in zip(found, truth)]) < recall


def test_a_corrupt_ann_file_is_named(tmp_path: Path) -> None:
    settings = _settings(tmp_path, exact_limit=3)
    _write(tmp_path, settings)
    path = tmp_path / BUILDS / "b1" / VECTORS
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(IndexCorruptError) as info:
        load_index(settings)
    assert info.value.path == str(path) and "truncated" in info.value.reason
    assert "python -m bot index build" in str(info.value)
    rehash_manifest(path.parent)  # the manifest agrees: FAISS itself refuses the file
    with pytest.raises(IndexCorruptError) as info:
        load_index(settings)
    assert info.value.path == str(path) and "FAISS" in info.value.reason


def test_a_file_of_another_kind_than_the_manifest_says_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, exact_limit=3, ann="hnsw")
    _write(tmp_path, settings, "ann")
    _write(tmp_path, None, "flat")
    shutil.copy(tmp_path / BUILDS / "flat" / VECTORS, tmp_path / BUILDS / "ann" / VECTORS)
    rehash_manifest(tmp_path / BUILDS / "ann")
    set_current(tmp_path, "ann")
    with pytest.raises(IndexCorruptError, match="manifest says hnsw but the file holds IndexFlatIP") as info:
        load_index(settings)
    assert info.value.path == str(tmp_path / BUILDS / "ann" / VECTORS)
    manifest = tmp_path / BUILDS / "ann" / MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**data, "vector_index": {"type": "lsh"}}), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="unknown vector index type 'lsh'"):
        load_index(settings)
    del data["vector_index"]  # a build from before ANN support: flat, as its file is
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert load_index(settings).vector_index == {"type": "flat"}


def test_check_kind_sees_wrong_parameters(tmp_path: Path) -> None:
    vectors = _clustered(200)
    index, params = build_vector_index(vectors, np.arange(200, dtype=np.int64), _settings(tmp_path, exact_limit=0, ann="hnsw", hnsw_m=16))
    assert check_kind(index, params) is None
    assert "M=32" in check_kind(index, {**params, "M": 32})
    index, params = build_vector_index(vectors, np.arange(200, dtype=np.int64), _settings(tmp_path, exact_limit=0, ann="ivf"))
    assert check_kind(index, params) is None and params == {"type": "ivf", "nlist": 5}
    assert "nlist=7" in check_kind(index, {**params, "nlist": 7})
    inner_index(index).set_direct_map_type(faiss.DirectMap.NoMap)
    assert "direct map" in check_kind(index, params)


@pytest.mark.parametrize(
    ("text", "key"),
    [("ann = 'lsh'", "index.ann"), ("hnsw_m = 2", "index.hnsw_m"), ("exact_limit = -1", "index.exact_limit"),
     ("hnsw_ef_search = 0", "index.hnsw_ef_search"), ("ivf_nprobe = 'many'", "index.ivf_nprobe"), ("build_threads = true", "index.build_threads")],
)
def test_bad_scale_settings_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[index]\n{text}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(path, env={})


@pytest.mark.parametrize(("kind", "shown"), [(HNSW, "hnsw (approximate; M=8, efConstruction=80)"), (IVF, "ivf (approximate; nlist=2)")])
def test_shipped_corpus_stays_exact_and_an_ann_build_answers_alike(shipped_config: Path, tmp_path: Path, kind: str, shown: str) -> None:
    """The real pipeline over the shipped reports, rebuilt (from the embedding cache) with HNSW or IVF."""
    assert load_index(load_config(shipped_config, env={}).index).vector_index == {"type": "flat"}
    shutil.copytree(shipped_config.parent, tmp_path / "p", ignore=shutil.ignore_patterns("var"))
    config_path = tmp_path / "p" / "config.toml"
    edit_config(config_path, "index", exact_limit=50, ann=kind, hnsw_m=8)
    config = load_config(config_path, env={})
    report = build_index(config, progress=False)
    assert report.embedded == 0 and report.passages > 50
    status = index_status(config)
    assert status.problem is None and status.vectors == shown
    assert f"vectors: {shown}" in status.describe()
    service = Service.from_config(config, build_if_missing=False)
    assert service.pipeline.index.vector_index["type"] == kind
    answer = service.ask("托管费按什么标准收")
    assert not answer.abstained and "2元/课时" in answer.quotes[0].text
    assert service.ask("高考志愿怎么填?").abstained
    edit_config(config_path, "index", exact_limit=200_000)
    note = index_status(load_config(config_path, env={})).describe()
    assert "now selects flat" in note and "next build switches" in note


def test_every_thread_that_searches_uses_one_faiss_thread(tmp_path: Path) -> None:
    """OpenMP settings are per thread: the answering pool's threads must not start FAISS workers."""
    import threading

    passages, vectors = _write(tmp_path, _settings(tmp_path, exact_limit=3))
    index = load_index(IndexSettings(dir=tmp_path))
    seen = []

    def ask() -> None:
        faiss.omp_set_num_threads(4)  # whatever the thread had before
        index.dense_search(vectors[0], 3)
        seen.append(faiss.omp_get_max_threads())

    worker = threading.Thread(target=ask)
    worker.start()
    worker.join()
    assert seen == [1]
