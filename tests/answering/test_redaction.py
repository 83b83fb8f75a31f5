"""Redaction marks of the anonymised report: kept in the index, shown whole to parents."""

from __future__ import annotations

import re

import pytest

from bot.answering.redaction import HIDDEN, has_marks, mostly_hidden, unredact
from bot.service import Service
from bot.text import to_traditional


@pytest.mark.parametrize(
    "text, shown",
    [
        ("按照不高于2元/课时生标准(不得超过*元/学期生)收取", "按照不高于2元/课时生标准(不得超过(原文隐去)元/学期生)收取"),
        ("自20XX年秋学期开始,全区", "自(原文隐去)秋学期开始,全区"),
        ("*区现有*所义务段中小学校", "某区现有(原文隐去)所义务段中小学校"),
        ("占比为*%,参与教师*人", "占比为(原文隐去),参与教师(原文隐去)人"),
        ("按学校教师发放标准下限(*元/课时)", "按学校教师发放标准下限(原文隐去元/课时)"),
        ("合九中和*学校共建", "合九中和某学校共建"),
        ("成果汇编*余册", "成果汇编(原文隐去)册"),
        ("共**人参加", "共(原文隐去)人参加"),
        ("5+2 课后服务,1+X 模式,AB岗", "5+2 课后服务,1+X 模式,AB岗"),  # no marks: unchanged
    ],
)
def test_marks_are_rendered_whole(text: str, shown: str) -> None:
    assert unredact(text) == shown
    assert has_marks(text) == (text != shown)


def test_no_figure_is_left_half_hidden() -> None:
    for text in ("共2*所学校", "投入*.5万元", "20**年", "占比为9*%"):
        shown = unredact(text)
        assert "*" not in shown and not re.search(r"\d" + re.escape(HIDDEN) + r"|" + re.escape(HIDDEN) + r"\d", shown), shown


def test_a_statistic_whose_figures_are_all_hidden_is_recognised() -> None:
    assert mostly_hidden("全区共有*名中小学生参与课后服务,占比为*%")
    assert not mostly_hidden("按照不高于2元/课时生标准(不得超过*元/学期生)")
    assert not mostly_hidden("自20XX年秋学期开始,坚持学生自愿原则")  # a hidden year hides no figure


QUESTIONS = ("托管费多少钱", "课后服务几点结束", "兴趣班收费有没有上限", "课后服务收的钱是怎么用的", "某区有多少学生参加课后服务", "双减宣传报道了多少篇")


def test_no_answer_shows_a_mark_in_either_script(shipped_service: Service) -> None:
    for question in (*QUESTIONS, *(to_traditional(q) for q in QUESTIONS)):
        answer = shipped_service.ask(question)
        shown = [answer.text, *(q.text for q in answer.quotes), *(q.text for q in answer.extra_excerpts)]
        for text in shown:
            assert "*" not in text and "＊" not in text and not re.search(r"\dXX|XX年", text), (question, text[:120])
    assert "*" in shipped_service.ask("托管费多少钱").quotes[0].passage.text  # the index keeps the mark
