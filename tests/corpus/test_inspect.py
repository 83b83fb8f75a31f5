"""bot.corpus.inspect: what cleaning removed and changed in a report, for the console."""

from __future__ import annotations

from bot.config import CorpusSettings
from bot.corpus.cleaning import clean_text
from bot.corpus.inspect import compare, explain_cleaning
from bot.corpus.repairs import Repairs, Swap
from tests.conftest import SHIPPED_CORPUS

RAW = "当前位置:首页 > 新闻\n课后服务效劳每课时2元。\n版权所有:某某网站\n学(xué)校开展课后服务。\n"


def kept_text(pieces) -> str:  # noqa: ANN001
    return "".join(p.text for p in pieces if p.kind != "removed")


def test_removed_lines_name_their_rule_and_repairs_are_marked() -> None:
    repairs = Repairs(swaps=(Swap("效劳", "服务"),))
    cleaned = clean_text(RAW, "x.txt", repairs)
    result = compare(RAW, cleaned, "x.txt", repairs)
    removed = [(p.text.strip(), p.note) for p in result.pieces if p.kind == "removed"]
    assert ("当前位置:首页 > 新闻", "网站导航") in removed and ("版权所有:某某网站", "版权/备案") in removed
    assert ("(xué)", "拼音/页码/标记") in removed
    changed = [(p.was, p.text, p.note) for p in result.pieces if p.kind == "changed"]
    assert ("效劳", "服务", "修复表") in changed
    assert kept_text(result.pieces).split() == cleaned.split()


def test_every_shipped_report_is_rebuilt_exactly_from_its_pieces() -> None:
    settings = CorpusSettings(SHIPPED_CORPUS, SHIPPED_CORPUS / "documents.toml", SHIPPED_CORPUS / "faq.toml", SHIPPED_CORPUS / "repairs.toml", SHIPPED_CORPUS / "terms.toml")
    for path in sorted(SHIPPED_CORPUS.glob("*.txt")):
        result = explain_cleaning(settings, path.name)
        assert kept_text(result.pieces).replace("\n", "") == result.cleaned.replace("\n", ""), path.name
    assert explain_cleaning(settings, "jiangsu-nantong-tongzhou.txt").removed_lines >= 4
