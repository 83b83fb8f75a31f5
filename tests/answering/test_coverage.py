"""Word weights (IDF) over the report passages: exact for a district's reports, sampled for a national index."""

from __future__ import annotations

import math

import pytest

from bot.answering.coverage import QuestionWords, TermStatistics
from tests.helpers_index import make_passage

PHRASES = ["课后服务", "校外培训", "作业", "收费", "举报电话", "寒暑假"]


def _passages(count: int) -> list:
    """Passage n holds PHRASES[i] when n is a multiple of i + 1: 课后服务 in all, 寒暑假 in every sixth."""
    return [make_passage("d.txt", n, "".join(p for i, p in enumerate(PHRASES) if n % (i + 1) == 0) + f"第{n}段") for n in range(count)]


def test_small_corpora_count_every_passage() -> None:
    passages = _passages(600)
    stats = TermStatistics(passages)
    assert len(stats.texts) == stats.total == 600
    assert stats.idf("寒暑假") == pytest.approx(math.log(601 / 100.5))  # 100 of 600 passages
    assert stats.idf("从未出现") == pytest.approx(math.log(601 / 0.5))


def test_large_corpora_estimate_from_a_sample() -> None:
    passages = _passages(50_000)
    exact = TermStatistics(passages, sample=10**9)
    sampled = TermStatistics(passages, sample=5_000)
    assert exact.total == sampled.total == 50_000 and len(sampled.texts) == 5_000
    for word in PHRASES:
        assert sampled.idf(word) == pytest.approx(exact.idf(word), abs=0.05), word
    weights = [sampled.idf(w) for w in PHRASES]
    assert weights == sorted(weights)  # rarer words still weigh more
    assert sampled.idf("从未出现") == exact.idf("从未出现")


def test_a_story_word_adds_what_it_finds_and_costs_nothing_when_missing() -> None:
    stats = TermStatistics(_passages(12))
    plain = QuestionWords(["作业", "收费"], stats)
    told = QuestionWords(["作业", "收费", "眼睛"], stats, story={"眼睛"})
    assert told.coverage("作业收费") == plain.coverage("作业收费") == 1.0
    assert told.coverage("作业") == pytest.approx(plain.coverage("作业"))
    assert QuestionWords(["作业", "收费", "眼睛"], stats).coverage("作业收费") < 1.0  # a question word missing does cost


def test_evidence_is_the_weight_found_not_a_share() -> None:
    stats = TermStatistics(_passages(12))
    short, long = QuestionWords(["寒暑假"], stats), QuestionWords(["寒暑假", "举报电话", "眼睛"], stats)
    assert long.evidence("寒暑假举报电话") > short.evidence("寒暑假举报电话") == pytest.approx(stats.idf("寒暑假"))
    assert long.coverage("寒暑假举报电话") < short.coverage("寒暑假举报电话")


def test_a_word_said_everywhere_is_found_only_by_the_official_terms_given_for_it() -> None:
    # 课后服务 is in every passage, 寒暑假 in every sixth: "每个学校都有课后服务吗" gave 课后服务 → 寒暑假
    stats = TermStatistics(_passages(60))
    words = QuestionWords(["课后服务"], stats, {"课后服务": ("寒暑假",)})
    assert words.coverage("课后服务寒暑假") == 1.0
    assert words.coverage("课后服务第1段") == 0.0  # the everyday word alone says nothing
    assert words.items[0][0] == pytest.approx(stats.idf("寒暑假"))


def test_a_word_not_said_everywhere_is_still_found_as_itself() -> None:
    stats = TermStatistics(_passages(60))
    words = QuestionWords(["收费"], stats, {"收费": ("寒暑假",)})
    assert words.coverage("收费") == 1.0 and words.coverage("寒暑假") == 1.0
