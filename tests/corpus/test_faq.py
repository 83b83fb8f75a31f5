"""bot.corpus.faq: FAQ entries as passages, validation, and appending that keeps the admins' file intact."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.corpus.faq import ALL_REGIONS, FAQ_TITLE, append_faq, load_faq
from bot.errors import ConfigError, UsageError
from bot.records import stable_id
from bot.text import normalize

REPO = Path(__file__).resolve().parents[2]
SHIPPED_FAQ = REPO / "corpus" / "faq.toml"


@pytest.fixture
def faq_file(tmp_path: Path) -> Path:
    """A copy of the shipped faq.toml (comments only, no entries yet)."""
    path = tmp_path / "faq.toml"
    path.write_bytes(SHIPPED_FAQ.read_bytes())
    return path


def test_shipped_file_has_no_entries_yet() -> None:
    assert load_faq(SHIPPED_FAQ) == []


def test_missing_file_means_no_entries(tmp_path: Path) -> None:
    assert load_faq(tmp_path / "faq.toml") == []


def test_append_then_load_round_trip(faq_file: Path) -> None:
    append_faq(faq_file, question="课后服务几点结束?", answer="本校课后服务于17:30结束,如需延时请联系班主任。",
               author="某某小学教务处", date="2026-11-20")
    [passage] = load_faq(faq_file)
    assert passage.kind == "faq" and passage.title == FAQ_TITLE and passage.section == ""
    assert passage.text == "课后服务几点结束?"
    assert passage.search_text == normalize("课后服务几点结束?")
    assert passage.answer == "本校课后服务于17:30结束,如需延时请联系班主任。"
    assert (passage.author, passage.date, passage.region) == ("某某小学教务处", "2026-11-20", ALL_REGIONS)
    assert passage.id == stable_id("faq", passage.search_text)
    assert (passage.start, passage.end) == (0, len(passage.text))


def test_append_keeps_comments_and_existing_entries_byte_for_byte(faq_file: Path) -> None:
    before = faq_file.read_text(encoding="utf-8")
    append_faq(faq_file, question="托管费怎么收?", answer="按区里规定收取。", author="甲", date="2026-11-20", region="某区")
    middle = faq_file.read_text(encoding="utf-8")
    append_faq(faq_file, question="作业要家长批改吗?", answer="不要求家长批改作业。", author="乙", date="2026-11-21")
    after = faq_file.read_text(encoding="utf-8")
    assert middle.startswith(before) and after.startswith(middle)
    assert "# Staff-written questions and answers" in after
    passages = load_faq(faq_file)
    assert [p.text for p in passages] == ["托管费怎么收?", "作业要家长批改吗?"]
    assert [p.region for p in passages] == ["某区", ALL_REGIONS]
    assert [p.author for p in passages] == ["甲", "乙"]


def test_hand_edited_file_without_final_newline(faq_file: Path) -> None:
    faq_file.write_text('# 手写的\n[[faq]]\nquestion = "甲?"\nanswer = "乙。"', encoding="utf-8")
    append_faq(faq_file, question="丙?", answer="丁。", author="", date="")
    assert [p.text for p in load_faq(faq_file)] == ["甲?", "丙?"]


def test_awkward_text_is_escaped(faq_file: Path) -> None:
    question = '家长说"课后服务"要收费\\吗?'
    answer = '第一行\n第二行 """ 还有 [[faq]] 和 # 不是注释\t结束'
    append_faq(faq_file, question=question, answer=answer, author="O'Neil \"教务\"", date="2026-11-20")
    [passage] = load_faq(faq_file)
    assert (passage.text, passage.answer, passage.author) == (question, answer, "O'Neil \"教务\"")


def test_traditional_question_keeps_its_script(faq_file: Path) -> None:
    append_faq(faq_file, question="課後服務幾點結束?", answer="17:30。", author="", date="")
    [passage] = load_faq(faq_file)
    assert passage.script == "traditional" and passage.search_text == "课后服务几点结束?"


@pytest.mark.parametrize(("question", "answer"), [("", "有答案"), ("有问题?", "  "), ("\n", "")])
def test_empty_question_or_answer_is_refused(faq_file: Path, question: str, answer: str) -> None:
    before = faq_file.read_bytes()
    with pytest.raises(UsageError):
        append_faq(faq_file, question=question, answer=answer, author="甲", date="2026-11-20")
    assert faq_file.read_bytes() == before


def test_bad_date_and_repeated_question_are_refused(faq_file: Path) -> None:
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        append_faq(faq_file, question="甲?", answer="乙。", author="", date="20号")
    append_faq(faq_file, question="课后服务几点结束?", answer="17:30。", author="", date="")
    with pytest.raises(UsageError, match="already"):
        append_faq(faq_file, question="課後服務幾點結束?", answer="五点半。", author="", date="")
    assert len(load_faq(faq_file)) == 1


def test_append_creates_a_missing_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "new" / "faq.toml"
    append_faq(path, question="甲?", answer="乙。", author="", date="2026-11-20")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["faq"][0]["question"] == "甲?"
    assert sorted(p.name for p in path.parent.iterdir()) == ["faq.toml"]


def test_append_refuses_to_build_on_a_broken_file(faq_file: Path) -> None:
    faq_file.write_text("[[faq]\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        append_faq(faq_file, question="甲?", answer="乙。", author="", date="")
    assert faq_file.read_text(encoding="utf-8") == "[[faq]\n"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('[[faq]]\nquestion = "甲?"\nanswer = "乙。"\n[[faq]]\nquestion = "丙?"\n', "FAQ entry 2: `answer`"),
        ('[[faq]]\nquestion = ""\nanswer = "乙。"\n', "FAQ entry 1: `question`"),
        ('[[faq]]\nquestion = "甲?"\nanswer = "乙。"\nauthr = "x"\n', "'authr'"),
        ('[[faq]]\nquestion = "甲?"\nanswer = 3\n', "`answer` must be a string"),
        ('[[faq]]\nquestion = "甲?"\nanswer = "乙。"\ndate = "11月20日"\n', "FAQ entry 1: `date`"),
        ('[[faq]]\nquestion = "甲?"\nanswer = "乙。"\n[[faq]]\nquestion = "甲?"\nanswer = "丙。"\n', "entry 2 repeats"),
        ('[faq]\nquestion = "甲?"\n', "[[faq]]"),
        ("[[faq]\n", "not valid TOML"),
    ],
)
def test_bad_entries_are_named(tmp_path: Path, body: str, named: str) -> None:
    path = tmp_path / "faq.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_faq(path)
    assert named in str(caught.value)
