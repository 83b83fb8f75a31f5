"""Rules on paying that differ (charged, reduced, free) are quoted together, each labelled."""

from __future__ import annotations

from bot.answering.mixed import CASES_HEAD, CHARGED, FREE, REDUCED, kind_of
from bot.service import Service
from bot.telegram.render import render_answer


def test_sentences_are_told_apart_by_what_they_say_about_paying() -> None:
    assert kind_of("按照不高于2元/课时生标准收取课后服务费") == CHARGED
    assert kind_of("对于家庭经济困难学生参与课后服务的要减免费用。") == REDUCED
    assert kind_of("课后服务的结束时间不早于家长下班时间,并无偿提供延时托管服务。") == FREE
    assert kind_of("在学校无偿提供场地、水电费等基础上由家长承担") == CHARGED  # free premises, paid by parents
    assert kind_of("对培训机构招生收费等行为进行把脉诊断") == ""  # a mention, not a rule on paying


def test_is_it_free_gets_each_case_with_its_condition(shipped_service: Service) -> None:
    answer = shipped_service.ask("课后服务是免费的吗")
    labels = [q.label for q in answer.quotes[: answer.cases]]
    assert labels == [CHARGED, REDUCED, FREE]
    assert "2元/课时" in answer.quotes[0].text and "减免" in answer.quotes[1].text and "无偿提供延时托管服务" in answer.quotes[2].text
    assert answer.text.startswith(CASES_HEAD) and not answer.tentative
    html = render_answer(answer)[0]
    assert html.startswith("<b>答:</b>" + CASES_HEAD) and "<b>减免:</b>" in html


def test_the_general_rule_keeps_the_figure_the_next_sentence_gives(shipped_service: Service) -> None:
    answer = shipped_service.ask("课后服务怎么收费")
    first = answer.quotes[0].text
    assert "收取一定费用" in first and "不高于2元/课时生" in first  # one answering unit, not the first sentence alone


def test_a_question_about_one_case_gets_that_case_first(shipped_service: Service) -> None:
    answer = shipped_service.ask("家里是低保户,课后服务费能少交吗")
    assert answer.cases and answer.quotes[0].label == REDUCED and "减免费用" in answer.quotes[0].text


def test_a_named_district_never_gets_another_districts_cases_unlabelled(shipped_service: Service) -> None:
    answer = shipped_service.ask("泸州市课后服务一次多少钱")  # 泸州's report says nothing on fees
    assert answer.text.startswith("泸州市的报告没有提到")
    assert all(q.passage.region == "某区(匿名)" for q in answer.quotes[: answer.cases])
