"""bot.corpus.editing: console edits keep comments and order, are checked by the real
loaders before they replace a file, and never overwrite an entry that changed meanwhile."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from bot.corpus import editing
from bot.corpus.faq import append_faq, load_faq
from bot.corpus.loader import load_metadata
from bot.corpus.terms import load_terms
from bot.errors import ConfigError, ConflictError, UsageError
from tests.conftest import SHIPPED_CORPUS


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    for name in ("documents.toml", "terms.toml", "faq.toml"):
        shutil.copy(SHIPPED_CORPUS / name, tmp_path / name)
    return tmp_path


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def test_metadata_edits_keep_comments_and_add_a_table_for_a_new_report(corpus: Path) -> None:
    path = corpus / "documents.toml"
    before = path.read_text(encoding="utf-8")
    editing.update_metadata(path, "sichuan-luzhou.txt", {"title": "泸州报告", "region": "四川省泸州市", "date": "2024-05-01"}, ["泸州", " 泸州 ", ""])
    editing.update_metadata(path, "新报告.txt", {"title": "新报告", "region": "某区"}, [])
    after = path.read_text(encoding="utf-8")
    assert comments(after) == comments(before)
    meta = load_metadata(path)
    assert (meta["sichuan-luzhou.txt"].title, meta["sichuan-luzhou.txt"].date, meta["sichuan-luzhou.txt"].aliases) == ("泸州报告", "2024-05-01", ("泸州",))
    assert meta["新报告.txt"].region == "某区" and meta["chongqing-fuling.txt"] == load_metadata(SHIPPED_CORPUS / "documents.toml")["chongqing-fuling.txt"]


def test_a_value_the_loader_rejects_changes_nothing(corpus: Path) -> None:
    path = corpus / "documents.toml"
    before = path.read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        editing.update_metadata(path, "sichuan-luzhou.txt", {"title": "x", "date": "2024/05/01"}, [])
    with pytest.raises(ConfigError, match="title is missing"):
        editing.update_metadata(path, "sichuan-luzhou.txt", {"title": " "}, [])
    assert path.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in corpus.iterdir()) == ["documents.toml", "faq.toml", "terms.toml"]  # no temporary file left


def test_faq_entries_are_edited_in_place_and_retired_into_a_comment(corpus: Path) -> None:
    path = corpus / "faq.toml"
    append_faq(path, question="课后服务几点结束?", answer="17:30。", author="李老师", date="2026-11-20")
    append_faq(path, question="作业多怎么办?", answer="找班主任。", author="王老师", date="2026-11-20")
    first, second = editing.faq_entries(path)
    editing.edit_faq(path, first.key, question="课后服务几点结束?", answer="17:45。", region="涪陵")
    assert [p.answer for p in load_faq(path)] == ["17:45。", "找班主任。"]
    retired = editing.retire_faq(path, second.key, by="张管理员")
    assert retired.question == "作业多怎么办?" and [p.text for p in load_faq(path)] == ["课后服务几点结束?"]
    text = path.read_text(encoding="utf-8")
    assert "# retired" in text and "张管理员" in text and "#   answer = 找班主任。" in text
    with pytest.raises(ConflictError):
        editing.edit_faq(path, second.key, question="x", answer="y")
    with pytest.raises(UsageError):
        editing.edit_faq(path, first.key, question="", answer="y")


def test_term_entries_go_before_the_next_table_and_are_validated(corpus: Path) -> None:
    path = corpus / "terms.toml"
    before = path.read_text(encoding="utf-8")
    editing.set_expansion(path, "娃的作业", ["作业负担", "作业负担", " 作业总量 "])
    text = path.read_text(encoding="utf-8")
    assert text.index('"娃的作业" = ["作业负担", "作业总量"]') < text.index("[typos]")
    assert comments(text) == comments(before)
    editing.set_expansion(path, "托管的费用", ["课后服务费"], replaces="托管的钱")  # renamed where it stood
    assert list(tomllib.loads(path.read_text(encoding="utf-8"))["expansions"])[:2] == ["托管费", "托管的费用"]
    assert load_terms(path).expansions["托管的费用"] == ("课后服务费",)
    for phrase, targets, message in (("", ["x"], "phrase"), ("托管费", ["课后服务费"], "already"), ("补课", [], "at least one"), ("补课", ["补课"], "itself")):
        with pytest.raises(UsageError, match=message):
            editing.set_expansion(path, phrase, targets)
    with pytest.raises(ConflictError):
        editing.set_expansion(path, "x", ["y"], replaces="没有这条")
    editing.delete_expansion(path, "娃的作业")
    assert "娃的作业" not in load_terms(path).expansions
