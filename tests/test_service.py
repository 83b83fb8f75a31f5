"""The wired pipeline: answers, abstention, FAQ entries, regions, reloads, and the ask CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from bot.corpus.faq import append_faq
from bot.errors import IndexCorruptError
from bot.service import Service


def test_fee_question_leads_with_the_figure(shipped_service: Service) -> None:
    answer = shipped_service.ask("托管费按什么标准收")
    assert not answer.abstained
    assert "2元/课时" in answer.text.split("\n\n")[0] and "2元/课时" in answer.quotes[0].text
    assert answer.quotes[0].passage.doc_id == "district-survey-report.txt"
    assert "各地规定不尽相同" in answer.text and "12345" in answer.text


def test_traditional_question_gets_a_traditional_answer(shipped_service: Service) -> None:
    answer = shipped_service.ask("課後服務幾點結束?")
    assert answer.script == "traditional"
    assert "不早於家長下班時間" in answer.text
    assert "课后" not in answer.text  # nothing left in Simplified


def test_out_of_scope_question_is_refused_with_the_hotline_directory(shipped_service: Service) -> None:
    answer = shipped_service.ask("高考志愿怎么填?")
    assert answer.abstained and not answer.quotes
    assert "没有讲到“高考志愿怎么填”" in answer.text
    assert "12345" in answer.text and "xwpx.emis.edu.cn" in answer.text
    assert len(answer.hits) == 3  # the ranked passages still travel along for --json


def test_complaint_question_quotes_the_report_and_lists_the_directory(shipped_service: Service) -> None:
    answer = shipped_service.ask("想投诉校外培训机构,打什么电话?")
    assert not answer.abstained
    assert "举报" in answer.quotes[0].text
    assert len(answer.hotlines) >= 2


def test_no_invented_numbers(shipped_service: Service) -> None:
    """Every number in a reply is in the quoted reports, a citation date or the hotline directory."""
    for question in ("课后服务怎么收费?", "投诉电话是多少", "涪陵关了多少家培训机构", "作业时间有规定吗"):
        answer = shipped_service.ask(question)
        allowed = " ".join([h.passage.text for h in answer.hits] + [q.passage.text for q in answer.quotes])
        allowed += " ".join(f"{h.number} {h.url} {h.last_checked}" for h in answer.hotlines)
        allowed += " ".join(q.citation for q in answer.quotes)
        for number in re.findall(r"\d+(?:\.\d+)?", answer.text):
            assert number in allowed, (question, number)


def test_region_in_the_question_prefers_that_district(shipped_service: Service) -> None:
    assert shipped_service.ask("云阳课后服务参与率多少").quotes[0].passage.region == "重庆市云阳县"
    chosen = shipped_service.ask("课后服务有多少学生参加", region="泸州")  # the parent's /region choice
    assert chosen.asked_region == "四川省泸州市" and chosen.quotes[0].passage.region == "四川省泸州市"
    # 泸州's report gives no participation rate: said so first, then another district's, labelled.
    rate = shipped_service.ask("课后服务参与率多少", region="泸州")
    assert rate.scope_note.startswith("泸州市的报告没有提到") and rate.quotes[0].passage.region != "四川省泸州市"


def test_greeting_alone_gets_a_short_reply_not_passages(shipped_service: Service) -> None:
    answer = shipped_service.ask("老师您好!")
    assert answer.abstained and answer.hits == ()


def test_a_thank_you_alone_gets_a_you_are_welcome_and_keeps_the_conversation(shipped_service: Service) -> None:
    first = shipped_service.ask("泸州公布举报电话了吗", now=1_000_000.0)
    thanks = shipped_service.ask("晓得了,谢谢", state=first.state, now=1_000_060.0)
    assert thanks.text.startswith("不客气") and thanks.hits == () and "您好" not in thanks.text
    assert thanks.state == first.state  # the next "那涪陵呢" still completes from the last question
    assert shipped_service.ask("多謝").text.startswith("不客氣")  # in the parent's script


def test_faq_entry_is_returned_verbatim_with_its_author(project: Path) -> None:
    config = load_config(project, env={})
    append_faq(config.corpus.faq, question="课后服务几点放学?", answer="本校课后服务17:30结束,家长可提前接。",
               author="城七校教务处", date="2026-11-20")
    service = Service.from_config(config, build_if_missing=True, warn=lambda _: None)
    answer = service.ask("课后服务几点放学")
    assert answer.faq is not None and answer.text.startswith("本校课后服务17:30结束,家长可提前接。")
    assert "城七校教务处, 2026-11-20" in answer.text
    assert not service.ask("培训机构预收费怎么监管").faq  # other questions still quote the reports


def test_a_corrupt_index_names_the_file(project: Path) -> None:
    config = load_config(project, env={})
    Service.from_config(config, build_if_missing=True, warn=lambda _: None)
    current = (config.index.dir / "CURRENT").read_text().strip()
    vectors = config.index.dir / "builds" / current / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match="vectors.faiss"):
        Service.from_config(config, build_if_missing=True)


def test_reload_failure_keeps_the_old_index_serving(project: Path) -> None:
    config = load_config(project, env={})
    service = Service.from_config(config, build_if_missing=True, warn=lambda _: None)
    before = service.pipeline
    current = (config.index.dir / "CURRENT").read_text().strip()
    (config.index.dir / "builds" / current / "manifest.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="manifest.json"):
        service.reload()
    assert service.pipeline is before
    assert not service.ask("课后服务怎么收费").abstained


def test_ask_json_prints_one_object_per_question(shipped_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text("托管费按什么标准收\n\n今天星期几\n", encoding="utf-8")
    assert main(["ask", "--config", str(shipped_config), "--json", "--top-k", "2", "--file", str(questions)]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    records = [json.loads(line) for line in lines]
    assert [r["question"] for r in records] == ["托管费按什么标准收", "今天星期几"]
    assert [r["abstained"] for r in records] == [False, True]
    for r in records:
        assert set(r) == {"question", "abstained", "tentative", "asked_region", "searched", "answer", "passages"}
        assert len(r["passages"]) == 2
        assert set(r["passages"][0]) == {"doc", "title", "region", "text", "score"}


def test_ask_without_a_question_is_a_user_error(shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--config", str(shipped_config)]) == 2
    assert capsys.readouterr().err.startswith("error: no question given.")


def test_ask_builds_the_index_first_when_there_is_none(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--config", str(project), "双减假是什么"]) == 0
    out, err = capsys.readouterr()
    assert "双减假" in out and "building one now" in err


def test_ask_warns_when_the_corpus_changed_since_the_build(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "build", "--config", str(project), "--no-progress"]) == 0
    shutil.copy(project.parent / "corpus" / "chongqing-fuling.txt", project.parent / "corpus" / "copy.txt")
    capsys.readouterr()
    assert main(["ask", "--config", str(project), "双减假是什么"]) == 0
    assert "corpus/ changed since the index was built" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("typed", "fact"),
    [("课后服误怎么收费", "2元/课时"), ("举报电化是多少", "举报电话"), ("老师有尝补课怎么办", "有偿补课")],
)
def test_pinyin_slips_still_find_the_rule(shipped_service: Service, typed: str, fact: str) -> None:
    answer = shipped_service.ask(typed)
    assert not answer.abstained and fact in answer.text


def test_no_command_without_a_token_is_a_terminal_chat(shipped_config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("课后服务几点结束\nq\n"))
    assert main(["--config", str(shipped_config)]) == 0
    out, err = capsys.readouterr()
    assert "TELEGRAM_BOT_TOKEN is not set" in err
    assert "不早于家长下班时间" in out


@pytest.mark.parametrize(
    ("question", "in_lead"),
    [("课后服务怎么收费?", "2元/课时"), ("作业太多找谁反映?", "举报"), ("周末还能补课吗?", "休息日")],
)
def test_the_guides_example_questions_lead_with_the_rule(shipped_service: Service, question: str, in_lead: str) -> None:
    answer = shipped_service.ask(question)
    assert in_lead in answer.quotes[0].text, answer.text


def test_trace_is_ask_with_its_ranking(shipped_service: Service) -> None:
    """The console's retrieval test shows exactly what parents get, from one pass."""
    question = "托管费按什么标准收"
    answer, ranking = shipped_service.trace(question)
    plain = shipped_service.ask(question)
    assert answer.text == plain.text and answer.confidence == plain.confidence
    assert ranking.query.text == answer.effective_question
    assert [h.passage.id for h in ranking.reports[: len(answer.hits)]] == [h.passage.id for h in answer.hits]


def test_starting_loads_the_index_once(shipped_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A national index takes a minute and gigabytes to load: starting must not load it twice."""
    from bot.index import store

    loads = []
    real = store.load_build
    monkeypatch.setattr(store, "load_build", lambda *args, **kwargs: loads.append(args) or real(*args, **kwargs))
    Service.from_config(load_config(shipped_config, env={}), build_if_missing=False)
    assert len(loads) == 1


def test_a_swap_of_place_quotes_the_new_places_closest_passage_tentatively(shipped_service: Service) -> None:
    # 通州's report has no "模式" of its after-school service; asked afresh, another district's answers
    first = shipped_service.ask("泸州课后服务是什么模式", now=1_000_000.0)
    swapped = shipped_service.ask("通州呢", state=first.state, now=1_000_060.0)
    assert swapped.tentative and swapped.quotes[0].passage.region == "江苏省南通市通州区"
    assert swapped.text.startswith("通州的报告里没有直接回答这个问题")  # whose report comes closest, said first
    assert shipped_service.ask("通州课后服务是什么模式").quotes[0].passage.region != "江苏省南通市通州区"


def test_a_price_no_report_states_is_answered_tentatively(shipped_service: Service) -> None:
    # the reports rule on prepaid training fees, never on what a lesson may cost
    training = shipped_service.ask("校外培训班一节课最多能收多少钱")
    assert training.tentative and not training.abstained
    assert not shipped_service.ask("课后服务一个月多少钱").tentative  # 不高于2元/课时 is a price


def test_a_remark_on_the_answer_keeps_the_conversation(shipped_service: Service) -> None:
    first = shipped_service.ask("泸州课后服务搞得怎么样", now=1_000_000.0)
    remark = shipped_service.ask("哦45万人 好多哦", state=first.state, now=1_000_020.0)
    assert remark.text.startswith("不客气") and remark.state == first.state
    swapped = shipped_service.ask("换成涪陵是啥情况", state=remark.state, now=1_000_040.0)
    assert swapped.asked_region == "重庆市涪陵区" and "45万" not in swapped.effective_question


def test_where_the_family_is_from_is_acknowledged_and_kept(shipped_service: Service) -> None:
    told = shipped_service.ask("我娃儿在云阳读小学", now=1_000_000.0)
    assert told.text.startswith("有云阳县的报告") and not told.quotes
    asked = shipped_service.ask("学校布置作业有啥子规定没得", state=told.state, now=1_000_020.0)
    assert asked.asked_region == "重庆市云阳县" and asked.quotes[0].passage.region == "重庆市云阳县"


@pytest.mark.parametrize(
    "question",
    ["今年寒假几号放假", "公办幼儿园一学期学费要好多钱", "娃儿满几岁才能上公办幼儿园", "学校中午饭一个月收好多钱嘛", "我们是外地来打工的,娃想上公办小学,要准备哪些材料"],
)
def test_a_date_or_price_no_report_gives_is_refused(shipped_service: Service, question: str) -> None:
    # a rule about 节假日 is no date; a school's 2元/课时 is no kindergarten's fee
    assert shipped_service.ask(question).abstained


def test_after_a_swap_of_place_a_count_answers_for_a_rate(shipped_service: Service) -> None:
    first = shipped_service.ask("云阳的课后服务参与率好高哦", now=1_000_000.0)
    swapped = shipped_service.ask("泸州那边嘞?", state=first.state, now=1_000_020.0)
    assert swapped.tentative and swapped.quotes[0].passage.region == "四川省泸州市" and "45万人" in swapped.text


def test_asking_for_more_quotes_more_of_the_reports(shipped_service: Service) -> None:
    first = shipped_service.ask("老师参加课后服务太累了,有没有照顾老师的办法", now=1_000_000.0)
    more = shipped_service.ask("具体点嘛", state=first.state, now=1_000_020.0)
    assert not more.abstained and len(more.quotes) > len(first.quotes) and more.quotes[0].passage.id == first.quotes[0].passage.id


def test_a_slip_in_the_place_still_swaps_the_place(shipped_service: Service) -> None:
    first = shipped_service.ask("云阳那些学科补习班压减了好多", now=1_000_000.0)
    swapped = shipped_service.ask("哦 那泸洲嘞?", state=first.state, now=1_000_020.0)
    assert swapped.asked_region == "四川省泸州市" and "压减率达30%" in swapped.text


def test_a_price_with_its_limit_asked_is_still_answered(shipped_service: Service) -> None:
    # 上限 asks for a kind of answer (a cap), not about a thing no report names
    assert not shipped_service.ask("学校托管一节课收多少钱啊？我感觉收得有点多，有没有上限").abstained
    first = shipped_service.ask("学校的课后托管要交钱不 大概好多钱一节", now=1_000_000.0)
    assert not shipped_service.ask("屋头困难的呢 可以少交点不", state=first.state, now=1_000_020.0).abstained


def test_whose_rule_it_was_names_the_last_answers_report(shipped_service: Service) -> None:
    first = shipped_service.ask("课后服务几点结束", now=1_000_000.0)
    whose = shipped_service.ask("这是哪里的规定", state=first.state, now=1_000_020.0)
    assert whose.text.startswith(f"上面的回答引用的是{first.quotes[0].passage.region}的报告") and whose.own_reply
    assert whose.state == first.state and whose.hits == ()
