"""Whose rule, which pupils, when: a question's scope and a report sentence's must agree."""

from __future__ import annotations

import pytest

from bot.answering.aspects import (
    CENTRE,
    COMPULSORY,
    HIGH,
    KINDERGARTEN,
    OFF_DAYS,
    SCHOOL,
    SUBJECT,
    disagreement,
    of_question,
    of_sentence,
)

CENTRES_ON_HOLIDAYS = "全面从严管理校外培训机构,叫停整改利用法定节假日、休息日开展面向义务教育阶段学生学科类培训,查处7所违规机构。"
SCHOOL_END_TIME = "全区所有中小学校坚持学生自愿原则,课后服务的结束时间不早于家长下班时间。"
TEACHERS_HOURS = "参与课后服务的教师,当天没有安排课后服务工作的,可以适当提前离校;"


def test_a_question_names_who_which_pupils_and_when() -> None:
    aspects = of_question("学校寒假能组织初三学生集中补课吗")
    assert aspects.provider == {SCHOOL} and aspects.stage == {COMPULSORY} and OFF_DAYS in aspects.when
    assert of_question("寒假还能给孩子报英语补习班吗").provider == {CENTRE}
    assert of_question("寒假还能给孩子报英语补习班吗").kind == {SUBJECT}
    assert of_question("高中生周末还能去补习班吗").stage == {HIGH}
    assert of_question("幼儿园放学后有托管吗").stage == {KINDERGARTEN}
    assert of_question("课后服务怎么收费").empty is False and of_question("怎么办").empty


def test_a_sentence_that_names_no_stage_is_about_compulsory_education() -> None:
    assert of_sentence("严格监控学生书面作业量。").stage == {COMPULSORY}
    assert of_sentence("主城区新建公办幼儿园6所,增加学位2100个。").stage == {KINDERGARTEN}


@pytest.mark.parametrize(
    "question, sentence, dimension",
    [
        ("学校暑假可以给初二学生补课吗", CENTRES_ON_HOLIDAYS, "provider"),  # a centres' rule is not a school's
        ("高中生周末还能去补习班吗", CENTRES_ON_HOLIDAYS, "stage"),  # 义务教育 is not 高中
        ("幼儿园放学后有托管吗", SCHOOL_END_TIME, "stage"),
        ("周末带孩子去学画画,培训机构还能开吗", CENTRES_ON_HOLIDAYS, "kind"),  # 学科类 is not art
        ("暑假学校有托管吗", SCHOOL_END_TIME, "when"),  # an ordinary day's rule is not the holidays'
        ("孩子几点放学", TEACHERS_HOURS, "teachers"),  # teachers' hours are not pupils'
    ],
)
def test_a_neighbouring_rule_disagrees_and_says_on_what(question: str, sentence: str, dimension: str) -> None:
    off = disagreement(of_question(question), of_sentence(sentence))
    assert off is not None and off.dimension == dimension
    assert off.label().endswith(":")


@pytest.mark.parametrize(
    "question, sentence",
    [
        ("寒假还能给孩子报英语补习班吗", CENTRES_ON_HOLIDAYS),
        ("课后服务几点结束", SCHOOL_END_TIME),
        ("课后服务的老师下班太晚有照顾吗", TEACHERS_HOURS),
        ("学校老师能在外面兼职上课吗", "重拳整治要求家长批改作业、教师有偿补课、校外兼课等违规违纪行为。"),
        ("怎么办", CENTRES_ON_HOLIDAYS),  # a question that names no scope agrees with any
        # a teacher's paid tutoring is banned on any day: the weekend does not set the rule apart
        ("数学老师周末在自己家收钱补课,管不管", "重拳整治要求家长批改作业、教师有偿补课、校外兼课等违规违纪行为。"),
    ],
)
def test_the_rule_for_what_was_asked_agrees(question: str, sentence: str) -> None:
    assert disagreement(of_question(question), of_sentence(sentence)) is None


def test_the_label_says_what_the_excerpt_is_about() -> None:
    off = disagreement(of_question("学校暑假可以补课吗"), of_sentence(CENTRES_ON_HOLIDAYS))
    assert off is not None and off.label() == "这是关于校外培训机构的内容,不是关于学校的:"
