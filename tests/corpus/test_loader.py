"""bot.corpus.loader: reading the corpus folder, metadata, skipped files, and a clean shipped corpus."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import CorpusSettings, load_config
from bot.corpus.faq import append_faq
from bot.corpus.loader import CorpusLoad, load_corpus, load_metadata, load_passages
from bot.errors import ConfigError, CorpusError
from bot.records import Passage
from bot.text import compact, strip_pinyin

REPO = Path(__file__).resolve().parents[2]
REPORTS = [
    "chongqing-fuling.txt",
    "chongqing-yunyang.txt",
    "district-survey-report.txt",
    "jiangsu-nantong-tongzhou.txt",
    "sichuan-luzhou.txt",
]


@pytest.fixture(scope="module")
def shipped_passages() -> list[Passage]:
    passages, skipped = load_passages(load_config(REPO / "config.toml").corpus)
    assert skipped == ()
    return passages


def settings_of(project: Path) -> CorpusSettings:
    return load_config(project).corpus


def test_shipped_corpus_loads_with_metadata_and_scripts(project: Path) -> None:
    corpus = load_corpus(settings_of(project))
    assert isinstance(corpus, CorpusLoad) and corpus.skipped == ()
    assert [d.meta.doc_id for d in corpus.documents] == REPORTS
    scripts = {d.meta.doc_id: d.script for d in corpus.documents}
    assert scripts["sichuan-luzhou.txt"] == scripts["chongqing-yunyang.txt"] == "traditional"
    assert scripts["chongqing-fuling.txt"] == scripts["district-survey-report.txt"] == "simplified"
    tongzhou = corpus.documents[3].meta
    assert (tongzhou.region, tongzhou.source, tongzhou.date) == ("江苏省南通市通州区", "江苏省教育厅", "2023-03-15")
    assert "通州" in tongzhou.aliases
    assert corpus.documents[0].meta.date is None  # "" in the sidecar means unknown


def test_sidecars_readme_hidden_files_and_subfolders_are_ignored(project: Path) -> None:
    folder = project.parent / "corpus"
    (folder / "README.md").write_text("# 这个文件夹放报告\n", encoding="utf-8")
    (folder / ".draft.txt").write_text("草稿", encoding="utf-8")
    (folder / "notes.json").write_text("{}", encoding="utf-8")
    (folder / "old").mkdir()
    (folder / "old" / "old-report.txt").write_text("旧报告。", encoding="utf-8")
    corpus = load_corpus(settings_of(project))
    assert [d.meta.doc_id for d in corpus.documents] == REPORTS and corpus.skipped == ()


def test_bad_files_are_skipped_with_their_reason(project: Path) -> None:
    folder = project.parent / "corpus"
    (folder / "a-empty.txt").write_bytes(b"")
    (folder / "b-broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    corpus = load_corpus(settings_of(project))
    assert [d.meta.doc_id for d in corpus.documents] == REPORTS
    assert [(Path(e.path).name, e.reason) for e in corpus.skipped] == [
        ("a-empty.txt", "empty file"),
        ("b-broken.docx", "truncated or damaged .docx (not a valid Word file)"),
    ]


def test_only_boilerplate_is_skipped(project: Path) -> None:
    (project.parent / "corpus" / "nav.html").write_text("<p>当前位置:首页 > 新闻</p><p>分享让更多人看到</p>", encoding="utf-8")
    skipped = load_corpus(settings_of(project)).skipped
    assert [e.reason for e in skipped] == ["no text left after removing page boilerplate"]


def test_too_large_files_use_the_configured_limit(project: Path) -> None:
    settings = replace(settings_of(project), max_file_mb=0.015)  # 15.4 KB: only the 16.3 KB survey is larger
    corpus = load_corpus(settings)
    assert [Path(e.path).name for e in corpus.skipped] == ["district-survey-report.txt"]
    assert corpus.skipped[0].reason == "file is 0.016 MB, larger than the 0.015 MB limit (corpus.max_file_mb)"
    assert len(corpus.documents) == 4


def test_a_report_without_metadata_falls_back_to_first_line_and_stem(project: Path) -> None:
    text = "\ufeff  某区课后服务通知\n\n课后服务结束时间不早于家长下班时间。"
    (project.parent / "corpus" / "moqu-notice.txt").write_text(text, encoding="utf-8")
    doc = next(d for d in load_corpus(settings_of(project)).documents if d.meta.doc_id == "moqu-notice.txt")
    assert (doc.meta.title, doc.meta.region, doc.meta.source, doc.meta.date) == ("某区课后服务通知", "moqu-notice", "", None)


def test_gbk_and_big5_copies_clean_to_the_same_text(project: Path) -> None:
    folder = project.parent / "corpus"
    fuling = (folder / "chongqing-fuling.txt").read_text(encoding="utf-8")
    luzhou = (folder / "sichuan-luzhou.txt").read_text(encoding="utf-8")
    (folder / "fuling-gbk.txt").write_bytes(fuling.encode("gbk"))
    big5_part = strip_pinyin(luzhou.split("\n")[0])  # pinyin tone letters do not exist in Big5
    (folder / "luzhou-big5.txt").write_bytes(big5_part.encode("big5"))
    docs = {d.meta.doc_id: d for d in load_corpus(settings_of(project)).documents}
    assert docs["fuling-gbk.txt"].text == docs["chongqing-fuling.txt"].text
    assert docs["luzhou-big5.txt"].text == docs["sichuan-luzhou.txt"].text.split("\n")[0]
    assert docs["luzhou-big5.txt"].script == "traditional"


def test_missing_folder_says_what_to_do(project: Path) -> None:
    settings = replace(settings_of(project), dir=project.parent / "nowhere")
    with pytest.raises(CorpusError) as caught:
        load_corpus(settings)
    assert "nowhere" in str(caught.value) and "corpus.dir" in str(caught.value)


def test_no_readable_document_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    settings = CorpusSettings(
        dir=folder, metadata=folder / "documents.toml", faq=folder / "faq.toml",
        repairs=folder / "repairs.toml", terms=folder / "terms.toml",
    )
    with pytest.raises(CorpusError) as caught:
        load_corpus(settings)
    assert "empty.txt: empty file" in str(caught.value) and "Add at least one report" in str(caught.value)


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ('["a.txt"]\ntitle = "报告"\ndate = "2023年3月"\n', "['a.txt'].date"),
        ('["a.txt"]\ntitle = "报告"\nregoin = "某区"\n', "'regoin'"),
        ('["a.txt"]\nregion = "某区"\n', "['a.txt'].title"),
        ('["a.txt"]\ntitle = "报告"\naliases = "涪陵"\n', "['a.txt'].aliases"),
        ('["a.txt"]\ntitle = 3\n', "['a.txt'].title"),
        ('"a.txt" = "报告"\n', "['a.txt']"),
        ('["a.txt"\n', "not valid TOML"),
    ],
)
def test_bad_metadata_names_the_key(tmp_path: Path, entry: str, named: str) -> None:
    path = tmp_path / "documents.toml"
    path.write_text(entry, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_metadata(path)
    assert named in str(caught.value)


def test_load_passages_adds_faq_entries(project: Path) -> None:
    settings = settings_of(project)
    append_faq(settings.faq, question="课后服务几点结束?", answer="本校17:30结束。", author="某小学", date="2026-11-20")
    passages, skipped = load_passages(settings)
    assert skipped == ()
    assert [p.kind for p in passages].count("faq") == 1 and passages[-1].kind == "faq"
    assert {p.doc_id for p in passages if p.kind == "report"} == set(REPORTS)


BOILERPLATE = (
    "责任编辑", "責任編輯", "ICP", "公网安备", "网站标识码", "版权所有", "经营许可证", "备案号",
    "供图", "供圖", "供稿", "相关新闻", "相關新聞", "本网专稿", "本網專稿", "分享让", "分享讓",
    "当前位置", "上传人", "文档编号", ".docx", "第1页", "点击查看", "资源描述", "展开阅读", "三一办公",
    "猜你喜欢", "相关搜索", "来源:", "來源:", "收藏", "胡虹", "Rex_02", "宣思",
)
REWRITTEN = (
    "效劳", "参和", "根底", "本钱", "承当", "储藏", "局部", "屡次", "工程", "播送", "记录证书", "记录场所",
    "稳固", "催促", "比拟", "改良", "语境", "购置", "提早", "力口", "培训I", "提IWJ", "教幅己备",
    "资源已置", "评价J度", "豺人", "科人", "占比为料", "o积极", "。渡", "落地实施", "力保", "?qū",
)


def test_no_boilerplate_left_in_any_passage(shipped_passages: list[Passage]) -> None:
    for passage in shipped_passages:
        for word in BOILERPLATE:
            assert word not in passage.text and word not in passage.section, (word, passage.text)
        assert not re.search(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}[)）]", passage.text), passage.text


def test_no_rewritten_words_left_in_the_survey(shipped_passages: list[Passage]) -> None:
    survey = [p for p in shipped_passages if p.doc_id == "district-survey-report.txt"]
    for passage in survey:
        for word in REWRITTEN:
            assert word not in passage.text, (word, passage.text)
        assert not re.search(r"\d{1,2}、", passage.text), passage.text  # no page marker of the sharing site


def test_genuine_words_survive_elsewhere(shipped_passages: list[Passage]) -> None:
    text = "".join(p.text for p in shipped_passages)
    assert "教育信息化工程" in text and "教师梯级培养工程" in text  # 涪陵's 工程 stays
    assert "不高于2元/课时生标准" in text and "标准缴纳" in text


@pytest.mark.parametrize(
    "fact",
    [
        "2元/课时",
        "不早于家长下班时间",
        "初中生留少量作业",
        "不得重复收费",
        "风险储备金",
        "法定节假日、休息日",
        "可以适当提前离校",
        "主要做法如下",
        "督促校外培训机构的规范办学行为",
    ],
)
def test_facts_survive_inside_one_passage(shipped_passages: list[Passage], fact: str) -> None:
    assert any(compact(fact) in compact(p.search_text) for p in shipped_passages)
