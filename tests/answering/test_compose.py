"""Extractive answers: the answering sentence leads, sources are cited, scripts follow the parent."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.compose import AnswerComposer, split_sentences
from bot.answering.coverage import TermStatistics
from bot.answering.query import QueryAnalyzer
from bot.corpus.terms import load_terms
from bot.records import Hit, Hotline, Passage
from bot.text import Tokenizer, normalize

FEES = (
    "参加托管服务的学生,按照不高于2元/课时生标准(不得超过*元/学期生)收取课后服务费,对参与课后服务的学校、单位和教师给予适当补助。"
    "参加个性化课程的学生,所产生的成本在学校无偿提供场地、水电费等基础上由家长承担。"
)
LUZHOU = "加強社會監督,公布市縣兩級投訴舉報電話,並對100余件群眾反映的問題核實回復,回復率達100%。"
HOTLINES = (Hotline("全国", "12345政务服务便民热线", number="12345"), Hotline("四川省泸州市", "泸州市教育局", number="0830-0000000"))


def passage(pid: int, text: str, region: str, script: str = "simplified") -> Passage:
    return Passage(
        id=pid, doc_id=f"{pid}.txt", title="报告", region=region, section="", text=text,
        search_text=normalize(text), start=0, end=len(text), date="2022-08-22", script=script,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def analyzer() -> QueryAnalyzer:
    terms = load_terms(Path(__file__).resolve().parents[2] / "corpus" / "terms.toml")
    return QueryAnalyzer(terms, Tokenizer(terms.dictionary), ["四川省泸州市", "某区"])


@pytest.fixture(scope="module")
def composer() -> AnswerComposer:
    docs = [passage(1, FEES, "某区"), passage(2, LUZHOU, "四川省泸州市", "traditional")]
    return AnswerComposer(TermStatistics(docs), HOTLINES)


def test_sentences_split_on_chinese_stops() -> None:
    assert split_sentences("一是作业公示。二是课后服务!三是“双减”。") == ["一是作业公示。", "二是课后服务!", "三是“双减”。"]


def test_a_fee_question_leads_with_the_sentence_holding_the_figure(analyzer: QueryAnalyzer, composer: AnswerComposer) -> None:
    query = analyzer.analyze("托管费按什么标准收")
    answer = composer.compose(query, [Hit(passage(1, FEES, "某区"), 1.0)], confidence=0.9)
    assert answer.text.startswith("参加托管服务的学生,按照不高于2元/课时生标准")
    assert "《报告》, 某区, 2022-08-22" in answer.text.splitlines()[1]
    assert "各地规定不尽相同" in answer.notice
    assert "12345" in answer.text  # a hotline is always there


def test_a_traditional_question_gets_a_traditional_answer(analyzer: QueryAnalyzer, composer: AnswerComposer) -> None:
    query = analyzer.analyze("托管費怎麼收")
    answer = composer.compose(query, [Hit(passage(1, FEES, "某区"), 1.0)], confidence=0.9)
    assert answer.script == "traditional"
    assert "參加託管服務的學生" in answer.text and "課後服務費" in answer.text
    assert "各地規定不盡相同" in answer.text


def test_a_traditional_report_is_quoted_as_written_for_a_traditional_question(analyzer: QueryAnalyzer, composer: AnswerComposer) -> None:
    query = analyzer.analyze("投訴以後有回復嗎")
    answer = composer.compose(query, [Hit(passage(2, LUZHOU, "四川省泸州市", "traditional"), 1.0)], confidence=0.9)
    assert answer.quotes[0].text == LUZHOU


def test_complaint_questions_get_the_local_hotline_first(analyzer: QueryAnalyzer, composer: AnswerComposer) -> None:
    query = analyzer.analyze("泸州投诉打什么电话")
    answer = composer.compose(query, [Hit(passage(2, LUZHOU, "四川省泸州市", "traditional"), 1.0)], confidence=0.9)
    assert [h.name for h in answer.hotlines] == ["泸州市教育局", "12345政务服务便民热线"]
    assert "公布市县两级投诉举报电话" in answer.text  # the report's own sentence, Simplified for this parent


def test_abstention_is_short_and_gives_the_directory(analyzer: QueryAnalyzer, composer: AnswerComposer) -> None:
    query = analyzer.analyze("高考分数线是多少")
    answer = composer.abstain(query, [], confidence=0.1)
    assert answer.abstained and not answer.quotes
    assert answer.text.startswith("抱歉")
    assert "12345" in answer.text and "0830-0000000" in answer.text


def test_numbers_in_an_answer_come_from_the_report_or_the_directory(analyzer: QueryAnalyzer, composer: AnswerComposer) -> None:
    import re

    query = analyzer.analyze("托管费按什么标准收")
    answer = composer.compose(query, [Hit(passage(1, FEES, "某区"), 1.0)], confidence=0.9)
    allowed = FEES + "12345" + "2022-08-22"
    assert all(number in allowed for number in re.findall(r"\d+", answer.text))


CLOSURES = (
    "二是抓学科类培训机构压减。制定校外培训机构复核审批办法,规范审批流程,“一对一”引导学科类培训机构向非学科类转型。"
    "全区68家学科类培训机构,已关停注销43家,转型非学科培训机构25家,压减率100%。"
)


def test_a_how_many_question_leads_with_the_figure(analyzer: QueryAnalyzer, composer: AnswerComposer) -> None:
    query = analyzer.analyze("以前那些教数学英语的补课机构,现在到底关了好多家哦?")
    answer = composer.compose(query, [Hit(passage(3, CLOSURES, "某区"), 1.0)], confidence=0.9)
    assert "已关停注销43家" in answer.text.split("\n", 1)[0]


TURNOVER = (
    "引导校外培训机构转型发展,70余所学科类校外培训机构转型、暂停营业或注销,学科类培训机构压减率达30%。"
    "加强社会监督,公布市县两级投诉举报电话,并对100余件群众反映的问题核实回复,回复率达100%。"
)


def test_the_parents_own_word_found_as_written_beats_an_official_equivalent(analyzer: QueryAnalyzer) -> None:
    # 补课 meets 校外培训 in the first sentence, 回复率 is the second's own word: they weigh alike
    query = analyzer.analyze("泸州补课回复率")
    docs = [passage(4, TURNOVER, "四川省泸州市"), passage(5, "严禁在职教师有偿补课。", "某区"), passage(1, FEES, "某区")]
    composer = AnswerComposer(TermStatistics(docs), HOTLINES)
    answer = composer.compose(query, [Hit(passage(4, TURNOVER, "四川省泸州市"), 1.0)], confidence=0.9)
    assert "回复率达100%" in answer.text.split("\n", 1)[0]
