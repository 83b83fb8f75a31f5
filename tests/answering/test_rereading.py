"""The second reading of a follow-up the first reading does not answer."""

from __future__ import annotations

from dataclasses import replace

from bot.answering.dialog import FollowUps
from bot.answering.places import Gazetteer
from bot.answering.regions import RegionCatalog
from bot.answering.rereading import answers_better, second_reading
from bot.records import Answer

REGIONS = ["重庆市涪陵区", "重庆市云阳县", "四川省泸州市", "江苏省南通市通州区", "某区(匿名)"]
NOW = 1_700_000_000.0


def test_an_aspect_is_read_again_as_the_whole_last_question_asked_further_and_back() -> None:
    followups = FollowUps(RegionCatalog.from_names(Gazetteer(), REGIONS).scope, ttl=1800)
    first = followups.complete("云阳县课后服务参与率多少", None, NOW)
    state = followups.remember(first, "课后服务参与率多少", NOW)
    aspect = followups.complete("要交钱吗", state, NOW + 60)
    other = second_reading(followups, "要交钱吗", state, NOW + 60, aspect)
    assert aspect.borrowed == "aspect" and other is not None
    assert other.borrowed == "more" and other.text == "云阳县课后服务参与率多少，要交钱" and other.context == state.topic
    back = second_reading(followups, "要交钱吗", state, NOW + 60, other)
    assert back is not None and back.text == aspect.text
    assert second_reading(followups, "要交钱吗", state, NOW + 4000, aspect) is None  # the chat's state expired
    assert second_reading(followups, "涪陵呢", state, NOW + 60, followups.complete("涪陵呢", state, NOW + 60)) is None  # a swap of place


def test_an_answer_is_better_than_a_refusal_and_a_sure_one_than_a_tentative_one() -> None:
    sure = Answer(question="收费呢", abstained=False, script="simplified")
    refused, tentative = replace(sure, abstained=True), replace(sure, tentative=True)
    assert answers_better(tentative, refused) and answers_better(sure, tentative)
    assert not answers_better(refused, sure) and not answers_better(replace(sure, confidence=0.9), sure)
