"""`python -m bot eval FILE.jsonl`: how well the bot finds, quotes and abstains.

Each line of FILE is {"id", "q", "keys", ...}: `keys` are facts a good answer
contains (any one), matched after normalisation (Simplified, no whitespace,
punctuation or pinyin glosses). Empty `keys` mark questions outside the reports,
which should get an honest "not covered".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.errors import UsageError
from bot.records import Answer
from bot.text import contains_key


class Answerer(Protocol):
    def ask(self, question: str, *, region: str | None = None, top_k: int | None = None, **context) -> Answer: ...


@dataclass(frozen=True)
class LabelledQuestion:
    id: str
    q: str
    keys: tuple[str, ...]
    topic: str = ""

    @property
    def in_scope(self) -> bool:
        return bool(self.keys)


@dataclass
class EvalReport:
    k: int
    in_scope: int = 0
    out_of_scope: int = 0
    hits_at_k: int = 0
    reciprocal_ranks: float = 0.0
    answers_with_key: int = 0
    abstained_out: int = 0
    abstained_in: int = 0
    tentative_out: int = 0  # out of scope, answered tentatively (not refused, not confident)
    tentative_in: int = 0
    misses: list[str] = field(default_factory=list)

    def _share(self, n: int, d: int) -> float:
        return n / d if d else 0.0

    def as_dict(self) -> dict:
        return {
            "k": self.k,
            "in_scope": self.in_scope,
            "out_of_scope": self.out_of_scope,
            f"recall@{self.k}": round(self._share(self.hits_at_k, self.in_scope), 4),
            f"mrr@{self.k}": round(self._share(self.reciprocal_ranks, self.in_scope), 4),
            "answer_contains_key": round(self._share(self.answers_with_key, self.in_scope), 4),
            "out_of_scope_abstention": round(self._share(self.abstained_out, self.out_of_scope), 4),
            "false_abstention": round(self._share(self.abstained_in, self.in_scope), 4),
            "out_of_scope_not_confident": round(self._share(self.abstained_out + self.tentative_out, self.out_of_scope), 4),
            "in_scope_tentative": round(self._share(self.tentative_in, self.in_scope), 4),
            "misses": self.misses,
        }

    def describe(self) -> str:
        d = self.as_dict()
        lines = [
            f"questions: {self.in_scope} in scope, {self.out_of_scope} out of scope",
            f"recall@{self.k}:               {d[f'recall@{self.k}']:.3f}",
            f"MRR@{self.k}:                  {d[f'mrr@{self.k}']:.3f}",
            f"answer contains a key:    {d['answer_contains_key']:.3f}",
            f"out-of-scope abstention:  {d['out_of_scope_abstention']:.3f}",
            f"false abstention:         {d['false_abstention']:.3f}",
            f"out of scope, refused or tentative: {d['out_of_scope_not_confident']:.3f}",
            f"in scope, tentative:      {d['in_scope_tentative']:.3f}",
        ]
        if self.misses:
            lines.append("misses:")
            lines.extend(f"  {m}" for m in self.misses)
        return "\n".join(lines)


def labelled_texts(folder: Path, *, turns: bool = False) -> list[str]:
    """Every question written in the labelled sets of `folder` (*.jsonl), for benches and
    sample logs: the single questions, and with `turns` each turn of the conversations."""
    out: list[str] = []
    for file in sorted(folder.glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out += [row["q"]] if "q" in row else (list(row["turns"]) if turns else [])
    return out


def load_questions(path: Path, *, allow_empty: bool = False) -> list[LabelledQuestion]:
    """Read a labelled question file; a bad line is a UsageError naming the line.
    Conversation records (with `turns`) are left to `evaluate_dialogs.load_dialogs`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}.", hint="Give a UTF-8 JSON-lines file.") from exc
    questions = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if isinstance(row, dict) and "turns" in row:
                continue
            keys = row.get("keys", [])
            if not isinstance(row["q"], str) or not isinstance(keys, list):
                raise TypeError("`q` must be a string and `keys` a list")
            questions.append(LabelledQuestion(str(row.get("id", n)), row["q"], tuple(map(str, keys)), str(row.get("topic", ""))))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise UsageError(f"{path}:{n} is not a question record ({exc}).", hint='Each line: {"id": "q1", "q": "…", "keys": ["…"]}') from exc
    if not questions and not allow_empty:
        raise UsageError(f"{path} holds no questions.")
    return questions


def evaluate(answerer: Answerer, questions: Sequence[LabelledQuestion], k: int = 3) -> EvalReport:
    """Ask every question and score ranking, answer text and abstention."""
    report = EvalReport(k=k)
    for item in questions:
        answer = answerer.ask(item.q, top_k=k)
        if not item.in_scope:
            report.out_of_scope += 1
            if answer.abstained:
                report.abstained_out += 1
            elif answer.tentative:
                report.tentative_out += 1
                report.misses.append(f"{item.id} {item.q}: answered tentatively, should abstain (confidence {answer.confidence:.2f})")
            else:
                report.misses.append(f"{item.id} {item.q}: answered, should abstain (confidence {answer.confidence:.2f})")
            continue
        report.in_scope += 1
        rank = next((n for n, hit in enumerate(answer.hits[:k], 1) if contains_key(hit.passage.text, item.keys)), None)
        if rank:
            report.hits_at_k += 1
            report.reciprocal_ranks += 1.0 / rank
        has_key = not answer.abstained and contains_key(answer.text, item.keys)
        report.answers_with_key += has_key
        report.abstained_in += answer.abstained
        report.tentative_in += answer.tentative
        problems = []
        if rank is None:
            problems.append(f"no key in top {k}")
        if answer.abstained:
            problems.append(f"abstained (confidence {answer.confidence:.2f})")
        elif not has_key:
            problems.append("answer lacks a key")
        if problems:
            report.misses.append(f"{item.id} {item.q}: {'; '.join(problems)}")
    return report
