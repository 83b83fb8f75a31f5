"""bot.answering.amounts and bot.answering.notice: amounts, the kind of notice, the question,
and the fee comparison (on the fixtures' known text; no OCR runs here)."""

from __future__ import annotations

import pytest

from bot.answering.amounts import find_amounts
from bot.answering.notice import asks_about_fees, compare_fees, question_for, read_notice
from bot.records import Hit
from tests.helpers_index import make_passage
from tests.ocr.helpers import truth

SURVEY_FEES = (
    "参加托管服务的学生,按照不高于2元/课时生标准(不得超过*元/学期生)收取课后服务费,对参与课后服务的学校、单位和教师给予适当补助。"
    "将课后服务经费纳入政府预算,按学校教师发放标准下限(*元/课时)核算出年度支出费用总额。"
)


def notice_of(name: str):
    return read_notice(truth(name).splitlines())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("按每生每课时3元收取", [(3.0, "课时")]),
        ("合计每生每月60元。", [(60.0, "月")]),
        ("兴趣社团另收材料费一百二十元/学期。", [(120.0, "学期")]),
        ("午托每月三百五十元,晚托每次十五元", [(350.0, "月"), (15.0, "次")]),
        ("收三元", [(3.0, "")]),
        ("学费¥1,200/人/学期", [(1200.0, "学期")]),
        ("每节课30块钱", [(30.0, "课时")]),
        ("收费标准:30元/人/次", [(30.0, "次")]),
        ("两元一次,三十元一节课", [(2.0, "次"), (30.0, "课时")]),
        ("每课时两元五角,每月约四十元", [(2.5, "课时"), (40.0, "月")]),
        ("两块五一节,3元5角/次,五块钱", [(2.5, "课时"), (3.5, "次"), (5.0, "")]),
        ("报名从3月1日开始,共20课时", []),
    ],
)
def test_amounts_with_what_they_are_charged_per(text: str, expected: list[tuple[float, str]]) -> None:
    assert [(a.value, a.per) for a in find_amounts(text)] == expected


def test_a_hidden_report_figure_and_a_ceiling_are_recognised() -> None:
    figures = find_amounts("按照不高于2元/课时生标准(不得超过*元/学期生)")
    assert [(f.value, f.per, f.ceiling) for f in figures] == [(2.0, "课时", True), (None, "学期", True)]
    assert figures[1].describe() == "每学期*元"


@pytest.mark.parametrize(
    ("name", "kind", "topic", "question"),
    [
        ("fee_notice_photo.jpg", "fee", "课后服务", "课后服务怎么收费?"),
        ("fee_screenshot.png", "fee", "课后服务", "课后服务怎么收费?"),
        ("homework_screenshot.png", "homework", "作业", "书面作业时间和作业量有什么规定?"),
        ("training_ad.jpg", "training", "校外培训", "周末和节假日还能上学科类培训吗?"),
    ],
)
def test_the_kind_of_notice_chooses_the_question(name: str, kind: str, topic: str, question: str) -> None:
    notice = notice_of(name)
    assert (notice.kind, notice.topic) == (kind, topic)
    assert question_for(notice) == (question, True)


def test_what_a_parent_is_shown_of_a_fee_notice() -> None:
    notice = notice_of("fee_notice_photo.jpg")
    assert notice.title == "关于收取课后服务费的通知"
    assert [a.describe() for a in notice.amounts] == ["每课时3元", "每月60元", "每学期120元"]
    assert all("元" in line for line in notice.key_lines)


def test_a_screenshot_s_chrome_is_not_the_notice() -> None:
    notice = notice_of("fee_screenshot.png")
    assert "9:41" not in notice.key_lines and "收到" not in notice.key_lines
    assert [a.describe() for a in notice.amounts] == ["每月350元", "每次15元", "每课时40元"]


def test_a_training_ad_names_its_subjects_and_times() -> None:
    notice = notice_of("training_ad.jpg")
    assert notice.subjects == ("语文", "数学", "英语") and notice.times == ("周六", "周日", "寒假")


def test_an_unknown_notice_asks_nothing_without_a_caption() -> None:
    notice = read_notice(["春游安全须知", "请穿运动鞋,带好水杯。"])
    assert notice.kind == "other"
    assert question_for(notice) == ("", True)
    assert question_for(notice, "要带午饭吗?") == ("要带午饭吗?", False)


def test_a_caption_that_points_at_the_notice_gets_its_topic() -> None:
    notice = notice_of("fee_notice_photo.jpg")
    assert question_for(notice, "这个收费合理吗?") == ("这个收费合理吗?(课后服务收费)", False)
    assert question_for(notice, "课后服务能不参加吗?") == ("课后服务能不参加吗?", False)
    assert asks_about_fees("这个收费合理吗?") and asks_about_fees("") and not asks_about_fees("几点放学?")


def test_fees_are_set_beside_the_reports_figures_per_the_same_unit() -> None:
    notice = notice_of("fee_notice_photo.jpg")
    hits = [Hit(make_passage("district-survey-report.txt", 1, SURVEY_FEES, region="某区(匿名)"), 1.0)]
    comparisons, others = compare_fees(notice, hits)
    by_unit = {c.amount.describe(): c.quotes for c in comparisons}
    assert by_unit["每课时3元"] == (("某区(匿名)", "参加托管服务的学生,按照不高于2元/课时生标准(不得超过*元/学期生)收取课后服务费"),)
    assert by_unit["每学期120元"] == by_unit["每课时3元"]  # the same clause gives the per-term ceiling
    assert by_unit["每月60元"] == ()  # the reports set nothing per month
    assert others == ()
    quoted = " ".join(q for quotes in by_unit.values() for _, q in quotes)
    assert "发放标准" not in quoted  # teachers' pay is no fee
