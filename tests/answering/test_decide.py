"""The issue's conversations, end to end on the shipped reports: districts respected,
"what do I do" led by a channel, the lead answering the question's intent, three outcomes."""

from __future__ import annotations

import pytest

from bot.answering.intent import CHANNEL
from bot.records import Answer
from bot.service import Service
from bot.text import normalize


def lead(answer: Answer) -> str:
    return answer.quotes[0].text if answer.quotes else ""


def converse(service: Service, *turns: str) -> Answer:
    state, answer = None, None
    for n, turn in enumerate(turns):
        answer = service.ask(turn, state=state, now=1_000_000.0 + 20 * n)
        state = answer.state
    assert answer is not None
    return answer


def test_a_district_without_the_rule_is_told_so_and_the_rule_is_labelled(shipped_service: Service) -> None:
    answer = shipped_service.ask("泸州市课后服务收费标准是多少")
    assert answer.asked_region == "四川省泸州市"
    assert answer.scope_note.startswith("泸州市的报告没有提到")
    assert "某区(匿名)的做法" in answer.scope_note and answer.quotes[0].passage.region == "某区(匿名)"
    assert "2元/课时" in answer.text and answer.text.startswith(answer.scope_note)
    # another district's rule does not answer for 泸州: tentative, the note saying so once
    assert answer.tentative and "没有直接回答" not in answer.text


def test_a_fee_question_is_never_led_by_spending(shipped_service: Service) -> None:
    answer = shipped_service.ask("涪陵区课后服务怎么收费")
    assert "投入" not in lead(answer) and "预收费" not in lead(answer)
    assert answer.scope_note.startswith("涪陵区的报告没有提到")


def test_a_place_without_a_report_is_named(shipped_service: Service) -> None:
    assert shipped_service.ask("北京海淀区课后服务怎么收费").scope_note.startswith("目前没有北京海淀区的报告。")  # as the parent wrote it
    assert shipped_service.ask("海淀区课后服务怎么收费").scope_note.startswith("目前没有北京市海淀区的报告。")
    sibling = shipped_service.ask("渝北区课后服务怎么收费").scope_note
    assert sibling.startswith("没有渝北区的报告;重庆市有") and "涪陵区" in sibling and "云阳县" in sibling


def test_a_district_whose_report_answers_leads_with_it(shipped_service: Service) -> None:
    answer = shipped_service.ask("云阳县给老师布置作业有没有指导手册")
    assert not answer.scope_note and not answer.tentative
    assert answer.quotes[0].passage.region == "重庆市云阳县" and "指导手册" in lead(answer)


def test_follow_ups_swap_the_district_and_the_aspect(shipped_service: Service) -> None:
    answer = converse(shipped_service, "泸州公布举报电话了吗", "那涪陵呢")
    assert not answer.abstained and answer.asked_region == "重庆市涪陵区" and "举报电话" in answer.text
    answer = converse(shipped_service, "云阳县课后服务参与率多少", "家长支持率呢")
    assert "家长支持率96%" in answer.text
    alone = shipped_service.ask("家长支持率呢")  # the same words without the conversation
    assert alone.effective_question != answer.effective_question


def test_a_new_question_does_not_inherit_the_district(shipped_service: Service) -> None:
    answer = converse(shipped_service, "泸州课后服务怎么样", "作业太多找谁反映")
    assert answer.asked_region is None


def test_what_do_i_do_is_led_by_a_channel(shipped_service: Service) -> None:
    for question in ("孩子每天作业写到半夜,我该怎么办", "发现老师在外面有偿补课怎么办"):
        answer = shipped_service.ask(question)
        head = normalize("\n".join(answer.text.splitlines()[:3]))
        assert answer.remedy and not answer.abstained and CHANNEL.search(head), answer.text[:200]
        assert "99.76%" not in head


def test_a_related_passage_that_may_not_answer_is_tentative(shipped_service: Service) -> None:
    answer = shipped_service.ask("学校暑假可以给初二学生补课吗")  # the holiday rule is for training centres
    assert answer.tentative and not answer.abstained
    assert answer.text.startswith("报告里没有直接讲“学校暑假可以给初二学生补课”,最接近的内容是:")
    assert answer.quotes[0].label == "这是关于校外培训机构的内容,不是关于学校的:"


def test_a_refusal_names_what_was_looked_for(shipped_service: Service) -> None:
    answer = shipped_service.ask("高考分数线是多少")
    assert answer.abstained
    assert answer.text.startswith("抱歉,现有的区县“双减”报告里没有讲到“高考分数线是多少”")


def test_a_place_alone_is_asked_what_about_it(shipped_service: Service) -> None:
    answer = shipped_service.ask("涪陵")
    assert answer.abstained and "涪陵区" in answer.text and "课后服务怎么收费" in answer.text
    assert "目前没有北京市的报告" in shipped_service.ask("北京").text


def test_traditional_follow_up_is_answered_in_traditional(shipped_service: Service) -> None:
    answer = converse(shipped_service, "瀘州有沒有舉報電話", "那涪陵呢")
    assert answer.script == "traditional" and "舉報電話" in answer.text


def test_a_subject_alone_with_ne_keeps_the_district(shipped_service: Service) -> None:
    answer = converse(shipped_service, "雲陽縣的校外培訓機構整治得怎麼樣了?", "預收費呢")
    assert answer.asked_region and "云阳" in answer.asked_region


def test_a_long_story_around_the_question_does_not_hide_the_districts_answer(shipped_service: Service) -> None:
    story = "我家在重庆涪陵,娃儿读小学四年级,每天晚上做业要做到十点多,眼睛都熬红了。想问下区里对作业到底有没得啥子管控措施?"
    answer = shipped_service.ask(story)
    assert not answer.abstained and not answer.tentative and not answer.scope_note
    assert answer.quotes[0].passage.region == "重庆市涪陵区" and "作业" in lead(answer)


def test_a_districts_homework_rules_answer_though_another_report_words_a_detail(shipped_service: Service) -> None:
    # 提前 is a word only another report uses, but an everyday one: it does not make 通州 "not cover" homework
    answer = shipped_service.ask("南通通州的,学校每天布置些啥作业家长能提前知道吗?有没有公开的地方能看")
    assert not answer.scope_note.startswith("通州区的报告没有提到")
    assert answer.quotes[0].passage.region == "江苏省南通市通州区" and "每日作业清单" in answer.text
    # a word that names a thing only another report has still does (耗材费)
    assert shipped_service.ask("重庆涪陵兴趣班的耗材费谁出").scope_note.startswith("涪陵区的报告没有提到")


def test_a_follow_up_pointing_back_asks_the_new_district_about_the_same_thing(shipped_service: Service) -> None:
    answer = converse(shipped_service, "涪陵培训班预交的学费有人监管吗,我怕它卷钱跑路", "云阳县有没有类似的")
    assert answer.asked_region == "重庆市云阳县" and answer.quotes[0].passage.region == "重庆市云阳县"
    assert "三方资金监管平台" in answer.text


def test_a_place_written_with_its_city_is_named_so_though_said_alone_later(shipped_service: Service) -> None:
    note = shipped_service.ask("南通崇川的家长,想问下崇川对培训机构预收费有没有监管").scope_note
    assert note.startswith("没有南通崇川的报告;江苏省南通市有通州区的报告")


def test_a_follow_up_with_a_story_of_its_own_is_still_about_the_last_question(shipped_service: Service) -> None:
    answer = converse(shipped_service, "涪陵学校有没有教家长咋个教育娃儿的", "通州那边有没有类似的?我妹妹家在那边")
    assert answer.asked_region == "江苏省南通市通州区" and not answer.abstained
    assert answer.quotes[0].passage.region == "江苏省南通市通州区" and "家庭教育" in answer.text


def test_a_long_question_asked_again_of_another_district_keeps_its_story_apart(shipped_service: Service) -> None:
    story = "我家在重庆涪陵,娃儿读小学四年级,每天晚上做业要做到十点多,眼睛都熬红了。想问下区里对作业到底有没得啥子管控措施?"
    answer = converse(shipped_service, story, "那云阳呢?")
    assert answer.asked_region == "重庆市云阳县" and not answer.scope_note
    assert answer.quotes[0].passage.region == "重庆市云阳县" and "作业" in lead(answer)


def test_a_districts_passage_holding_the_whole_question_answers_though_another_scores_higher(shipped_service: Service) -> None:
    # 泸州's 379所学校 passage holds every word asked; a fee rule elsewhere only outscores it
    answer = shipped_service.ask("瀘州 學校放學後的託管 多少學校有 參加的娃多不多")
    assert not answer.scope_note and answer.quotes[0].passage.region == "四川省泸州市"
    assert "379所學校" in answer.text


@pytest.mark.parametrize(
    ("question", "region", "key"),
    [
        ("南通通州的作业会公示给家长看吗", "江苏省南通市通州区", "三单公开制度"),  # 公示, said 公开 in the report
        ("泸州学校上课搞了啥子改革", "四川省泸州市", "课堂教学改革"),  # 上课, said 课堂
    ],
)
def test_a_districts_answer_worded_otherwise_is_given_confidently(shipped_service: Service, question: str, region: str, key: str) -> None:
    answer = shipped_service.ask(question)
    assert not answer.tentative and not answer.scope_note and answer.quotes[0].passage.region == region
    assert key in lead(answer)


def test_the_districts_own_channel_is_a_confident_answer_to_where_to_complain(shipped_service: Service) -> None:
    answer = shipped_service.ask("泸州有补习班暑假偷偷给小学生上英语课,我想投诉,举报电话是多少?投诉了有人管不")
    assert answer.remedy and not answer.tentative
    assert answer.quotes[0].passage.region == "四川省泸州市" and "投诉举报电话" in answer.quotes[0].text


@pytest.mark.parametrize("turns", [("涪陵的家长课堂多久开一次",), ("涪陵有没有给家长上的家庭教育课", "多久一次")])
def test_how_often_is_answered_by_a_frequency(shipped_service: Service, turns: tuple[str, ...]) -> None:
    answer = converse(shipped_service, *turns)
    assert not answer.tentative and not answer.scope_note and "坚持每月面向家长开设" in lead(answer)


def test_a_place_within_a_reported_city_gets_the_citys_sentence_naming_it(shipped_service: Service) -> None:
    answer = converse(shipped_service, "泸州的课堂教学搞了什么改革", "龙马潭那边叫啥名字")
    assert answer.scope_note.startswith("没有龙马潭区单独的报告") and "活力课堂" in lead(answer)


def test_the_channel_quoted_for_what_do_i_do_is_the_first_passage_shown(shipped_service: Service) -> None:
    answer = shipped_service.ask("作业多到写不完能找谁")
    assert answer.remedy and answer.hits[0].passage.id == answer.quotes[0].passage.id
    assert CHANNEL.search(normalize(answer.quotes[0].text))


def test_a_how_many_follow_up_is_not_cut_across_the_last_question(shipped_service: Service) -> None:
    answer = converse(shipped_service, "泸州的老师有没有下乡支教", "派了好多人去")  # not 支教派 → 教派
    assert not answer.abstained and "20名中层及以上优秀管理干部" in lead(answer)


def test_a_places_passage_the_dense_search_missed_is_judged_on_its_own_cosine(shipped_service: Service) -> None:
    ranking = shipped_service.explain("我在通州,听说现在要求每个小孩都要会两样运动,真的假的?")
    local = [h for h in ranking.reports if h.passage.region == "江苏省南通市通州区"]
    assert local and local[0].dense is not None
    elsewhere = [h for h in ranking.dense if h.passage.region != "江苏省南通市通州区"]  # as if the dense search had missed 通州
    decider = shipped_service.pipeline.decider
    probability = decider._probability(ranking.query, local, elsewhere, ranking.features, lambda region: region == "江苏省南通市通州区")
    assert probability >= decider.thresholds.answer


def test_prepaid_fees_are_answered_from_each_districts_own_wording(shipped_service: Service) -> None:
    answer = converse(shipped_service, "云阳的培训机构预收费有人管吗")  # 云阳 says 三方资金监管平台
    assert not answer.tentative and answer.quotes[0].passage.region == "重庆市云阳县" and "资金监管平台" in lead(answer)
    answer = converse(shipped_service, "云阳的培训机构预收费有人管吗", "通州呢")  # 通州: the national platform
    assert answer.quotes[0].passage.region == "江苏省南通市通州区" and "监管与服务综合平台" in lead(answer)


def test_a_districts_passage_on_the_topic_answers_though_it_lacks_a_word_another_holds(shipped_service: Service) -> None:
    answer = shipped_service.ask("南通通州对学校布置作业有没有管理")  # 通州 says 作业管理, not 布置
    assert not answer.tentative and not answer.scope_note and answer.quotes[0].passage.region == "江苏省南通市通州区"
    assert "三单公开制度" in lead(answer)


def test_a_verb_with_its_result_does_not_set_a_districts_report_apart(shipped_service: Service) -> None:
    answer = shipped_service.ask("瀘州學校作業時間有沒有管好")  # 管好 is nowhere in 泸州's report; 控制达标 is
    assert not answer.tentative and not answer.scope_note and answer.quotes[0].passage.region == "四川省泸州市"
    assert "99.76%" in lead(answer)


def test_who_teaches_the_after_school_service_is_answered_with_the_staff(shipped_service: Service) -> None:
    assert "在职教师为主" in lead(shipped_service.ask("涪陵课后服务那些老师是哪里来的,是本校的还是外头请的?"))
    assert "在职教师为主" in lead(shipped_service.ask("放学后的托管谁来教"))


def test_what_do_i_do_quotes_the_rule_on_the_problem_told_not_a_second_channel(shipped_service: Service) -> None:
    answer = shipped_service.ask("班主任天天让我们在群里批改作业、签字拍照上传,这个到底合不合规定啊?能不能反映")
    assert answer.remedy and CHANNEL.search(normalize(answer.quotes[0].text))
    assert "批改作业" in answer.quotes[1].text and not CHANNEL.search(normalize(answer.quotes[1].text))


def test_what_do_i_do_gives_both_of_a_districts_channels(shipped_service: Service) -> None:
    answer = shipped_service.ask("涪陵 发现有老师偷偷在外头补课 找哪里举报")
    channels = answer.text.split("\n\n")[1]  # after the heading, before the hotline directory
    assert "举报信箱" in channels and "监督举报电话" in channels and "有偿补课" in answer.quotes[1].text


def test_a_question_about_something_no_report_names_is_refused_not_half_answered(shipped_service: Service) -> None:
    assert shipped_service.ask("高中生周末还能去补习班吗").abstained  # 高中生: the reports speak of 义务教育
    assert not shipped_service.ask("课后服务一般几点结束").abstained


def test_a_district_answering_in_other_words_is_not_told_it_lacks_them(shipped_service: Service) -> None:
    answer = shipped_service.ask("在泸州,作业时间没超标的学校占好多?")  # 泸州 says 控制达标, 涪陵 says 超标
    assert not answer.tentative and answer.quotes[0].passage.region == "四川省泸州市" and "99.76%" in lead(answer)
    answer = shipped_service.ask("通州有几个教育集团嘛?差点的学校能不能跟到沾光?")
    assert not answer.tentative and "15个“紧密型”教育集团" in lead(answer)


def test_after_a_swap_of_place_its_closest_passage_is_quoted_though_it_lacks_the_first_districts_word(shipped_service: Service) -> None:
    answer = converse(shipped_service, "云阳县的作业设计有没得啥子指导手册", "那涪陵呢", "泸州的呢?")  # 指导手册 is only 云阳's
    assert answer.quotes[0].passage.region == "四川省泸州市" and answer.tentative


@pytest.mark.parametrize(
    "question",
    ["学校校服一套三百多 是不是太贵了 有没有规定价格", "今年中考体育是多少分啊?跳绳一分钟要跳多少个才满分", "涪陵学校让买的教辅资料必须买吗?一学期好几百"],
)
def test_questions_like_the_unanswerable_ones_fitted_on_are_not_answered_confidently(shipped_service, question: str) -> None:
    """From conversations never fitted on: the calibration's out-of-scope exemplars (校服, 中考, 教辅 …) tell them apart."""
    answer = shipped_service.ask(question)
    assert answer.abstained or answer.tentative


def test_a_yes_no_follow_up_to_a_what_do_i_do_question_is_answered_as_asked(shipped_service: Service) -> None:
    answer = converse(shipped_service, "云阳县培训机构收了钱跑路咋办,有没有管", "是第三方管的不")
    assert not answer.remedy and "第三方+最低余额" in lead(answer)


def test_the_anonymous_district_is_named_by_its_blanked_name(shipped_service: Service) -> None:
    answer = shipped_service.ask("那个没写区名的调研报告,老师搞课后服务能不能弹性上下班")
    assert answer.asked_region == "某区(匿名)" and answer.quotes[0].passage.region == "某区(匿名)"


def test_a_follow_up_the_first_reading_does_not_answer_is_read_the_other_way(shipped_service: Service) -> None:
    # as the last subject's new aspect ("泸州作业有好多学校做到了"), not the whole last question asked further
    answer = converse(shipped_service, "娃儿在泸州读小学,作业有啥规定没有,老师布置得好多哦", "有好多学校做到了")
    assert not answer.tentative and "全市425所义务教育学校" in lead(answer)


def test_asking_for_specific_figures_is_not_a_word_the_district_lacks(shipped_service: Service) -> None:
    answer = converse(shipped_service, "我们是云阳的,学校作业这块管得严不严哦", "哦", "有没有具体数字嘛")
    assert not answer.tentative and answer.quotes[0].passage.region == "重庆市云阳县"


def test_several_told_in_the_story_is_not_a_question(shipped_service: Service) -> None:
    # "好几个没挂牌的补课点" tells of several; the question is what the county checked and closed
    answer = shipped_service.ask("我们住云阳县城,楼下原来好几个没挂牌的补课点。县里到底查了好多家培训机构,关了几家无证的")
    assert not answer.tentative and answer.quotes[0].passage.region == "重庆市云阳县"


def test_a_swap_to_the_anonymous_district_by_its_blanked_name(shipped_service: Service) -> None:
    answer = converse(shipped_service, "通州区搞课后服务的老师能不能晚点上班", "那匿名那个区呢")
    assert not answer.abstained and answer.quotes[0].passage.region == "某区(匿名)" and "弹性上下班" in lead(answer)
