"""Which reports speak for a place: its own, its city's, its neighbours', or none."""

from __future__ import annotations

import pytest

from bot.answering.places import Gazetteer
from bot.answering.regions import CONTAINS, NONE, OWN, SIBLING, WITHIN, RegionCatalog

REGIONS = ["重庆市涪陵区", "重庆市云阳县", "四川省泸州市", "江苏省南通市通州区", "某区(匿名)"]


@pytest.fixture(scope="module")
def catalog() -> RegionCatalog:
    return RegionCatalog.from_names(Gazetteer(), REGIONS, {"四川省泸州市": ["酒城"]})


@pytest.mark.parametrize(
    ("text", "relation", "regions", "container"),
    [
        ("涪陵区课后服务", OWN, {"重庆市涪陵区"}, ""),
        ("重庆市涪陵区课后服务", OWN, {"重庆市涪陵区"}, ""),
        ("江阳区作业", WITHIN, {"四川省泸州市"}, "四川省泸州市"),
        ("重庆的课后服务", CONTAINS, {"重庆市涪陵区", "重庆市云阳县"}, "重庆市"),
        ("渝北区托管费", SIBLING, {"重庆市涪陵区", "重庆市云阳县"}, "重庆市"),
        ("成都几点放学", SIBLING, {"四川省泸州市"}, "四川省"),
        ("北京海淀区课后服务", NONE, set(), ""),
    ],
)
def test_a_named_place_gets_the_reports_that_speak_for_it(catalog: RegionCatalog, text: str, relation: str, regions: set[str], container: str) -> None:
    scope, _ = catalog.scope(text)
    assert (scope.relation, set(scope.regions), scope.container) == (relation, regions, container)


def test_the_place_is_taken_out_of_the_topic_with_its_pointing_words(catalog: RegionCatalog) -> None:
    scope, topic = catalog.scope("涪陵那边课后服务是啥模式")
    assert scope.asked == "重庆市涪陵区" and topic == "课后服务是啥模式"


def test_an_admins_alias_the_gazetteer_does_not_know_is_matched_as_written(catalog: RegionCatalog) -> None:
    scope, topic = catalog.scope("酒城能补课吗")
    assert scope.regions == ("四川省泸州市",) and "酒城" not in topic
    assert scope.written == ("酒城",)  # a follow-up "那酒城呢" swaps the place by it


def test_a_chosen_region_applies_only_when_the_question_names_none(catalog: RegionCatalog) -> None:
    assert catalog.scope("托管费多少钱", chosen="四川省泸州市")[0].regions == ("四川省泸州市",)
    assert catalog.scope("云阳托管费多少钱", chosen="四川省泸州市")[0].regions == ("重庆市云阳县",)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("娃儿在涪陵区读书,我们在浙江打工,放学后学校能托管吗", "重庆市涪陵区"),  # the one with reports
        ("我们从涪陵搬到成都了,成都的课后服务几点结束?", "四川省成都市"),  # the one in the question
        ("我在云阳乡下带孙子,他爸妈在广东。县里给家长发过双减的通知书吗", "重庆市云阳县"),  # 乡下 is its countryside
    ],
)
def test_of_several_places_the_one_asked_about_is_chosen(catalog: RegionCatalog, text: str, asked: str) -> None:
    scope, _ = catalog.scope(text)
    assert scope.asked == asked
