"""bot.corpus.splitter: offsets, size bounds and section headings on the shipped reports and small documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import load_config
from bot.corpus.loader import load_corpus
from bot.corpus.splitter import MAX, SEPARATOR, TARGET, marker_level, split_document
from bot.records import Document, DocumentMeta, Passage
from bot.text import normalize

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped() -> dict[str, tuple[Document, list[Passage]]]:
    corpus = load_corpus(load_config(REPO / "config.toml").corpus)
    return {doc.meta.doc_id: (doc, split_document(doc)) for doc in corpus.documents}


def make_doc(text: str, script: str = "simplified") -> Document:
    meta = DocumentMeta(doc_id="t.txt", title="测试报告", region="某区", source="某局", date="2023-03-15")
    return Document(meta=meta, text=text, script=script)  # type: ignore[arg-type]


def sentences_in(text: str) -> int:
    return len(re.findall(r"[。！？!?]+[”’」』)）]*(?=.)", text)) + 1


def test_all_five_reports_are_split(shipped: dict[str, tuple[Document, list[Passage]]]) -> None:
    assert len(shipped) == 5
    for doc, passages in shipped.values():
        assert len(passages) >= 10, doc.meta.doc_id


def test_offsets_and_search_text_of_every_passage(shipped: dict[str, tuple[Document, list[Passage]]]) -> None:
    for doc, passages in shipped.values():
        previous_end = 0
        for passage in passages:
            assert passage.text == doc.text[passage.start : passage.end]
            assert passage.search_text == normalize(passage.text)
            assert passage.text == passage.text.strip() and "\n" not in passage.text
            assert passage.start >= previous_end  # in order, never overlapping
            previous_end = passage.end


def test_size_bounds(shipped: dict[str, tuple[Document, list[Passage]]]) -> None:
    for doc, passages in shipped.values():
        for passage in passages:
            if len(passage.text) > MAX:
                assert sentences_in(passage.text) == 1, passage.text
        lengths = [len(p.text) for p in passages]
        assert sum(lengths) / len(lengths) >= TARGET * 0.75, doc.meta.doc_id


def test_passages_carry_metadata_script_and_unique_ids(shipped: dict[str, tuple[Document, list[Passage]]]) -> None:
    ids = set()
    for doc, passages in shipped.values():
        for passage in passages:
            assert (passage.doc_id, passage.title, passage.region) == (doc.meta.doc_id, doc.meta.title, doc.meta.region)
            assert (passage.source, passage.date, passage.script) == (doc.meta.source, doc.meta.date, doc.script)
            assert passage.kind == "report"
            ids.add(passage.id)
    assert len(ids) == sum(len(p) for _, p in shipped.values())


def test_title_line_is_not_a_passage(shipped: dict[str, tuple[Document, list[Passage]]]) -> None:
    titles = {
        "jiangsu-nantong-tongzhou.txt": "江苏省南通市通州区系统推进、精准发力 助推“双减”工作落地落实",
        "chongqing-yunyang.txt": "云陽縣實施“五大行動” 深入推動“雙減”落地見效",
        "district-survey-report.txt": "双减政策落实情况调研",
    }
    for doc_id, title in titles.items():
        doc, passages = shipped[doc_id]
        assert doc.text.startswith(title)
        assert all(p.start > len(title) for p in passages)
        assert all(title not in p.section for p in passages)


def section_of(passages: list[Passage], fragment: str) -> str:
    found = [p for p in passages if fragment in p.text]
    assert found, fragment
    return found[0].section


@pytest.mark.parametrize(
    ("doc_id", "fragment", "section"),
    [
        ("chongqing-fuling.txt", "三是优化课后服务。", "第二,坚持全程推进,促校内减负提质增效 › 三是优化课后服务"),
        ("chongqing-fuling.txt", "严防“退费难”", "第三,坚持全面治理,促校外减负规范到位 › 三是抓培训机构日常监管"),
        ("district-survey-report.txt", "2元/课时", "三、课后服务工作开展情况 › (五)经费保障"),
        ("district-survey-report.txt", "不允许排名", "三、课后服务工作开展情况 › (二)作业管理 › 1 .完善作业管理"),
        ("district-survey-report.txt", "双减假", "五、其他方面 › (二)建立参与课后服务教师弹性上下班工作机制情况"),
        ("district-survey-report.txt", "年检指南", "四、校外培训机构整治管理情况 › 2 .建立年检制度"),
        ("jiangsu-nantong-tongzhou.txt", "调整上下班时间", "凝聚合力,强化协同育人效能 › 二是建立人文关怀机制"),
        ("sichuan-luzhou.txt", "增加學位2100個", "聚焦資源整合,優化校點布局 › 一是補齊學位短板,破解城區“上學難”"),
        ("chongqing-yunyang.txt", "發放告家長書", "實施全面宣傳引導行動,形成良好社會輿論氛圍"),
        ("chongqing-yunyang.txt", "社團300余個", "實施優質課后服務行動,促進學生全面發展健康成長"),
    ],
)
def test_sections_follow_the_report_structure(
    shipped: dict[str, tuple[Document, list[Passage]]], doc_id: str, fragment: str, section: str
) -> None:
    assert section_of(shipped[doc_id][1], fragment) == section


def test_passages_never_cross_an_item(shipped: dict[str, tuple[Document, list[Passage]]]) -> None:
    for _, passages in shipped.values():
        for passage in passages:
            assert not re.search(r"[。；;][一二三四五六七八九十]是", passage.text), passage.text
            assert not re.search(r"。\d \.", passage.text), passage.text


def test_lead_sentence_of_items_becomes_their_heading_not_a_passage(
    shipped: dict[str, tuple[Document, list[Passage]]],
) -> None:
    _, passages = shipped["chongqing-fuling.txt"]
    assert not any(p.text.startswith("第二,坚持全程推进") for p in passages)
    _, passages = shipped["jiangsu-nantong-tongzhou.txt"]
    assert not any(p.text == "凝聚合力,强化协同育人效能。" for p in passages)


def test_short_sentences_merge_up_to_target() -> None:
    sentence = "学校每天开展课后服务两小时。"  # 14 characters
    passages = split_document(make_doc("标题\n" + sentence * 30))
    assert [len(p.text) for p in passages] == [126, 126, 126, 42]
    assert all(p.text.endswith("。") for p in passages)


def test_a_small_last_piece_joins_the_passage_before() -> None:
    text = "标题\n" + "课后服务由学校统筹安排,家长自愿选择参加,学校不得强制学生参加。" * 4 + "费用另计。"
    passages = split_document(make_doc(text))
    assert passages[-1].text.endswith("费用另计。") and len(passages[-1].text) > 40


def test_long_sentence_is_cut_after_semicolons() -> None:
    clause = "违反培训时间有关规定,通过直播变录播等方式违规开展学科类培训;"
    text = "标题\n" + clause * 12 + "需政府牵头完善联合执法机制。"
    passages = split_document(make_doc(text))
    assert len(passages) > 1
    assert all(len(p.text) <= MAX for p in passages)
    assert "".join(p.text for p in passages) == text.split("\n")[1]


def test_one_sentence_longer_than_max_stays_whole() -> None:
    sentence = "、".join(["开设篮球足球乒乓球跳绳课程"] * 25) + "。"
    passages = split_document(make_doc("标题\n" + sentence))
    assert [p.text for p in passages] == [sentence]


def test_repeated_text_gets_distinct_ids() -> None:
    text = "标题\n一、收费\n不得重复收费。\n二、退费\n不得重复收费。"
    passages = split_document(make_doc(text))
    assert [p.text for p in passages] == ["不得重复收费。", "不得重复收费。"]
    assert passages[0].id != passages[1].id
    assert [p.section for p in passages] == ["一、收费", "二、退费"]


def test_heading_levels_nest_and_close() -> None:
    text = (
        "报告标题\n一、课后服务\n(一)时间安排\n1 .结束时间\n不早于家长下班时间。\n"
        "2 .弹性离校\n可以适当提前离校。\n(二)经费保障\n不得重复收费。\n二、作业管理\n初中生留少量作业。"
    )
    sections = [p.section for p in split_document(make_doc(text))]
    assert sections == [
        SEPARATOR.join(["一、课后服务", "(一)时间安排", "1 .结束时间"]),
        SEPARATOR.join(["一、课后服务", "(一)时间安排", "2 .弹性离校"]),
        SEPARATOR.join(["一、课后服务", "(二)经费保障"]),
        "二、作业管理",
    ]


def test_inline_items_close_at_the_paragraph_end() -> None:
    text = "标题\n加强作业管理。一是严控总量。严控书面作业总量,每周通报。\n家长可以监督举报,学校应当及时回复。"
    passages = split_document(make_doc(text))
    assert passages[-1].text == "家长可以监督举报,学校应当及时回复。"
    assert passages[-1].section == ""


def test_short_lines_without_a_body_are_passages_not_headings() -> None:
    text = "常见问题\n课后服务自愿参加\n收费不高于2元/课时\n结束时间不早于下班时间"
    passages = split_document(make_doc(text))
    assert [p.text for p in passages] == ["课后服务自愿参加", "收费不高于2元/课时", "结束时间不早于下班时间"]


def test_table_rows_are_passages() -> None:
    text = "收费标准\n(五)经费保障\n托管服务 | 不高于2元/课时\n个性化课程 | 由家长承担"
    passages = split_document(make_doc(text))
    assert [p.text for p in passages] == ["托管服务 | 不高于2元/课时", "个性化课程 | 由家长承担"]
    assert passages[0].section == "(五)经费保障"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("第一,坚持全域统筹", 1),
        ("一、基本情况", 1),
        ("(五)经费保障", 2),
        ("1 .完善作业管理", 3),
        ("2、要做法", 3),
        ("三是优化课后服务", 3),
        ("第二个是要提高教研实效", 4),
        ("一、二年级不布置书面作业", None),
        ("2.0行动计划", None),
        ("99.76%的学校", None),
        ("第一阶段遴选", None),
    ],
)
def test_marker_levels(text: str, level: int | None) -> None:
    assert marker_level(text) == level


FRAGMENTS = [
    "一是加强统筹领导。", "二是", "(一)", "1 .", "2、", "第一,", "一、", "课后服务", "不早于家长下班时间",
    "。", ",", ";", "！", "\n", "\n\n", " ", "“双减”", "按照不高于2元/课时生标准收取课后服务费" * 3, "托管 | 2元",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60))
def test_any_text_splits_into_exact_ordered_spans(parts: list[str]) -> None:
    doc = make_doc("".join(parts))
    end = 0
    for passage in split_document(doc):
        assert passage.text == doc.text[passage.start : passage.end] == passage.text.strip() != ""
        assert "\n" not in passage.text and passage.start >= end
        end = passage.end
