"""Long messages: the clauses that ask are told from the story around them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.focus import Focus, asking_spans, asks, split
from bot.answering.intent import Intent
from bot.answering.query import QueryAnalyzer
from bot.corpus.terms import load_terms
from bot.text import Tokenizer

REGIONS = ["重庆市涪陵区", "江苏省南通市通州区", "四川省泸州市", "重庆市云阳县"]
STORY = "娃儿读小学四年级,每天晚上作业要做到十点多,眼睛都熬红了。想问下区里对作业到底有没得啥子管控措施?"


@pytest.fixture(scope="module")
def analyzer() -> QueryAnalyzer:
    terms = load_terms(Path(__file__).resolve().parents[2] / "corpus" / "terms.toml")
    return QueryAnalyzer(terms, Tokenizer(terms.dictionary), REGIONS)


@pytest.mark.parametrize("clause", ["课后服务收费吗", "有没有举报电话", "几点放学", "投诉了有人回复不", "老师能不能补课", "谁管这个事?", "有人检查没得", "发了告家长书没有",
                                    "关了好多家", "有好多个社团", "作业管得严不严"])
def test_clauses_that_ask(clause: str) -> None:
    assert asks(clause)


@pytest.mark.parametrize("clause", ["娃儿读小学四年级,", "眼睛都熬红了。", "我跟他爸在浙江打工", "老公常年出差",
                                    "班上好多人都报了", "兴趣班动不动喊一次交几千块", "楼下原来好几个没挂牌的补课点", "班上十几个娃"])
def test_clauses_that_only_tell(clause: str) -> None:
    assert not asks(clause)


def test_the_story_is_split_from_the_question() -> None:
    focus = split(STORY)
    assert focus.question == "想问下区里对作业到底有没得啥子管控措施?"
    assert focus.story.startswith("娃儿读小学四年级") and "熬红" in focus.story


@pytest.mark.parametrize("text", ["课后服务几点结束", "孩子几年级了?课后服务几点结束?", "作业太多了,作业太晚了"])
def test_a_message_of_one_kind_of_clause_is_all_question(text: str) -> None:
    assert split(text) == Focus(text)


def test_asking_spans_point_at_the_question() -> None:
    (start, end), = asking_spans(STORY)
    assert STORY[start:end].startswith("想问下")


def test_story_words_are_marked_and_the_intent_comes_from_the_question(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("我们上班到六点半,奶奶来接要等很久。涪陵区对作业有没有管控措施?")
    assert {"作业", "管控"} <= set(query.words) and not {"作业", "管控"} & query.story
    assert "上班" in query.story and "奶奶" not in query.words  # a kin word is never a topic
    paid = analyzer.analyze("上学期交了八百块托管费,孩子也不爱去。学校的课后服务能不能不参加?")
    assert paid.intent is Intent.PERMISSION  # the fee is the family's case; whether they may opt out is asked


def test_a_bare_question_clause_keeps_the_story_at_full_weight(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("学校晚托要到六点半,收费吗")
    assert query.story == frozenset()  # "收费吗" alone says too little: the story is what is asked about


def test_what_to_do_is_read_anywhere_in_the_message(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("泸州有培训机构周末还在上数学课,我想投诉,有没有电话?投诉了有人回复不")
    assert query.intent is Intent.REMEDY


def test_borrowed_context_weighs_as_a_story(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("涪陵老师轮岗吗音体美老师够不够", context="老师轮岗吗")
    assert "轮岗" in query.story and "音体美" not in query.story


def test_in_a_long_message_everyday_words_only_add_when_found(analyzer: QueryAnalyzer) -> None:
    long = analyzer.analyze("南通通州的学校每天布置些啥作业家长能提前知道吗有没有公开的地方能看")
    assert {"看", "地方"} <= long.story and "作业" not in long.story
    short = analyzer.analyze("周末带孩子去哪里玩")
    assert "玩" in short.words and "玩" not in short.story  # a short question is about every word it has


def test_words_asking_for_a_kind_of_answer_only_add_when_found(analyzer: QueryAnalyzer) -> None:
    assert analyzer.analyze("涪陵作业有什么规定").story == frozenset({"规定"})
    assert analyzer.analyze("有什么规定").story == frozenset()  # nothing else to ask about


def test_permission_words_only_add_when_found(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("学校准不准娃儿带手机进教室?我想给他买个电话手表方便联系")
    assert "手机" not in query.story and {w for w in query.words if w in ("准", "不准")} <= query.story


def test_the_last_clause_asks_when_the_message_ended_with_a_question_mark() -> None:
    text = "作业少了我怕娃儿学不到。学校有没有改,让娃儿课堂上就学会"  # the ? went with the filler
    assert split(text).question == "学校有没有改,"
    assert split(text, ends_asking=True).question == "学校有没有改,让娃儿课堂上就学会"


def test_a_long_message_ending_in_a_question_mark_asks_with_its_last_clause(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("双减以后作业少了,我怕娃儿在学校学不到东西。现在学校有没有改进,让娃儿在课堂上就学会?")
    assert "课堂" in query.words and "课堂" not in query.story


def test_everyday_words_are_what_is_asked_when_the_question_clause_has_nothing_else(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("我们两口子上班都要到七点,接不到人。学校有晚托,是不是每个学校都有?有需要的都能参加不?")
    assert "参加" in query.words and "参加" not in query.story
    assert "上班" in query.story


def test_the_pupils_and_where_they_study_only_add_when_found(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("娃儿在南通通州读初中,学校布置作业有什么要求")
    assert "读" not in query.words and "初中" in query.story and "作业" not in query.story
    assert "中考" not in analyzer.analyze("双减以后中考体育考哪些项目").story  # a topic of its own


def test_a_question_clause_naming_its_subject_sets_the_story_apart(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("通州对作业有啥子规定没得?我家娃天天写到十一点过")
    assert "作业" not in query.story and "十一点" in query.story


def test_in_a_long_message_a_word_the_term_table_explains_is_not_everyday(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("我在南通,孩子这学期每天作业写到很晚,老师布置的作业太多了,到底有没有人来查的?")
    assert "来查" in query.words and "来查" not in query.story


def test_a_clause_ending_in_you_haoduo_asks_how_much(analyzer: QueryAnalyzer) -> None:
    assert asks("每天作业有好多,") and not asks("老师布置得好多,")  # how much? / so much!
    query = analyzer.analyze("每天作业有好多,家长从哪里能看到")
    assert "作业" in query.words and "作业" not in query.story
