"""Homophone slips from pinyin keyboards are fixed towards the domain vocabulary."""

from __future__ import annotations

import pytest

from bot.spelling import HomophoneCorrector, sound_key

VOCABULARY = ["课后服务", "举报电话", "补课", "校外培训", "有偿补课", "几点结束", "双减", "其中"]
CORPUS = "课后服务的结束时间不早于家长下班时间。设立举报电话。其中小学8所。期中"


@pytest.fixture(scope="module")
def corrector() -> HomophoneCorrector:
    return HomophoneCorrector(VOCABULARY, CORPUS)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("课后服误怎么收费", "课后服务怎么收费"),
        ("举报电化是多少", "举报电话是多少"),
        ("周末能不能补科", "周末能不能补课"),
        ("校外陪训机构", "校外培训机构"),
        ("老师有尝补课", "老师有偿补课"),
        ("课后服务几点借宿", "课后服务几点结束"),  # jie shu / jie su: a merged southern sound
    ],
)
def test_slips_are_fixed(corrector: HomophoneCorrector, typed: str, meant: str) -> None:
    assert corrector.correct(typed)[0] == meant


def test_the_fix_is_reported(corrector: HomophoneCorrector) -> None:
    assert corrector.correct("举报电化")[1] == (("举报电化", "举报电话"),)


def test_words_the_reports_use_are_never_changed(corrector: HomophoneCorrector) -> None:
    # 期中 sounds like the vocabulary word 其中 but occurs in the reports itself.
    assert corrector.correct("期中考试") == ("期中考试", ())


def test_text_without_slips_is_unchanged(corrector: HomophoneCorrector) -> None:
    assert corrector.correct("课后服务怎么收费?5+2") == ("课后服务怎么收费?5+2", ())
    assert corrector.correct("") == ("", ())


def test_merged_sounds_share_a_key() -> None:
    assert sound_key("结束") == sound_key("借宿")
    assert sound_key("服务") == sound_key("服误")
    assert sound_key("课程") != sound_key("可以")
