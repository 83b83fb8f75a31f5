"""BM25 keyword index: scores match Okapi BM25 (Lucene variant), order, edge cases, save/load."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import IndexCorruptError, UsageError
from bot.index.keyword import K1, B, KeywordIndex
from bot.text import Tokenizer

DOCS = {
    101: ["课后", "服务", "课后服务", "收费", "标准"],
    2**62 + 5: ["校外", "培训", "校外培训", "机构", "收费", "监管"],
    7: ["作业", "公示", "作业", "总量"],
    42: ["培训", "培训", "培训", "广告"],
    9: [],
}


def _index() -> KeywordIndex:
    return KeywordIndex.build(list(DOCS), list(DOCS.values()))


def _reference(query: list[str], docs: dict[int, list[str]]) -> dict[int, float]:
    """Okapi BM25 with Lucene's idf, written out by hand."""
    n = len(docs)
    avgdl = sum(len(d) for d in docs.values()) / n
    scores = {}
    for pid, doc in docs.items():
        score = 0.0
        for term in query:
            df = sum(term in d for d in docs.values())
            tf = doc.count(term)
            if df and tf:
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                score += idf * tf / (tf + K1 * (1 - B + B * len(doc) / avgdl))
        if score > 0:
            scores[pid] = score
    return scores


def test_scores_match_reference_and_order() -> None:
    index = _index()
    for query in (["收费"], ["培训"], ["校外", "培训", "收费"], ["作业", "课后服务"]):
        hits = index.search(query, 10)
        expected = _reference(query, DOCS)
        assert {pid for pid, _ in hits} == set(expected)
        for pid, score in hits:
            assert score == pytest.approx(expected[pid], rel=1e-5)
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_rarer_and_repeated_terms_rank_first() -> None:
    hits = _index().search(["培训"], 10)
    assert [pid for pid, _ in hits] == [42, 2**62 + 5]  # three occurrences beat one


def test_zero_score_unknown_and_empty() -> None:
    index = _index()
    assert all(score > 0 for _, score in index.search(["收费"], 10))
    assert 7 not in dict(index.search(["收费"], 10))
    assert index.search(["没有的词"], 5) == []
    assert index.search(["没有的词", "公示"], 5) == index.search(["公示"], 5)
    assert index.search([], 5) == []
    assert index.search([""], 5) == []


def test_k_limits_results() -> None:
    index = _index()
    full = index.search(["收费", "培训"], 10)
    assert index.search(["收费", "培训"], 2) == full[:2]
    with pytest.raises(UsageError, match="k must be"):
        index.search(["收费"], 0)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = _index()
    index.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert len(loaded) == len(DOCS)
    for query in (["收费"], ["培训", "作业"], ["课后服务"]):
        assert loaded.search(query, 10) == index.search(query, 10)


def test_no_tokens_at_all(tmp_path: Path) -> None:
    index = KeywordIndex.build([1, 2], [[], []])
    assert index.search(["课后"], 3) == []
    index.save(tmp_path / "kw")
    assert KeywordIndex.load(tmp_path / "kw").search(["课后"], 3) == []


def test_build_rejects_bad_input() -> None:
    with pytest.raises(UsageError, match="one token list per id"):
        KeywordIndex.build([1, 2], [["a"]])
    with pytest.raises(UsageError, match="unique"):
        KeywordIndex.build([1, 1], [["a"], ["b"]])
    with pytest.raises(UsageError, match="int64"):
        KeywordIndex.build([-3], [["a"]])
    with pytest.raises(UsageError, match="lists of strings"):
        KeywordIndex.build([1], ["课后服务"])  # type: ignore[list-item]


def test_load_missing_or_damaged(tmp_path: Path) -> None:
    with pytest.raises(IndexCorruptError, match="ids.npy"):
        KeywordIndex.load(tmp_path / "nowhere")
    _index().save(tmp_path / "kw")
    (tmp_path / "kw" / "ids.npy").write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError, match="ids.npy"):
        KeywordIndex.load(tmp_path / "kw")


def test_with_jieba_tokens() -> None:
    tokenizer = Tokenizer(["课后服务", "校外培训"])
    texts = {1: "课后服务每天不少于2小时", 2: "校外培训机构预收费纳入监管", 3: "课后服务费按成本收取"}
    index = KeywordIndex.build(list(texts), [tokenizer.tokens(t) for t in texts.values()])
    ranked = [pid for pid, _ in index.search(tokenizer.tokens("校外培训怎么监管"), 3)]
    assert ranked[0] == 2
    assert set(pid for pid, _ in index.search(tokenizer.tokens("课后服务"), 3)) == {1, 3}


@settings(max_examples=40, deadline=None)
@given(
    docs=st.lists(st.lists(st.sampled_from("甲乙丙丁戊己庚辛"), max_size=8), min_size=1, max_size=12),
    query=st.lists(st.sampled_from("甲乙丙丁戊己庚辛壬"), max_size=4),
    k=st.integers(1, 15),
)
def test_matches_reference_on_random_corpora(docs: list[list[str]], query: list[str], k: int) -> None:
    corpus = {i * 3 + 1: d for i, d in enumerate(docs)}
    hits = KeywordIndex.build(list(corpus), list(corpus.values())).search(query, k)
    expected = _reference(query, corpus)
    assert len(hits) == min(k, len(expected))
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    for pid, score in hits:
        assert score == pytest.approx(expected[pid], rel=1e-4)
    if hits and len(expected) > k:
        assert min(s for _, s in hits) >= max(s for p, s in expected.items() if p not in dict(hits)) - 1e-6
