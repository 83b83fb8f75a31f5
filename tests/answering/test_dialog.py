"""Follow-ups: elliptical messages borrow the missing slots, new questions start afresh."""

from __future__ import annotations

import pytest

from bot.answering.dialog import FollowUps
from bot.answering.places import Gazetteer
from bot.answering.regions import RegionCatalog
from bot.records import DialogState

REGIONS = ["重庆市涪陵区", "重庆市云阳县", "四川省泸州市", "江苏省南通市通州区"]
NOW = 1_000_000.0


@pytest.fixture(scope="module")
def followups() -> FollowUps:
    catalog = RegionCatalog.from_names(Gazetteer(), REGIONS)
    return FollowUps(catalog.scope, ttl=1800)


def after(followups: FollowUps, question: str) -> DialogState:
    completion = followups.complete(question, None, NOW)
    _, topic = followups.scope(completion.text)
    return followups.remember(completion, topic, NOW)


def test_a_place_alone_swaps_the_district(followups: FollowUps) -> None:
    state = after(followups, "泸州公布举报电话了吗")
    completion = followups.complete("那涪陵呢", state, NOW + 60)
    assert completion.borrowed == "place" and completion.text.startswith("涪陵") and "举报电话" in completion.text


def test_an_aspect_swaps_the_aspect_and_keeps_subject_and_place(followups: FollowUps) -> None:
    state = after(followups, "云阳县课后服务参与率多少")
    completion = followups.complete("家长支持率呢", state, NOW + 60)
    assert completion.borrowed == "aspect" and completion.text == "云阳县课后服务家长支持率"
    assert followups.complete("要交钱吗", state, NOW + 60).text == "云阳县课后服务要交钱"


def test_a_qualifier_is_added_to_the_whole_last_question(followups: FollowUps) -> None:
    state = after(followups, "课后服务收费标准是什么")
    completion = followups.complete("那家庭困难的呢", state, NOW + 60)
    assert completion.text == "课后服务收费标准是什么、家庭困难"  # a stop between: jieba does not cut a word across it


@pytest.mark.parametrize("message", ["周末能补课吗", "作业太多找谁反映", "今天天气怎么样"])
def test_a_question_of_its_own_starts_afresh(followups: FollowUps, message: str) -> None:
    state = after(followups, "涪陵区课后服务怎么收费")
    completion = followups.complete(message, state, NOW + 60)
    assert completion == type(completion)(message, "", "")  # nothing borrowed, no stale place


def test_the_state_expires(followups: FollowUps) -> None:
    state = after(followups, "泸州公布举报电话了吗")
    assert followups.complete("那涪陵呢", state, NOW + 1801).borrowed == ""
    assert followups.fresh(state, NOW + 1801) is None


def test_the_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError, match="ttl"):
        FollowUps(lambda text: (None, text), ttl=0)


def test_a_clause_ending_in_a_dialect_ne_leans_on_the_last_question(followups: FollowUps) -> None:
    state = after(followups, "泸州的学校放学后有托管吗")
    completion = followups.complete("南通通州那边咧?老师都愿意留下来带娃吗", state, NOW + 60)
    assert completion.borrowed == "more" and completion.place == "通州"
    assert "托管" in completion.text and "留下来带娃" in completion.text
    assert completion.context == state.topic  # borrowed as background: its words weigh as a story does
    assert followups.complete("云阳咧", state, NOW + 60).borrowed == "place"


@pytest.mark.parametrize("message", ["云阳县有没有类似的", "那音体美老师够不够啊 我们学校体育课老被占", "具体是哪家银行在管呀", "都是哪些银行在管 光有平台的话我不放心"])
def test_a_message_pointing_back_keeps_the_place_and_topic(followups: FollowUps, message: str) -> None:
    state = after(followups, "涪陵培训班预交的学费有人监管吗")
    completion = followups.complete(message, state, NOW + 60)
    assert completion.borrowed == "more" and "预交的学费" in completion.text
    assert completion.place in ("涪陵", "云阳县")
    assert followups.complete("有啥规定", state, NOW + 60).text == "涪陵培训班有啥规定"  # an aspect of the subject
    specifically = followups.complete("具体有啥规定", state, NOW + 60)  # more precisely: the whole last question
    assert specifically.text == "涪陵培训班预交的学费有人监管，有啥规定" and specifically.detail


def test_an_aspect_in_the_first_clause_keeps_the_subject(followups: FollowUps) -> None:
    state = after(followups, "涪陵课后服务是不是每个学校都有")
    completion = followups.complete("内容呢 就是看着写作业?", state, NOW + 60)
    assert completion.borrowed == "aspect" and completion.text.startswith("涪陵课后服务内容")
    assert followups.complete("那作业呢 每天作业量有人管没", state, NOW + 60).text.startswith("涪陵作业")  # a new subject


def test_those_after_na_are_not_cut(followups: FollowUps) -> None:
    state = after(followups, "涪陵培训机构现在管得严不严")
    assert "小广告" in followups.complete("那些小广告呢", state, NOW + 60).text


def test_a_new_subject_after_na_keeps_the_place_and_a_bare_question_about_the_schools_people_leans(followups: FollowUps) -> None:
    state = after(followups, "通州中小学作业量现在有没有控制")
    completion = followups.complete("那放学以后托管那块呢,老师都参加吗", state, NOW + 60)
    assert completion.borrowed == "aspect" and completion.text.startswith("通州") and "托管" in completion.text
    state = after(followups, "涪陵课后服务娃儿参加的多不多")
    assert followups.complete("老师够不够哦 都是哪些人在上", state, NOW + 60).borrowed == "more"


def test_a_message_with_no_word_of_its_own_is_about_the_last_question() -> None:
    from pathlib import Path

    from bot.corpus.terms import load_terms
    from bot.text import Tokenizer

    terms = load_terms(Path(__file__).resolve().parents[2] / "corpus" / "terms.toml")
    catalog = RegionCatalog.from_names(Gazetteer(), REGIONS)
    followups = FollowUps(catalog.scope, ttl=1800, words=Tokenizer(terms.dictionary).content_words)
    state = after(followups, "泸州现在周末节假日还准不准补数学英语")
    assert followups.complete("有人管没得", state, NOW + 60).borrowed == "more"
    assert followups.complete("今天天气怎么样", state, NOW + 60).borrowed == ""  # a word of its own: asked afresh
    assert followups.complete("云阳也说下", state, NOW + 60).borrowed == "place"


def test_an_aspect_with_no_subject_to_keep_takes_the_last_question_as_background(followups: FollowUps) -> None:
    state = after(followups, "涪陵老师交流轮岗多不多")
    completion = followups.complete("新老师招了好多", state, NOW + 60)
    assert completion.borrowed == "aspect" and completion.context == "老师交流轮岗多不多"
    state = after(followups, "云阳县课后服务参与率多少")
    assert followups.complete("要交钱吗", state, NOW + 60).context == ""  # the subject 课后服务 still leads


def test_a_longer_question_about_the_schools_people_leans_on_the_last_one(followups: FollowUps) -> None:
    state = after(followups, "通州课后服务都有啥子课嘛")
    assert followups.complete("外头的人会来上课不?还是只有本校老师", state, NOW + 60).borrowed == "more"


def test_a_short_how_many_with_no_place_is_about_the_last_place(followups: FollowUps) -> None:
    state = after(followups, "那云阳课后有哪些特色课")
    completion = followups.complete("有好多个社团", state, NOW + 60)
    assert completion.borrowed == "aspect" and completion.text == "云阳有好多个社团"  # a figure is always some place's
    assert followups.complete("周末能补课吗", state, NOW + 60).borrowed == ""  # a rule asked afresh: no stale place


def test_other_people_asked_about_keep_the_subject(followups: FollowUps) -> None:
    state = after(followups, "涪陵区放学后留校的娃儿多不多")
    completion = followups.complete("老师呢", state, NOW + 60)
    assert completion.borrowed == "aspect" and completion.text == "涪陵区放学后老师"
    assert followups.complete("家长能去讲不", after(followups, "通州区延时服务是哪些人在上课"), NOW + 60).borrowed == "more"


def test_a_new_subject_of_several_clauses_keeps_its_stops(followups: FollowUps) -> None:
    state = after(followups, "涪陵区违规的培训机构查了好多")
    completion = followups.complete("广告呢?街上到处贴起补习班的牌子", state, NOW + 60)
    assert completion.borrowed == "aspect" and completion.text == "涪陵区广告呢?街上到处贴起补习班的牌子"


def test_who_or_which_asked_alone_is_an_aspect_of_the_last_subject(followups: FollowUps) -> None:
    state = after(followups, "通州的作业是咋个管的,有没有人控制总量")
    completion = followups.complete("哪个来审核", state, NOW + 60)
    assert completion.borrowed == "aspect" and completion.text == "通州作业哪个来审核"


def test_a_verb_whose_object_went_unsaid_or_a_name_asked_for_leans_on_the_last_question(followups: FollowUps) -> None:
    state = after(followups, "通州区的校外培训机构是谁在管")
    assert followups.complete("网上有没有平台可以查", state, NOW + 60).borrowed == "more"
    state = after(followups, "泸州的课堂教学搞了什么改革")
    completion = followups.complete("龙马潭那边叫啥名字", state, NOW + 60)
    assert completion.borrowed and "课堂教学" in completion.text


@pytest.mark.parametrize("intro", ["我娃儿在云阳读小学", "我们是云阳的", "我家住云阳县"])
def test_where_the_family_is_from_holds_for_the_questions_after_it(followups: FollowUps, intro: str) -> None:
    told = followups.complete(intro, None, NOW)
    assert told.introduces and told.home in ("云阳", "云阳县")
    state = followups.remember(told, followups.scope(intro)[1], NOW)
    asked = followups.complete("学校布置作业有啥子规定没得", state, NOW + 60)
    assert asked.borrowed == "home" and asked.text.startswith("云阳")
    state = followups.remember(asked, "学校布置作业有啥子规定没得", NOW + 60)
    elsewhere = followups.complete("通州课后服务几点结束", state, NOW + 120)
    assert elsewhere.borrowed == "" and elsewhere.place == "通州" and elsewhere.home == state.home  # another place asked about; home kept


def test_a_question_naming_a_place_is_not_an_introduction(followups: FollowUps) -> None:
    assert not followups.complete("我家在涪陵,课后服务怎么收费", None, NOW).introduces
    assert not followups.complete("我娃在涪陵读小学,作业太多了咋办", None, NOW).introduces


def test_what_a_place_is_like_swaps_the_place(followups: FollowUps) -> None:
    state = after(followups, "泸州课后服务搞得怎么样")
    completion = followups.complete("换成涪陵是啥情况", state, NOW + 60)
    assert completion.borrowed == "place" and completion.text.startswith("涪陵课后服务")


@pytest.mark.parametrize("message", ["具体点嘛", "能不能说详细些", "展开讲讲", "在说细点"])
def test_asking_for_more_asks_the_last_question_again_at_length(followups: FollowUps, message: str) -> None:
    state = after(followups, "云阳县课后服务有哪些课程")
    completion = followups.complete(message, state, NOW + 60)
    assert completion.detail and completion.text == "云阳县课后服务有哪些课程" and completion.place == "云阳县"


def test_a_short_question_in_the_reports_words_with_nothing_of_its_own_asks_about_the_last_matter() -> None:
    from bot.text import Tokenizer

    catalog = RegionCatalog.from_names(Gazetteer(), REGIONS)
    in_reports = {"专门", "科室", "天气"}.__contains__
    followups = FollowUps(catalog.scope, ttl=1800, words=Tokenizer().content_words, known=in_reports)
    state = after(followups, "南通通州对培训机构咋管的")
    completion = followups.complete("有专门的科室吗", state, NOW + 60)
    assert completion.borrowed == "more" and completion.place == "通州" and "培训机构" in completion.text
    assert followups.complete("今天放学早吗", state, NOW + 60).borrowed == ""  # 今天, 放学: words no report uses here
    assert followups.complete("泸州有专门的科室吗", state, NOW + 60).borrowed == ""  # a place of its own


def test_the_familys_place_told_beside_a_swap_of_place_is_not_part_of_the_question(followups: FollowUps) -> None:
    state = after(followups, "通州课后服务有好多社团哦")
    completion = followups.complete("涪陵呢 我们娃儿在涪陵读书", state, NOW + 60)
    assert completion.borrowed == "place" and completion.text == "涪陵课后服务有好多社团" and completion.home == "涪陵"


def test_a_family_told_in_a_few_clauses_is_an_introduction(followups: FollowUps) -> None:
    assert followups.complete("我们屋在涪陵城头,孙子读三年级", None, NOW).introduces
    assert not followups.complete("我们涪陵的学校太差了", None, NOW).introduces  # a complaint, not where they live


def test_a_swap_of_place_ending_in_le_swaps_the_place(followups: FollowUps) -> None:
    state = after(followups, "通州区有几个教育集团")
    assert followups.complete("那云阳勒", state, NOW + 60).text == "云阳有几个教育集团"


@pytest.mark.parametrize("message", ["还有别的吗", "还有其他的没", "别的呢"])
def test_anything_else_is_the_last_question_at_more_length(followups: FollowUps, message: str) -> None:
    state = after(followups, "通州区是怎么管校外培训机构的")
    completion = followups.complete(message, state, NOW + 60)
    assert completion.detail and completion.text.startswith("通州区是怎么管校外培训机构")


def test_more_on_one_point_keeps_the_last_question_and_the_point(followups: FollowUps) -> None:
    state = after(followups, "听说有的地方老师搞课后服务可以休双减假")
    completion = followups.complete("具体点 咋个休", state, NOW + 60)
    assert completion.detail and completion.text == "听说有的地方老师搞课后服务可以休双减假，咋个休"


def test_after_the_family_is_told_a_question_borrows_the_place_not_the_words(followups: FollowUps) -> None:
    told = followups.complete("我孙子在泸州读小学", None, NOW)
    state = followups.remember(told, followups.scope("我孙子在泸州读小学")[1], NOW)
    completion = followups.complete("课堂上搞了些啥子改革", state, NOW + 60)
    assert completion.text == "泸州课堂上搞了些啥子改革" and completion.borrowed == "home"


def test_a_question_naming_its_place_does_not_lean_on_an_unrelated_last_message(followups: FollowUps) -> None:
    state = after(followups, "今天好热哦 孙娃放学回来一身汗")
    assert followups.complete("涪陵这两年新招了好多老师嘛", state, NOW + 60).borrowed == ""


@pytest.mark.parametrize("message", ["这是哪里的规定", "上面说的是哪个区的", "這是哪裡的規定?"])
def test_whose_rule_was_quoted_is_asked_of_the_last_answer(followups: FollowUps, message: str) -> None:
    from dataclasses import replace

    from bot.text import normalize

    state = after(followups, "课后服务几点结束")
    assert followups.complete(normalize(message), state, NOW + 60).borrowed != "whose"  # no answer quoted yet
    answered = replace(state, answered="某区(匿名)")
    assert followups.complete(normalize(message), answered, NOW + 60).borrowed == "whose"


def test_how_another_place_handles_it_keeps_the_whole_last_matter(followups: FollowUps) -> None:
    state = after(followups, "泸州节假日还能补课不")
    completion = followups.complete("涪陵那边咋个管的", state, NOW + 60)
    assert completion.borrowed == "more" and completion.text.startswith("涪陵") and "节假日" in completion.text
    # after a question that already asked how, it is a swap of place on the last subject
    state = after(followups, "涪陵现在作业咋个管的")
    assert followups.complete("通州咋个搞的", state, NOW + 60).borrowed == "aspect"


def test_asking_specifically_keeps_the_last_question(followups: FollowUps) -> None:
    state = after(followups, "通州的学校作业是谁来把关的")
    completion = followups.complete("具体分几步", state, NOW + 60)
    assert completion.borrowed == "more" and completion.detail and "把关" in completion.text and completion.text.endswith("分几步")


def test_asking_for_figures_leans_on_the_last_question(followups: FollowUps) -> None:
    state = after(followups, "涪陵区学校作业管得严不")
    completion = followups.complete("有没有数据", state, NOW + 60)
    assert completion.borrowed and completion.place == "涪陵区" and "作业" in completion.text


def test_how_often_the_same_thing_is_done_keeps_the_last_question() -> None:
    from bot.text import Tokenizer

    followups = FollowUps(RegionCatalog.from_names(Gazetteer(), REGIONS).scope, ttl=1800, words=Tokenizer().content_words)
    state = after(followups, "云阳学校作业多得很,县里有没有人下来查")
    completion = followups.complete("多久查一回", state, NOW + 60)
    assert completion.borrowed == "more" and "下来查" in completion.text and completion.text.endswith("多久查一回")
    state = after(followups, "通州区对培训机构监管严不严")
    assert followups.complete("钱的方面管不管", state, NOW + 60).borrowed == "aspect"  # 管 is not 监管
    state = after(followups, "涪陵课后服务有好多老师参加")  # the same matter, asked of others
    completion = followups.complete("娃儿有好多参加", state, NOW + 60)
    assert completion.borrowed == "more" and completion.place == "涪陵" and "课后服务" in completion.text


def test_they_after_an_answer_about_no_named_place_are_the_answers_district(followups: FollowUps) -> None:
    from dataclasses import replace

    state = replace(after(followups, "有个报告说培训机构退费难,是哪里的哦"), answered="某区(匿名)")
    completion = followups.complete("他们建议咋个管收费", state, NOW + 60)
    assert completion.place == "某区(匿名)" and completion.text.startswith("某区(匿名)")
    assert followups.complete("建议咋个管收费", state, NOW + 60).place == ""  # nothing points at it


def test_asking_whether_it_is_true_asks_the_last_question_again(followups: FollowUps) -> None:
    state = after(followups, "涪陵区是不是不准老师喊家长批改作业了")
    completion = followups.complete("真的假的,是真的在管还是说起耍的", state, NOW + 60)
    assert completion.borrowed == "more" and completion.text == "涪陵区是不是不准老师喊家长批改作业了"


def test_a_family_that_moved_asking_about_there_swaps_the_place(followups: FollowUps) -> None:
    state = after(followups, "我们娃原来在云阳读书,学校课后服务社团多得很")
    completion = followups.complete("现在跟到我们转到南通通州去了,那边呢", state, NOW + 60)
    assert completion.borrowed == "place" and completion.text.startswith("通州") and "社团" in completion.text
    assert completion.home == "通州"
