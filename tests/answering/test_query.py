"""Question analysis: filler, script, typos, term expansion, regions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.intent import Intent
from bot.answering.query import QueryAnalyzer, is_acknowledgement, strip_filler
from bot.corpus.terms import Terms, load_terms
from bot.errors import ConfigError
from bot.text import Tokenizer

REGIONS = ["重庆市涪陵区", "江苏省南通市通州区", "四川省泸州市", "重庆市云阳县"]


@pytest.fixture(scope="module")
def analyzer() -> QueryAnalyzer:
    terms = load_terms(Path(__file__).resolve().parents[2] / "corpus" / "terms.toml")
    return QueryAnalyzer(terms, Tokenizer(terms.dictionary), REGIONS, {"四川省泸州市": ["酒城"]})


@pytest.mark.parametrize(
    ("raw", "core"),
    [
        ("老师您好，请问课后服务怎么收费？谢谢", "课后服务怎么收费"),
        ("我想问一下周末还能补课吗", "周末还能补课吗"),
        ("麻烦问一下,作业太多找谁反映?急!", "作业太多找谁反映"),
        ("课后服务怎么收费", "课后服务怎么收费"),
    ],
)
def test_filler_is_stripped_but_the_question_stays(analyzer: QueryAnalyzer, raw: str, core: str) -> None:
    assert analyzer.analyze(raw).text == core


def test_greeting_alone_leaves_no_question() -> None:
    assert strip_filler("老师您好!") == ""
    assert strip_filler("请问") == ""


@pytest.mark.parametrize("raw", ["晓得了,谢谢", "懂了", "好滴 多谢", "清楚了!", "好嘛", "要得"])
def test_an_acknowledgement_alone_leaves_no_question(raw: str) -> None:
    assert strip_filler(raw) == ""


@pytest.mark.parametrize("raw", ["哦45万人 好多哦", "哇 这么多", "哦 好多"])
def test_a_remark_on_the_figure_just_given_is_not_a_question(raw: str) -> None:
    assert is_acknowledgement(raw)


@pytest.mark.parametrize("raw", ["泸州课后服务收费好多", "哦那收费好多", "有好多人参加", "45万人好多?"])
def test_how_much_in_southwestern_mandarin_is_still_a_question(raw: str) -> None:
    assert not is_acknowledgement(raw)


def test_traditional_question_is_searched_in_simplified_and_remembered(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("課後服務幾點結束")
    assert query.script == "traditional"
    assert query.text == "课后服务几点结束"
    assert "课后服务" in query.tokens


def test_full_width_is_folded(analyzer: QueryAnalyzer) -> None:
    assert analyzer.analyze("５＋２是什么意思").text == "5+2是什么意思"


def test_typos_are_fixed_before_searching(analyzer: QueryAnalyzer) -> None:
    assert analyzer.analyze("做业太多了").text == "作业太多了"


def test_colloquial_words_expand_to_official_terms(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("周末还能补课吗")
    assert "休息日" in query.expansions and "校外培训" in query.expansions
    assert "休息日" in query.tokens and "休息日" not in query.core_tokens


def test_region_named_in_the_question_is_found(analyzer: QueryAnalyzer) -> None:
    assert analyzer.analyze("涪陵的托管费多少钱").regions == ("重庆市涪陵区",)
    assert set(analyzer.analyze("重庆的课后服务几点结束").regions) == {"重庆市涪陵区", "重庆市云阳县"}
    assert analyzer.analyze("酒城能补课吗").regions == ("四川省泸州市",)


def test_region_chosen_by_the_parent_is_added(analyzer: QueryAnalyzer) -> None:
    assert analyzer.analyze("托管费多少钱", region="泸州").regions[0] == "四川省泸州市"


def test_intents(analyzer: QueryAnalyzer) -> None:
    assert analyzer.analyze("托管费多少钱").wants_figure
    assert analyzer.analyze("想投诉培训机构").wants_hotline
    assert not analyzer.analyze("双减假是什么").wants_figure


def test_expansion_prefers_the_longest_phrase() -> None:
    terms = Terms(expansions={"补课": ("校外培训",), "老师补课": ("有偿补课",)})
    assert terms.expand("老师补课怎么办") == ["有偿补课"]


@pytest.mark.parametrize(("text", "phrase"), [("本校的老师", "本校老师"), ("第二天能不能晚点来上班", "晚点上班"), ("多少的钱", "多少钱")])
def test_a_phrase_matches_with_particles_between_its_parts(text: str, phrase: str) -> None:
    terms = Terms(expansions={"本校老师": ("在职教师为主",), "晚点上班": ("弹性上下班",), "多少钱": ("收费",), "作业": ("作业",)})
    assert [found for found, _ in terms.matches(text)] == [phrase]


def test_two_words_told_apart_in_one_clause_match_together() -> None:
    terms = Terms(expansions={"老师...补课": ("有偿补课",)})
    assert terms.expand("老师暗示娃去他家里补课,要收钱") == ["有偿补课"]
    assert terms.expand("老师说了,周末补课班都关了") == [] and terms.expand("补课的老师") == []  # another clause; the other order


def test_a_phrase_apart_needs_two_words(tmp_path: Path) -> None:
    (tmp_path / "terms.toml").write_text('[expansions]\n"老师..." = ["有偿补课"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="老师"):
        load_terms(tmp_path / "terms.toml")


def test_a_phrase_does_not_match_across_other_words() -> None:
    terms = Terms(expansions={"晚点上班": ("弹性上下班",)})
    assert terms.matches("晚点吃饭再上班") == [] and terms.matches("晚点,上班") == []


def test_the_time_of_day_only_adds_when_found(analyzer: QueryAnalyzer) -> None:
    assert "下午" in analyzer.analyze("学校下午那个课后服务是每个学校都有吗").story


def test_taking_money_to_tutor_does_not_ask_for_a_price(analyzer: QueryAnalyzer) -> None:
    assert analyzer.analyze("有些老师私下收钱给学生补课,现在有人管没得").intent is not Intent.FIGURE
    assert analyzer.analyze("现再有人管没得").text == "现在有人管没得"


def test_a_verb_with_its_result_is_not_what_is_asked(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("泸州学校作业时间有没有管好")
    assert "管好" in query.story and "作业" not in query.story


def test_non_string_question_is_rejected(analyzer: QueryAnalyzer) -> None:
    with pytest.raises(TypeError):
        analyzer.analyze(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "core"), [("好的,那收费呢", "那收费呢"), ("嗯嗯 那涪陵呢", "那涪陵呢"), ("谢谢老师,那收费呢", "那收费呢")])
def test_an_acknowledgement_before_the_next_question_is_stripped(raw: str, core: str) -> None:
    assert strip_filler(raw) == core


@pytest.mark.parametrize("question", ["老师乱布置有没得人查", "作业有没有人来查的"])
def test_someone_checking_reaches_the_reports_inspections(analyzer: QueryAnalyzer, question: str) -> None:
    assert "督查" in analyzer.analyze(question).expansions


def test_every_school_reaches_full_coverage(analyzer: QueryAnalyzer) -> None:
    assert "全覆盖" in analyzer.analyze("课后服务是不是所有小学初中都有").expansions


def test_a_place_within_a_reported_city_is_looked_for_in_the_citys_report(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("泸州龙马潭区的学校搞了什么课堂改革")
    assert query.scope.relation == "within" and "龙马潭" in query.words and "龙马潭" in query.story


def test_staying_behind_to_mind_the_children_is_after_school_service(analyzer: QueryAnalyzer) -> None:
    expansions = analyzer.analyze("老师都愿意留下来带娃吗").expansions
    assert {"课后服务", "积极参与"} <= set(expansions)


def test_group_schooling_is_said_both_ways(analyzer: QueryAnalyzer) -> None:
    assert "教育集团" in analyzer.analyze("通州有没有搞集团化办学").expansions
    assert "集团化办学" in analyzer.analyze("云阳的教育集团是怎么回事").expansions


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("换个名头说是托管班的也算吗", "隐形变异"),
        ("有多少学校结对了", "帮扶"),
        ("学校发没发双减的通知书", "告家长书"),
        ("作业分不分难易", "分层"),
        ("考试成绩还会在班里公布吗", "学生成绩"),
        ("请人来家里教数学", "住家教师"),
        ("有没有专门管培训机构的科室", "监管科"),
        ("补习班查得严不严", "执法检查"),
        ("培训机构预收的钱有人管吗", "资金监管"),
        ("课后服务是不是硬要参加", "自愿原则"),
        ("山区学校能跟城里学校一起上课不", "同步课堂"),
        ("在家里咋个管娃", "家庭教育"),
        ("天天罚抄那种作业还有没得", "无效作业训练"),
        ("课后服务能不能自己挑课", "自主选择课程"),
        ("老师搞那么晚咋个休息", "弹性上下班"),
        ("楼上在屋头偷偷开补习班", "居民楼"),
        ("我是护士,能不能去学校给学生讲点课", "家长走进校园"),
        ("娃儿成绩差,放学后有人专门辅导不", "学有困难"),
        ("报班前咋个晓得这个机构靠不靠谱", "监管与服务综合平台"),
        ("娃儿在学校作业写得完不", "完成率"),
        ("放学后能不能打球", "篮球"),
        ("学校音乐美术老师配齐了没", "音体美"),
        ("课后服务是哪些老师在上", "在职教师为主"),
        ("是本校的还是外头请的", "校外教师"),
        ("娃儿学得吃力,课后服务有人管不", "学有困难"),
        ("乡下好多学校都没得几个学生了,空起,咋个处理的", "空心学校"),
        ("老师培训主要练哪些本事", "能力"),
        ("一次交了好几千,老板跑了这钱有没有银行管", "金融单位"),
        ("差点的学校能不能跟到沾光", "薄弱学校"),
        ("老师早上能不能晚点来", "调整上下班时间"),
        ("培训机构万一关门了钱咋办", "资金监管"),
        ("作业时间没超标的学校占好多", "达标"),
        ("每天留啥作业能不能公开给家长看看", "三单公开制度"),
        ("有点自闭倾向,有没有这方面的安排", "融合教育"),
        ("学校要公开啥子三张单子", "清单"),
        ("城里和乡下学校一起上的网课是怎么弄的", "同步课堂"),
        ("还给家长发了封啥子信", "告家长书"),
        ("家长学校网上也能听不", "线上"),
    ],
)
def test_parents_words_reach_the_reports_terms(analyzer: QueryAnalyzer, question: str, term: str) -> None:
    assert term in analyzer.analyze(question).expansions


def test_the_topic_quoted_back_leaves_out_what_the_places_removal_left(analyzer: QueryAnalyzer) -> None:
    from bot.answering.query import topic_phrase

    assert topic_phrase(analyzer.analyze("我在泸州,听说现在要求每个娃都要会游泳,真的假的?")) == "要求每个娃都要会游泳"


def test_a_subject_teacher_is_a_school_teacher_not_tutoring(analyzer: QueryAnalyzer) -> None:
    assert "学科类培训" not in analyzer.analyze("那个数学老师是不是调走了").expansions
    assert "学科类培训" in analyzer.analyze("请人来家里教数学").expansions


def test_procedures_ask_for_a_kind_of_answer(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("外地户口想把娃转学到重庆读书,要准备啥子手续")
    assert "转学" not in query.story  # 手续 alone does not make the story the parent's case


def test_how_many_were_found_is_a_count_not_a_time(analyzer: QueryAnalyzer) -> None:
    assert analyzer.analyze("补习班查到几家了").intent is Intent.COUNT
    assert analyzer.analyze("课后服务开到几点").intent is Intent.TIME


def test_a_hard_rule_asks_for_a_kind_of_answer(analyzer: QueryAnalyzer) -> None:
    assert "硬性规定" in analyzer.analyze("对老师布置、批改作业有啥子硬性规定没得").story


@pytest.mark.parametrize("question", ["老板跑了咋个办", "报了个机构老板跑了,哪里能查能管的啊"])
def test_southwestern_what_do_i_do(analyzer: QueryAnalyzer, question: str) -> None:
    assert analyzer.analyze(question).intent is Intent.REMEDY


def test_what_the_government_spends_is_a_figure_not_a_price(analyzer: QueryAnalyzer) -> None:
    assert analyzer.analyze("政府在教育上头到底舍不舍得花钱,一年投好多进去").intent is Intent.COUNT
    assert analyzer.analyze("课后服务要花钱吗").intent is Intent.FIGURE


def test_how_glued_to_the_verb_leaves_the_verb(analyzer: QueryAnalyzer) -> None:
    words = analyzer.analyze("听说作业现在有人专门管,咋管的").words
    assert "咋管" not in words and "管" in words


def test_is_that_true_asks_about_what_was_told(analyzer: QueryAnalyzer) -> None:
    query = analyzer.analyze("我是医生,听说可以去娃学校给小朋友讲点专业知识,真有这事不")
    assert "真有" not in query.words and "专业知识" in query.words and "专业知识" not in query.story


def test_words_said_apart_are_read_together_before_each_alone() -> None:
    terms = Terms(expansions={"老师...补课": ("有偿补课",), "补课": ("校外培训",), "老师": ("教师",)})
    assert terms.expand("老师暗示娃去他家里补课") == ["有偿补课"]  # not 校外培训: a teacher's own tutoring
    assert terms.expand("周末补课,老师说") == ["校外培训", "教师"]


def test_words_side_by_side_still_count_in_a_longer_phrase() -> None:
    terms = Terms(expansions={"每天...作业": ("每日作业清单",), "作业量": ("作业总量",)})
    assert terms.expand("每天作业量有人管没") == ["每日作业清单", "作业总量"]
    assert terms.expand("每天布置的作业量") == ["每日作业清单"]  # apart: read together first
