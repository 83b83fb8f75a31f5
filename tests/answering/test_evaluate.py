"""Reading labelled sets: single questions, conversations, and the questions they hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.evaluate import labelled_texts, load_questions
from bot.errors import UsageError

SINGLE = '{"id": "a", "q": "托管费怎么收", "keys": ["2元/课时"]}\n\n{"q": "高考志愿怎么填", "keys": []}\n'
DIALOG = '{"id": "f", "kind": "followup", "turns": ["涪陵的课后服务是什么模式", "泸州呢"], "keys": ["5+2"]}\n'


def test_labelled_texts_reads_questions_and_optionally_turns(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(SINGLE, encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(DIALOG, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a set", encoding="utf-8")
    assert labelled_texts(tmp_path) == ["托管费怎么收", "高考志愿怎么填"]
    assert labelled_texts(tmp_path, turns=True) == ["托管费怎么收", "高考志愿怎么填", "涪陵的课后服务是什么模式", "泸州呢"]


def test_load_questions_skips_conversations_and_names_a_bad_line(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(SINGLE + DIALOG, encoding="utf-8")
    assert [q.q for q in load_questions(mixed)] == ["托管费怎么收", "高考志愿怎么填"]
    mixed.write_text(SINGLE + '{"question": "no q"}\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"mixed\.jsonl:4 is not a question record"):
        load_questions(mixed)
