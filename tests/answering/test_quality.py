"""Answer quality on labelled parents' questions, with the real index and embedder.

The development set (a copy of shared/eval/dev_questions.jsonl) and our own held-out
parents' questions must both reach the bar of the answer-quality issue. Neither set
is used to fit anything: calibration uses tests/data/calibration_*.jsonl and the blind
sets tests/data/blind_*.jsonl (each scored once, before it was fitted on, and kept here
so that what it measured does not slip).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answering.evaluate import evaluate, load_questions
from bot.answering.evaluate_dialogs import evaluate_dialogs, load_dialogs

DATA = Path(__file__).resolve().parents[1] / "data"


# The bar for the development set; our own, more colloquial held-out set
# (typos, Traditional script, slang) is held to nearly the same bar. Out of scope, a
# tentative answer ("the reports do not answer this directly; the closest is …") is not
# a confident one: the share refused outright is held lower, the share not answered
# confidently at the 0.9 (the dev set has five such questions; one of them,
# 高考分数线, is answered tentatively with the 中高考 lectures).
BARS = {
    "dev_questions.jsonl": {
        "recall@3": 0.95, "mrr@3": 0.85, "answer_contains_key": 0.90, "out_of_scope_abstention": 0.80,
        "out_of_scope_not_confident": 0.90, "false_abstention": 0.05,
    },
    "parent_questions.jsonl": {
        "recall@3": 0.90, "mrr@3": 0.85, "answer_contains_key": 0.85, "out_of_scope_abstention": 0.90,
        "out_of_scope_not_confident": 0.90, "false_abstention": 0.06,
    },
}


@pytest.mark.parametrize("name", sorted(BARS))
def test_labelled_questions_reach_the_bar(shipped_service, name: str) -> None:
    report = evaluate(shipped_service, load_questions(DATA / name), k=3).as_dict()
    for metric, bar in BARS[name].items():
        if metric == "false_abstention":
            assert report[metric] <= bar, (metric, report)
        else:
            assert report[metric] >= bar, (metric, report)


HELD_OUT = (
    "dev_questions.jsonl", "parent_questions.jsonl", "fresh_questions.jsonl", "blind_reading.jsonl",
    "blind_questions.jsonl", "blind_questions2.jsonl", "blind_questions3.jsonl", "blind_questions4.jsonl",
    "blind_questions5.jsonl", "blind_questions6.jsonl", "blind_questions7.jsonl", "blind_questions8.jsonl",
    "blind_questions9.jsonl", "blind_questions10.jsonl", "blind_questions11.jsonl", "blind_questions12.jsonl",
    "blind_questions13.jsonl", "blind_questions14.jsonl", "blind_questions15.jsonl", "blind_questions16.jsonl",
    "blind_questions17.jsonl", "blind_questions18.jsonl", "blind_questions19.jsonl",
)
# Never fitted on: the calibration uses calibration_*.jsonl and blind_*.jsonl only.
NEVER_FITTED = ("dev_questions.jsonl", "parent_questions.jsonl", "fresh_questions.jsonl")
CONVERSATIONS = (
    "conversations_heldout.jsonl", "conversations_blind.jsonl", "conversations_fresh3.jsonl", "conversations_final.jsonl", "conversations_final2.jsonl",
    "conversations_final3.jsonl", "conversations_final4.jsonl", "conversations_final5.jsonl", "conversations_final6.jsonl", "conversations_final7.jsonl",
    "conversations_final8.jsonl", "conversations_final9.jsonl", "conversations_final10.jsonl", "conversations_final11.jsonl",
    "conversations_final12.jsonl", "conversations_final13.jsonl", "conversations_final14.jsonl", "conversations_final15.jsonl",
    "conversations_final16.jsonl", "conversations_final17.jsonl", "conversations_final18.jsonl", "conversations_final19.jsonl",
    "conversations_final20.jsonl", "conversations_final21.jsonl", "conversations_final22.jsonl",
    "conversations_final23.jsonl", "conversations_final25.jsonl",
)


def test_calibration_set_is_separate_from_the_held_out_sets() -> None:
    fitted = {q.q for pattern in ("calibration_*.jsonl", "blind_*.jsonl") for path in DATA.glob(pattern) for q in load_questions(path)}
    assert len(fitted) > 1000
    for name in NEVER_FITTED:
        assert not fitted & {q.q for q in load_questions(DATA / name)}, name
    turns = {t for name in CONVERSATIONS for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip() for t in json.loads(line)["turns"]}
    assert fitted & turns <= {"泸州学科类培训机构压减了好多"}  # two helpers, writing blind, asked it alike


# conversations_final2.jsonl was written by someone who saw neither the code nor the other
# sets, and scored once, after the last change: local 16/18, followup 14/18, the other
# kinds 6/6 except not_in_reports 4/6. These bars keep what it measured from slipping.
DIALOG_BARS = {"local": 0.85, "elsewhere": 0.83, "unknown_region": 0.83, "followup": 0.75, "remedy": 0.83, "not_in_reports": 0.66}


def test_conversations_written_blind_keep_their_figures(shipped_service) -> None:
    report = evaluate_dialogs(shipped_service, load_dialogs(DATA / "conversations_final2.jsonl")).as_dict()
    for kind, bar in DIALOG_BARS.items():
        assert report["kinds"][kind]["share"] >= bar, (kind, report["kinds"][kind], report["misses"])
