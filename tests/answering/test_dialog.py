"""Follow-ups: elliptical messages borrow the missing slots, new questions start afresh."""

from __future__ import annotations

import pytest

from bot.answering.dialog import FollowUps
from bot.answering.places import Gazetteer
from bot.answering.regions import RegionCatalog
from bot.records import DialogState

REGIONS = ["重庆市涪陵区", "重庆市云阳县", "四川省泸州市", "江苏省南通市通州区"]
NOW = 1_000_000.0


@pytest.fixture(scope="module")
def followups() -> FollowUps:
    catalog = RegionCatalog.from_names(Gazetteer(), REGIONS)
    return FollowUps(catalog.scope, ttl=1800)


def after(followups: FollowUps, question: str) -> DialogState:
    completion = followups.complete(question, None, NOW)
    _, topic = followups.scope(completion.text)
    return followups.remember(completion, topic, NOW)


def test_a_place_alone_swaps_the_district(followups: FollowUps) -> None:
    state = after(followups, "泸州公布举报电话了吗")
    completion = followups.complete("那涪陵呢", state, NOW + 60)
    assert completion.borrowed == "place" and completion.text.startswith("涪陵") and "举报电话" in completion.text


def test_an_aspect_swaps_the_aspect_and_keeps_subject_and_place(followups: FollowUps) -> None:
    state = after(followups, "云阳县课后服务参与率多少")
    completion = followups.complete("家长支持率呢", state, NOW + 60)
    assert completion.borrowed == "aspect" and completion.text == "云阳县课后服务家长支持率"
    assert followups.complete("要交钱吗", state, NOW + 60).text == "云阳县课后服务要交钱"


def test_a_qualifier_is_added_to_the_whole_last_question(followups: FollowUps) -> None:
    state = after(followups, "课后服务收费标准是什么")
    completion = followups.complete("那家庭困难的呢", state, NOW + 60)
    assert completion.text == "课后服务收费标准是什么家庭困难"


@pytest.mark.parametrize("message", ["周末能补课吗", "作业太多找谁反映", "今天天气怎么样"])
def test_a_question_of_its_own_starts_afresh(followups: FollowUps, message: str) -> None:
    state = after(followups, "涪陵区课后服务怎么收费")
    completion = followups.complete(message, state, NOW + 60)
    assert completion == type(completion)(message, "", "")  # nothing borrowed, no stale place


def test_the_state_expires(followups: FollowUps) -> None:
    state = after(followups, "泸州公布举报电话了吗")
    assert followups.complete("那涪陵呢", state, NOW + 1801).borrowed == ""
    assert followups.fresh(state, NOW + 1801) is None


def test_the_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError, match="ttl"):
        FollowUps(lambda text: (None, text), ttl=0)
