"""`ask --dialog` keeps one conversation; `eval` scores conversations per kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answering.evaluate_dialogs import Dialog, judge
from bot.cli import main
from bot.records import Answer


def test_ask_dialog_treats_the_questions_as_one_conversation(shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--config", str(shipped_config), "--dialog", "--json", "泸州公布举报电话了吗", "那涪陵呢"]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.strip().split("\n"))
    assert (first["asked_region"], second["asked_region"]) == ("四川省泸州市", "重庆市涪陵区")
    assert second["question"] == "那涪陵呢" and "举报电话" in second["searched"]
    assert second["tentative"] is False and not second["abstained"]


def test_without_dialog_each_question_stands_alone(shipped_config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    turns = tmp_path / "turns.txt"
    turns.write_text("泸州公布举报电话了吗\n那涪陵呢\n", encoding="utf-8")
    assert main(["ask", "--config", str(shipped_config), "--json", "--file", str(turns)]) == 0
    second = json.loads(capsys.readouterr().out.strip().split("\n")[1])
    assert second["searched"] == "那涪陵呢"


def test_eval_reports_conversations_per_kind(shipped_config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "dialogs.jsonl"
    rows = [
        {"id": "a", "kind": "followup", "turns": ["云阳课后服务什么模式", "泸州呢"], "keys": ["5+2"], "region": "泸州"},
        {"id": "b", "kind": "unknown_region", "turns": ["北京海淀区课后服务怎么收费"], "region": "海淀"},
        {"id": "c", "kind": "remedy", "turns": ["培训班倒闭了学费退不回来怎么办"]},
        {"id": "d", "kind": "not_in_reports", "turns": ["今天限行尾号是多少"]},
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert main(["eval", "--config", str(shipped_config), "--json", str(data)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {k: v["passed"] for k, v in report["kinds"].items()} == {"followup": 1, "unknown_region": 1, "remedy": 1, "not_in_reports": 1}


def test_a_bad_conversation_record_is_a_user_error(shipped_config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"kind": "followup", "turns": "not a list"}\n', encoding="utf-8")
    assert main(["eval", "--config", str(shipped_config), str(data)]) == 2
    assert "is not a conversation record" in capsys.readouterr().err


def test_the_judge_fails_what_it_should() -> None:
    plain = Answer("q", False, "simplified", text="某区的做法")
    assert judge(Dialog("x", "elsewhere", ("泸州课后服务几点结束",), region="泸州"), plain)  # no note naming 泸州
    noted = Answer("q", False, "simplified", text="泸州市的报告没有提到…", scope_note="泸州市的报告没有提到“课后服务几点结束”。")
    assert judge(Dialog("x", "elsewhere", ("泸州课后服务几点结束",), region="泸州"), noted) == ""
    confident = Answer("q", False, "simplified", text="答", confidence=0.9)
    assert judge(Dialog("x", "not_in_reports", ("中考考什么",)), confident)
    assert judge(Dialog("x", "remedy", ("怎么办",)), Answer("q", False, "simplified", text="第一句\n第二句\n举报电话")) == "not led by a channel"


def test_the_judge_knows_a_place_written_without_its_province_or_city() -> None:
    tongzhou = Answer("q", False, "simplified", text="…", scope_note="目前没有南京市鼓楼区的报告。")
    assert judge(Dialog("x", "unknown_region", ("江苏南京鼓楼区查得严不严",), region="江苏南京鼓楼区"), tongzhou) == ""
    beijing = Answer("q", False, "simplified", text="…", scope_note="通州区的报告没有提到这个问题。")
    assert judge(Dialog("x", "unknown_region", ("北京通州补课",), region="北京通州"), beijing)  # a bare 通州 is not 北京通州
