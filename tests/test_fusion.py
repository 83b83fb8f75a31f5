"""Reciprocal rank fusion, region preference and near-duplicate removal."""

from __future__ import annotations

import pytest

from bot.fusion import RankFuser, dedupe
from bot.records import Hit, Passage


def passage(pid: int, text: str, region: str = "重庆市涪陵区") -> Passage:
    return Passage(id=pid, doc_id="d.txt", title="t", region=region, section="", text=text, search_text=text, start=0, end=len(text))


A = passage(1, "课后服务结束时间不早于家长下班时间")
B = passage(2, "按照不高于2元/课时生标准收取课后服务费", region="某区")
C = passage(3, "学科类培训机构压减率100%")


def test_a_passage_both_retrievers_like_wins() -> None:
    dense = [Hit(A, 0.9, dense=0.9), Hit(B, 0.8, dense=0.8)]
    keyword = [Hit(C, 5.0, keyword=5.0), Hit(A, 4.0, keyword=4.0)]
    fused = RankFuser().run([dense, keyword], top_k=3)
    assert [h.passage.id for h in fused] == [1, 3, 2]
    assert fused[0].dense == 0.9 and fused[0].keyword == 4.0


def test_region_preference_reorders() -> None:
    dense = [Hit(A, 0.9, dense=0.9), Hit(B, 0.8, dense=0.8)]
    fused = RankFuser(region_boost=1.5).run([dense, []], top_k=2, regions=["某区"])
    assert fused[0].passage.id == 2


def test_near_duplicates_are_removed() -> None:
    twin = passage(4, "课后服务结束时间不早于家长下班时间。")
    kept = dedupe([Hit(A, 1.0), Hit(twin, 0.9), Hit(C, 0.8)], threshold=0.85)
    assert [h.passage.id for h in kept] == [1, 3]


def test_top_k_limits_the_result() -> None:
    assert len(RankFuser().run([[Hit(A, 1), Hit(B, 1), Hit(C, 1)], []], top_k=2)) == 2


@pytest.mark.parametrize("kwargs", [{"rrf_k": 0}, {"weights": (0.0, 0.0)}, {"region_boost": 0.5}, {"dedup_threshold": 0.0}])
def test_bad_arguments_are_named(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        RankFuser(**kwargs)


def test_wrong_number_of_rankings() -> None:
    with pytest.raises(ValueError, match="rankings"):
        RankFuser().run([[]], top_k=1)
