"""Answers our blind reading graded misleading or irrelevant (tests/data/blind_reading.jsonl),
kept as tests: the lead answers what was asked, or the bot says it is unsure."""

from __future__ import annotations

from bot.service import Service


def test_a_school_question_is_not_answered_with_the_training_centres_rule(shipped_service: Service) -> None:
    answer = shipped_service.ask("学校暑假可以给初二学生补课吗")
    assert answer.tentative and answer.quotes[0].label == "这是关于校外培训机构的内容,不是关于学校的:"


def test_kindergarten_and_high_school_are_not_answered_with_compulsory_rules(shipped_service: Service) -> None:
    for question, stage in (("幼儿园放学后有托管吗", "幼儿园"), ("高中生周末还能去补习班吗", "高中")):
        answer = shipped_service.ask(question)
        assert answer.abstained or (answer.tentative and answer.quotes[0].label == f"这是关于义务教育阶段的内容,不是关于{stage}的:"), answer.text[:120]


def test_an_art_class_is_not_told_the_subject_tutoring_ban_as_if_it_applied(shipped_service: Service) -> None:
    answer = shipped_service.ask("周末带孩子去学画画,培训机构还能开吗")
    lead = answer.quotes[0] if answer.quotes else None
    assert lead is None or "学科类培训" not in lead.text or lead.label or answer.tentative


def test_a_question_whose_words_no_sentence_holds_is_refused(shipped_service: Service) -> None:
    answer = shipped_service.ask("小学生每天要保证睡多久")  # "时间" in the end-time rule is not sleep
    assert answer.abstained or answer.tentative
    assert not answer.quotes or "下班时间" not in answer.quotes[0].text


def test_a_cap_question_leads_with_the_cap(shipped_service: Service) -> None:
    answer = shipped_service.ask("兴趣班收费有没有上限")
    assert "不超过(原文隐去)元/课时生" in answer.quotes[0].text and "*" not in answer.text


def test_a_district_without_fees_is_named_and_the_figure_comes_labelled(shipped_service: Service) -> None:
    answer = shipped_service.ask("泸州市课后服务一次多少钱")
    assert answer.scope_note.startswith("泸州市的报告没有提到") and "以下是某区(匿名)的做法" in answer.text
    assert "2元/课时" in answer.quotes[0].text


def test_the_ad_crackdown_is_among_the_quotes_for_an_ad_question(shipped_service: Service) -> None:
    answer = shipped_service.ask("補習班的廣告貼得到處都是,有人管嗎")
    assert answer.script == "traditional" and any("廣告" in q.text for q in answer.quotes)
    assert any("違規戶外廣告招牌" in q.text or "廣告專項清理" in q.text for q in answer.quotes)
