"""Lead sentences: a whole answering unit, holding what the question is about."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.coverage import TermStatistics
from bot.answering.leads import LeadPicker
from bot.answering.query import QueryAnalyzer
from bot.corpus.terms import load_terms
from bot.records import Passage
from bot.text import Tokenizer, normalize

CHECKS = (
    "全面摸排校外培训机构实情,精准查处藏匿于居民楼、小区或举办者家中的非法校外培训机构。"
    "公安、教育、市场监管等部门联合开展常态化执法检查126次,约谈培训机构31所,关停非法培训机构5所。"
    "设立举报电话,公开举报信箱,鼓励群众监督校外培训行为。"
)
BUILDING = "主城区新建公办幼儿园6所,增加学位2100个。"


def passage(pid: int, text: str, region: str = "某区") -> Passage:
    return Passage(
        id=pid, doc_id=f"{pid}.txt", title="报告", region=region, section="", text=text,
        search_text=normalize(text), start=0, end=len(text), date="2022-08-22", script="simplified",  # type: ignore[arg-type]
    )


DOCS = [passage(1, CHECKS, "重庆市涪陵区"), passage(2, "参加托管服务的学生,按照不高于2元/课时生标准收取课后服务费。"), passage(3, BUILDING)]


@pytest.fixture(scope="module")
def analyzer() -> QueryAnalyzer:
    terms = load_terms(Path(__file__).resolve().parents[2] / "corpus" / "terms.toml")
    return QueryAnalyzer(terms, Tokenizer(terms.dictionary), ["重庆市涪陵区", "某区"])


def test_the_next_sentence_joins_when_it_answers_as_much(analyzer: QueryAnalyzer) -> None:
    lead = LeadPicker(TermStatistics(DOCS)).best(analyzer.analyze("非法培训机构查得怎么样"), DOCS[0])
    assert lead.text.startswith("全面摸排") and "执法检查126次" in lead.text and "举报信箱" not in lead.text


def test_a_sentence_naming_only_the_pupils_does_not_hold_the_question(analyzer: QueryAnalyzer) -> None:
    picker = LeadPicker(TermStatistics(DOCS))
    assert not picker.best(analyzer.analyze("幼儿园放学后有托管吗"), DOCS[2]).worded  # 幼儿园, but not 托管
    assert picker.best(analyzer.analyze("新建了几所幼儿园"), DOCS[2]).worded


def test_a_lead_ending_in_a_semicolon_comes_with_its_other_half(analyzer: QueryAnalyzer) -> None:
    clubs = passage(
        4, "城一校创新课后服务形式,学生自主选择课程和教师,打破班级、年级界限,实行分层走班教学;城七校常年开设戏曲、合唱、舞蹈、器乐等41门社团课程。学校食堂运行良好。"
    )
    lead = LeadPicker(TermStatistics([*DOCS, clubs])).best(analyzer.analyze("课后服务开了哪些课"), clubs)
    assert lead.text.endswith("41门社团课程。")


def test_a_heading_does_not_count_against_the_sentences_of_a_lead(analyzer: QueryAnalyzer) -> None:
    closures = passage(
        5,
        "二是抓学科类培训机构压减。制定校外培训机构复核审批办法,规范审批流程,建立教育、民政、市场监管等部门联席会议机制,引导学科类培训机构向非学科类转型。"
        "全区68家学科类培训机构,已关停注销43家,转型非学科培训机构25家,压减率100%。",
    )
    lead = LeadPicker(TermStatistics([*DOCS, closures])).best(analyzer.analyze("那些学科类培训机构是不是都关完了"), closures)
    assert lead.text.startswith("二是") and "已关停注销43家" in lead.text
