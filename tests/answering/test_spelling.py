"""Homophone slips from pinyin keyboards are fixed towards the domain vocabulary."""

from __future__ import annotations

import pytest

from bot.answering.spelling import HomophoneCorrector, sound_key

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


def test_a_stretch_must_sit_on_word_boundaries() -> None:
    corrector = HomophoneCorrector(["无证"], "")
    spans = [("课后服务", 0, 4), ("怎么", 4, 6), ("收费", 6, 8)]
    # 务怎 (wu zen) sounds like 无证 (wu zheng) once zh/z and eng/en merge, but crosses words.
    assert corrector.correct("课后服务怎么收费", spans) == ("课后服务怎么收费", ())


def test_common_words_are_not_taken_for_slips() -> None:
    frequency = {"房价": 655, "该": 20000}.get
    corrector = HomophoneCorrector(["放假", "家长改"], "", lambda w: frequency(w) or 0)
    assert corrector.correct("房价最高", [("房价", 0, 2), ("最高", 2, 4)])[1] == ()
    assert corrector.correct("家长该怎么办", [("家长", 0, 2), ("该", 2, 3), ("怎么办", 3, 6)])[1] == ()
    assert corrector.correct("补科", [("补科", 0, 2)]) == ("补科", ())  # no vocabulary word sounds like it


def test_with_the_real_tokenizer(shipped_service) -> None:
    analyzer = shipped_service.pipeline.analyzer
    assert analyzer.analyze("课后服务怎么收费?").corrections == ()
    assert analyzer.analyze("哪个城市的房价最高").corrections == ()
    assert analyzer.analyze("孩子厌学不想上学怎么办").corrections == ()
    assert analyzer.analyze("课后服务几点借宿").text == "课后服务几点结束"
    assert analyzer.analyze("云阳县的五大行栋是哪五个").text == "云阳县的五大行动是哪五个"  # a word of the reports' headings
    assert analyzer.analyze("付陵的娃儿作业做得完不").text.startswith("涪陵")  # a report's place


def test_a_sample_of_a_large_corpus_ranks_sound_alike_words() -> None:
    """其中 and 期中 sound alike: the word used more wins; a sample (national index) can decide that."""
    assert HomophoneCorrector(["其中", "期中"], "其中其中期中").by_sound[sound_key("其中")] == "其中"
    sampled = HomophoneCorrector(["其中", "期中"], "其中其中期中", sample_text="期中")
    assert sampled.by_sound[sound_key("其中")] == "期中"
    assert sampled.corpus_text == "其中其中期中"  # the reports' own words are still checked in full


def test_a_verb_and_its_particle_is_not_a_slip_for_a_word_that_sounds_alike() -> None:
    corrector = HomophoneCorrector(["减了", "补课"], "压减")
    assert corrector.correct("寄宿学校建了几所", [("寄宿", 0, 2), ("学校", 2, 4), ("建了", 4, 6), ("几所", 6, 8)])[0] == "寄宿学校建了几所"
