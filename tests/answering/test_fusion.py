"""Hybrid score fusion, region preference and near-duplicate removal."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.coverage import TermStatistics
from bot.answering.fusion import FusionWeights, HybridFuser, dedupe, merge_candidates
from bot.answering.query import QueryAnalyzer
from bot.corpus.terms import load_terms
from bot.records import Hit, Passage
from bot.text import Tokenizer, normalize


def passage(pid: int, text: str, region: str = "重庆市涪陵区") -> Passage:
    return Passage(id=pid, doc_id="d.txt", title="t", region=region, section="", text=text, search_text=normalize(text), start=0, end=len(text))


A = passage(1, "课后服务的结束时间不早于家长下班时间")
B = passage(2, "参加托管服务的学生,按照不高于2元/课时生标准收取课后服务费", region="某区")
C = passage(3, "学科类培训机构压减率100%")
STATS = TermStatistics([A, B, C])


@pytest.fixture(scope="module")
def analyzer() -> QueryAnalyzer:
    terms = load_terms(Path(__file__).resolve().parents[2] / "corpus" / "terms.toml")
    return QueryAnalyzer(terms, Tokenizer(terms.dictionary), ["重庆市涪陵区", "某区"])


def test_the_passage_holding_the_question_words_wins(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("托管费怎么收")
    candidates = [Hit(A, 0.9, dense=0.90), Hit(B, 0.85, dense=0.85, keyword=3.0), Hit(C, 0.8, dense=0.80)]
    fused = HybridFuser(STATS).run(query, candidates, top_k=3)
    assert [h.passage.id for h in fused][0] == 2
    assert fused[0].coverage == pytest.approx(1.0)  # 托管费 found through 课后服务费 / 收费


def test_region_preference_reorders(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("课后服务")
    candidates = [Hit(A, 0.9, dense=0.9), Hit(B, 0.9, dense=0.9)]
    fused = HybridFuser(STATS, region_boost=2.0).run(query, candidates, top_k=2, regions=["某区"])
    assert fused[0].passage.id == 2


def test_merge_keeps_what_each_retriever_said() -> None:
    merged = merge_candidates([Hit(A, 0.9, dense=0.9, rank_dense=0)], [Hit(A, 4.0, keyword=4.0, rank_keyword=2), Hit(C, 1.0, keyword=1.0)])
    by_id = {h.passage.id: h for h in merged}
    assert (by_id[1].dense, by_id[1].keyword, by_id[1].rank_keyword) == (0.9, 4.0, 2)
    assert set(by_id) == {1, 3}


def test_near_duplicates_are_removed() -> None:
    twin = passage(4, "课后服务的结束时间不早于家长下班时间。")
    kept = dedupe([Hit(A, 1.0), Hit(twin, 0.9), Hit(C, 0.8)], threshold=0.85)
    assert [h.passage.id for h in kept] == [1, 3]


def test_top_k_limits_the_result(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("课后服务")
    hits = [Hit(p, 0.5, dense=0.5) for p in (A, B, C)]
    assert len(HybridFuser(STATS).run(query, hits, top_k=2)) == 2
    assert HybridFuser(STATS).run(query, [], top_k=2) == []


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: HybridFuser(STATS, region_boost=0.5), "region_boost"),
        (lambda: HybridFuser(STATS, dedup_threshold=0.0), "dedup_threshold"),
        (lambda: FusionWeights(dense=-1.0), "dense"),
        (lambda: FusionWeights(0.0, 0.0, 0.0), "all be zero"),
    ],
)
def test_bad_arguments_are_named(make, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        make()
