"""What a question wants, and which sentences may lead its answer."""

from __future__ import annotations

import pytest

from bot.answering.intent import Intent, asks_kind, intent_of, is_channel, is_statistic, lead_fit, says_outcome


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("孩子每天作业写到半夜,我该怎么办", Intent.REMEDY),
        ("老师天天让家长在群里批改作业,我能找谁", Intent.REMEDY),
        ("培训费退不回来", Intent.REMEDY),
        ("课后服务几点结束", Intent.TIME),
        ("课后服务怎么收费", Intent.FIGURE),
        ("培训机构预收费怎么监管", Intent.HOW),
        ("云阳参加课后服务的学生有多少", Intent.COUNT),
        ("周末能不能上数学补习班", Intent.PERMISSION),
        ("双减假是什么", Intent.FACT),
        ("查了好多家嘛", Intent.COUNT),  # 好多 asks "how many" in southwestern Mandarin
        ("发了好多份", Intent.COUNT),  # … before any measure word
        ("有好多个社团", Intent.COUNT),
        ("在职老师收钱补课管不管", Intent.FACT),  # 收钱补课 is paid tutoring, not a price asked
        ("托管要收钱不", Intent.FIGURE),
        ("培训班交的钱有没有人管啊,怕退不了", Intent.FACT),  # a worry told, not "what do I do"
        ("机构跑路了钱退不了怎么办", Intent.REMEDY),
        ("作业家长咋个说的", Intent.COUNT),  # what people think: a satisfaction rate answers
        ("学科补习班是不是全部关完了", Intent.COUNT),  # all of them? a figure (压减率100%) answers
        ("作业布置得好多哦", Intent.FACT),  # so much (a complaint), not "how many"
        ("家长学校多久开一次课", Intent.OFTEN),
        ("一周几次课后服务", Intent.OFTEN),
        ("是不是老师想布置好多就布置好多", Intent.FACT),  # as much as they like, not "how many"
        ("今年寒假几号放假", Intent.TIME),
        ("寄宿学校一学期生活费要好多", Intent.FIGURE),
        ("老师一个月工资大概多少", Intent.FIGURE),
        ("老师私下喊娃去他屋头补课要收钱,这个管不管嘛", Intent.FACT),  # paid tutoring told, no price asked
        ("老师让家长改作业,这个能去哪里反应", Intent.REMEDY),  # 反映 mistyped
        ("培训班合同签了两年一次交清,现在想退,咋整", Intent.REMEDY),
        ("有没有数据", Intent.COUNT),
        ("多久查一回", Intent.OFTEN),
    ],
)
def test_intent(question: str, intent: Intent) -> None:
    assert intent_of(question) is intent


@pytest.mark.parametrize(
    "sentence",
    ["99.76%的学校学生作业时间控制达标,学生作业负担明显减轻。", "投入3.8亿元统筹推进学校标准化建设,十四中涪州中学校区建成投用。"],
)
def test_statistics_and_spending_are_statistics(sentence: str) -> None:
    assert is_statistic(sentence)
    assert not lead_fit(Intent.FIGURE, sentence) and not lead_fit(Intent.HOW, sentence)
    assert lead_fit(Intent.FACT, sentence)


def test_a_rule_leads_a_fee_question_and_a_time_needs_a_time() -> None:
    fee = "参加托管服务的学生,按照不高于2元/课时生标准收取课后服务费。"
    assert not is_statistic(fee) and lead_fit(Intent.FIGURE, fee)
    assert lead_fit(Intent.TIME, "课后服务的结束时间不早于家长下班时间。")
    assert lead_fit(Intent.OFTEN, "坚持每月面向家长开设普及性家庭教育线上课程。") and not lead_fit(Intent.OFTEN, "课后服务的结束时间不早于家长下班时间。")
    assert not lead_fit(Intent.TIME, "全市379所学校按照“5+2”要求开展了课后服务。")


def test_a_channel_is_a_way_to_report_not_any_mention_of_reports() -> None:
    assert is_channel("设立举报电话,公开举报信箱,鼓励群众监督校外培训行为。")
    assert not is_channel("我们已经多次接到培训机构退费及教师欠薪问题的举报。")


def test_supervision_of_the_money_answers_who_watches_the_fees() -> None:
    assert lead_fit(Intent.FIGURE, "依托综合平台,对校外培训机构资金、人员、材料、场所、课程进行全流程、全方位监管")
    assert not lead_fit(Intent.FIGURE, "对校外培训机构人员、场所进行全流程监管")


def test_a_rate_is_answered_by_a_share_not_a_count() -> None:
    from bot.answering.intent import asks_rate, gives_share

    assert asks_rate("课后服务参与率多少") and asks_rate("参加的占比高不高") and not asks_rate("效率高不高")
    assert gives_share("参与率达98.9%") and not gives_share("参与学生45万人")


def test_a_date_an_age_or_papers_asked_for_are_only_given_by_a_sentence_of_that_kind() -> None:
    date = asks_kind("泸州今年寒假啥时候放")
    assert date is not None and asks_kind("几号开学") is date and asks_kind("放假了培训机构能上课吗") is None
    assert not date.search("叫停整改利用法定节假日、休息日开展学科类培训。") and date.search("1月15日起放寒假。")
    age = asks_kind("娃儿满几岁才能上公办幼儿园")
    assert age is not None and not age.search("新建公办幼儿园6所。") and age.search("年满3周岁")
    papers = asks_kind("娃想上公办小学,要准备哪些材料")
    assert papers is not None and not papers.search("对校外培训机构资金、人员、材料、场所、课程进行全流程监管")
    assert asks_kind("兴趣课要用的材料是哪个买") is None  # 耗材, not papers
    assert asks_kind("骑电动车上学要不要办啥证") is papers


@pytest.mark.parametrize("word", ["管好", "做完", "不够", "太多"])
def test_how_it_turned_out_or_how_much_is_not_a_topic(word: str) -> None:
    assert says_outcome(word)
