"""The on-disk index: write → load round trip, FAISS ids, verification errors, CURRENT, fingerprint."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest

from bot.config import IndexSettings, load_config
from bot.errors import EmbedderError, IndexCorruptError, IndexMissingError, UsageError
from bot.index.build import write_build
from bot.index.store import (
    BUILDS,
    CURRENT,
    MANIFEST,
    PASSAGES,
    VECTORS,
    corpus_fingerprint,
    load_index,
    read_current,
    set_current,
)
from bot.text import Tokenizer
from tests.helpers_index import HashEmbedder, rehash_manifest, sample_passages

DICTIONARY = ("课后服务", "校外培训", "有偿补课")
TOKENIZER = Tokenizer(DICTIONARY)  # jieba takes a moment to start: share one


def _write(index_dir: Path, build_id: str = "b1", *, corpus: Path | None = None, fingerprint: str = "f" * 64,
           embedder: HashEmbedder | None = None) -> tuple[list, np.ndarray]:
    passages = sample_passages()
    embedder = embedder or HashEmbedder()
    tokenizer = TOKENIZER
    vectors = embedder.encode_document([p.embed_text for p in passages])
    write_build(
        index_dir / BUILDS / build_id, build_id=build_id, passages=passages,
        tokens=[tokenizer.tokens(p.search_text) for p in passages], vectors=vectors, embedder=embedder.model_id,
        corpus_fingerprint=fingerprint, corpus_dir=corpus or index_dir / "corpus", dictionary=tokenizer.words,
    )
    set_current(index_dir, build_id)
    return passages, vectors


def test_round_trip(tmp_path: Path) -> None:
    passages, vectors = _write(tmp_path)
    index = load_index(IndexSettings(dir=tmp_path))
    assert index.build_id == "b1" == read_current(tmp_path)
    assert index.ordered == passages  # every field survives, order kept
    assert index.passages == {p.id: p for p in passages}
    assert index.manifest["embedder"] == "fake:hash-bigrams" and index.manifest["dim"] == 64
    assert index.manifest["documents"] == 2 and index.manifest["passages"] == len(passages)
    assert set(index.manifest["files"]) >= {VECTORS, PASSAGES, "keyword/ids.npy"}
    np.testing.assert_allclose(index.vectors([passages[3].id, passages[0].id]), vectors[[3, 0]], atol=1e-6)
    assert index.tokens[passages[2].id] == tuple(TOKENIZER.tokens(passages[2].search_text))
    assert index.tokenizer.words == DICTIONARY
    with pytest.raises(UsageError, match="12345"):
        index.vectors([12345])


def test_faiss_ids_are_passage_ids(tmp_path: Path) -> None:
    passages, _ = _write(tmp_path)
    raw = faiss.read_index(str(tmp_path / BUILDS / "b1" / VECTORS))
    assert isinstance(raw, faiss.IndexIDMap2)
    assert faiss.vector_to_array(raw.id_map).tolist() == [p.id for p in passages]
    assert all(p.id > 2**31 for p in passages[:3])  # real int64 ids, not row numbers


def test_dense_search(tmp_path: Path) -> None:
    passages, vectors = _write(tmp_path)
    index = load_index(IndexSettings(dir=tmp_path))
    hits = index.dense_search(vectors[4], 3)
    assert hits[0][0] == passages[4].id and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    everything = index.dense_search(vectors[1].reshape(1, -1), 50)  # k > n: no -1 labels
    assert len(everything) == len(passages)
    assert sorted(pid for pid, _ in everything) == sorted(p.id for p in passages)
    with pytest.raises(EmbedderError, match="64 dimensions"):
        index.dense_search(np.ones(32, np.float32), 3)
    with pytest.raises(UsageError):
        index.dense_search(vectors[0], 0)


def test_keyword_search(tmp_path: Path) -> None:
    passages, _ = _write(tmp_path)
    index = load_index(IndexSettings(dir=tmp_path))
    hits = index.keyword_search(index.tokenizer.tokens("在职教师有偿补课怎么办"), 3)
    assert hits[0][0] == passages[2].id
    assert index.keyword_search([], 3) == []


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="python -m bot index build"):
        load_index(IndexSettings(dir=tmp_path / "index"))


def test_current_pointing_nowhere(tmp_path: Path) -> None:
    _write(tmp_path)
    (tmp_path / CURRENT).write_text("gone\n")
    with pytest.raises(IndexCorruptError) as info:
        load_index(IndexSettings(dir=tmp_path))
    assert info.value.path == str(tmp_path / CURRENT)


def test_truncated_vectors(tmp_path: Path) -> None:
    _write(tmp_path)
    path = tmp_path / BUILDS / "b1" / VECTORS
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(IndexCorruptError) as info:
        load_index(IndexSettings(dir=tmp_path))
    assert info.value.path == str(path) and "truncated" in info.value.reason
    rehash_manifest(path.parent)  # even when the manifest agrees, FAISS itself refuses the file
    with pytest.raises(IndexCorruptError) as info:
        load_index(IndexSettings(dir=tmp_path))
    assert info.value.path == str(path) and "FAISS" in info.value.reason


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[1, 2]", b""])
def test_broken_manifest(tmp_path: Path, content: bytes) -> None:
    _write(tmp_path)
    (tmp_path / BUILDS / "b1" / MANIFEST).write_bytes(content)
    with pytest.raises(IndexCorruptError) as info:
        load_index(IndexSettings(dir=tmp_path))
    assert info.value.path.endswith(MANIFEST)
    assert "python -m bot index build" in str(info.value)


def test_wrong_format_version(tmp_path: Path) -> None:
    _write(tmp_path)
    path = tmp_path / BUILDS / "b1" / MANIFEST
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(IndexCorruptError, match="format version 99") as info:
        load_index(IndexSettings(dir=tmp_path))
    assert info.value.path == str(path)


def test_missing_and_edited_files(tmp_path: Path) -> None:
    _write(tmp_path)
    folder = tmp_path / BUILDS / "b1"
    (folder / "keyword" / "ids.npy").unlink()
    with pytest.raises(IndexCorruptError, match="missing") as info:
        load_index(IndexSettings(dir=tmp_path))
    assert info.value.path == str(folder / "keyword" / "ids.npy")
    _write(tmp_path, "b2")
    passages = (tmp_path / BUILDS / "b2" / PASSAGES)
    passages.write_text(passages.read_text(encoding="utf-8").replace("课后", "课前"), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="sha256") as info:
        load_index(IndexSettings(dir=tmp_path))
    assert info.value.path == str(passages)


def test_passages_not_matching_faiss_ids(tmp_path: Path) -> None:
    _write(tmp_path)
    folder = tmp_path / BUILDS / "b1"
    lines = (folder / PASSAGES).read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / PASSAGES).write_text("".join(lines[:-1]), encoding="utf-8")  # one passage lost
    rehash_manifest(folder)
    with pytest.raises(IndexCorruptError, match="do not match") as info:
        load_index(IndexSettings(dir=tmp_path))
    assert info.value.path == str(folder / PASSAGES)


def test_set_current_is_atomic_and_checked(tmp_path: Path) -> None:
    _write(tmp_path, "b1")
    _write(tmp_path, "b2")
    assert (tmp_path / CURRENT).read_text() == "b2\n"
    assert not list(tmp_path.glob("CURRENT.*"))  # no temp file left behind
    with pytest.raises(Exception, match="no finished build"):
        set_current(tmp_path, "b3")
    with pytest.raises(Exception, match="no finished build"):
        set_current(tmp_path, "../b1")
    assert read_current(tmp_path) == "b2"


def test_corpus_fingerprint(project: Path) -> None:
    settings = load_config(project).corpus
    first = corpus_fingerprint(settings)
    assert first == corpus_fingerprint(settings) and len(first) == 64
    (settings.dir / ".hidden-editor-file.swp").write_text("x")
    (settings.dir / ".git").mkdir()
    (settings.dir / ".git" / "HEAD").write_text("x")
    assert corpus_fingerprint(settings) == first  # hidden files are ignored
    terms = settings.terms.read_text(encoding="utf-8")
    settings.terms.write_text(terms + "\n# note\n", encoding="utf-8")
    second = corpus_fingerprint(settings)
    assert second != first  # sidecars count
    new = settings.dir / "new.txt"
    new.write_text("新报告", encoding="utf-8")
    third = corpus_fingerprint(settings)
    assert third != second
    new.rename(settings.dir / "renamed.txt")
    assert corpus_fingerprint(settings) != third  # names count, not only bytes
    with pytest.raises(Exception, match="does not exist"):
        corpus_fingerprint(replace(settings, dir=project.parent / "nowhere"))

