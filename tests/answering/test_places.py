"""Place names from jionlp's gazetteer: what is a place, which one, and what is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.places import Gazetteer, Place, read_divisions
from bot.text import Tokenizer


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    tokenizer = Tokenizer()
    tokenizer.initialize()
    return Gazetteer(common=tokenizer.frequency)


def names(gazetteer: Gazetteer, text: str, prefer: tuple[Place, ...] = ()) -> list[str]:
    return [place.name for _, place in gazetteer.places(text, prefer)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("重庆涪陵区课后服务收费吗", ["重庆市涪陵区"]),
        ("涪陵的作业多不多", ["重庆市涪陵区"]),
        ("北京海淀区课后服务怎么收费", ["北京市海淀区"]),
        ("杭州西湖区几点放学", ["浙江省杭州市西湖区"]),
        ("成都市课后服务几点结束", ["四川省成都市"]),
        ("江阳区作业有什么要求", ["四川省泸州市江阳区"]),
        ("我们是四川的", ["四川省"]),
        ("海南的学校", ["海南省"]),  # the province before 乌海's 海南区
    ],
)
def test_places_are_recognised_in_any_form(gazetteer: Gazetteer, text: str, expected: list[str]) -> None:
    assert names(gazetteer, text) == expected


def test_another_place_in_the_message_decides_an_ambiguous_name(gazetteer: Gazetteer) -> None:
    assert names(gazetteer, "北京通州区课后服务") == ["北京市通州区"]
    assert names(gazetteer, "南通通州区课后服务") == ["江苏省南通市通州区"]
    # the same name said again later ("江北这边") does not outvote the province the parent named
    assert set(names(gazetteer, "我们在重庆江北区,想问下江北这边咋个规定的")) == {"重庆市江北区"}


def test_an_ambiguous_name_alone_prefers_a_place_with_reports_else_stays_unqualified(gazetteer: Gazetteer) -> None:
    tongzhou = Place("江苏省", "南通市", "通州区")
    assert names(gazetteer, "通州课后服务", prefer=(tongzhou,)) == ["江苏省南通市通州区"]
    assert names(gazetteer, "南山区作业") == ["南山区"]


@pytest.mark.parametrize("text", ["泸州新建了几所公办幼儿园", "学校在城区", "城关镇小学", "长安街", "课后服务怎么收费", "老师在家补课"])
def test_everyday_words_are_not_places(gazetteer: Gazetteer, text: str) -> None:
    found = names(gazetteer, text)
    assert found in ([], ["四川省泸州市"]), found


def test_an_everyday_word_counts_as_a_place_where_it_is_meant_as_one(gazetteer: Gazetteer) -> None:
    assert names(gazetteer, "南昌新建") == ["江西省南昌市新建区"]
    assert names(gazetteer, "那和平呢")  # 和平区 / 和平县: a place, unqualified


def test_the_table_is_read_by_depth(tmp_path: Path) -> None:
    table = tmp_path / "china_location.txt"
    table.write_text("重庆市\t500000\t重庆\n\t重庆市\t500000\t重庆\n\t\t涪陵区\t500102\t涪陵\n\t\t\t某镇\n四川省\t510000\t四川\n\t泸州市\t510500\t泸州\n\t\t江阳区\t510502\t江阳\n", encoding="utf-8")
    divisions = read_divisions(table)
    assert (Place("重庆市", "重庆市", "涪陵区"), ("涪陵区", "涪陵")) in divisions
    assert (Place("四川省", "泸州市"), ("泸州市", "泸州")) in divisions
    assert all("某镇" not in names for _, names in divisions)  # towns are skipped
    small = Gazetteer(table)
    assert [p.name for _, p in small.places("泸州江阳区怎么样")] == ["四川省泸州市江阳区"]


def test_the_table_is_read_from_the_wheels_zip(tmp_path: Path) -> None:
    """A fresh install has only china_location.zip (jionlp unzips it on its own first import,
    which the bot never does): the table is read straight out of the zip."""
    import zipfile

    from bot.answering.places import gazetteer_file

    with zipfile.ZipFile(tmp_path / "china_location.zip", "w") as archive:
        archive.writestr("china_location.txt", "四川省\t510000\t四川\n\t泸州市\t510500\t泸州\n\t\t江阳区\t510502\t江阳\n")
    small = Gazetteer(tmp_path / "china_location.zip")
    assert [p.name for _, p in small.places("泸州江阳区怎么样")] == ["四川省泸州市江阳区"]
    assert gazetteer_file().name in ("china_location.txt", "china_location.zip") and gazetteer_file().is_file()


def test_a_missing_table_is_logged_and_nothing_is_recognised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    gazetteer = Gazetteer(tmp_path / "missing.txt")
    assert gazetteer.places("重庆涪陵区") == []
    assert "cannot read the gazetteer" in caplog.text


def test_a_county_name_whose_second_half_starts_an_everyday_word_is_not_a_place(gazetteer: Gazetteer) -> None:
    assert names(gazetteer, "苏州学校的延时服务到底都安排些什么内容") == ["江苏省苏州市"]  # 都安 + 安排
    assert names(gazetteer, "都安县的学校几点放学") == ["广西壮族自治区河池市都安瑶族自治县"]
    assert names(gazetteer, "那南通通州呢") == ["江苏省南通市通州区"]
