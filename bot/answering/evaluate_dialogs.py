"""`python -m bot eval` on conversations: per kind, how many pass.

Each line is {"id", "kind", "turns": [...], "keys": [...], "region": ...}: the turns are
one chat's messages in order, asked one after the other with the conversation state
carried along; the last answer is judged by its kind:

- `local`: answered (confidently) from the named district's own report, with a key if given;
- `elsewhere`: the first sentence names the district and says its report does not cover it;
- `unknown_region`: the first sentence names the place and says there is no report for it;
- `followup`: answered with a key (and about the named district, when given);
- `remedy`: the first lines name a channel (a report's reporting channel or a hotline; when
  the reports say nothing about the case, the hotlines lead the refusal);
- `not_in_reports`: no confident answer (a refusal or a tentative one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.answering.intent import CHANNEL
from bot.errors import UsageError
from bot.records import Answer
from bot.text import contains_key, normalize

KINDS = ("local", "elsewhere", "unknown_region", "followup", "remedy", "not_in_reports")
TURN_GAP = 20.0  # seconds between the turns of one conversation


@dataclass(frozen=True)
class Dialog:
    id: str
    kind: str
    turns: tuple[str, ...]
    keys: tuple[str, ...] = ()
    region: str = ""


@dataclass
class DialogReport:
    passed: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        kinds = {k: {"passed": self.passed.get(k, 0), "total": n, "share": round(self.passed.get(k, 0) / n, 4)} for k, n in self.total.items()}
        return {"dialogs": sum(self.total.values()), "kinds": kinds, "misses": self.misses}

    def describe(self) -> str:
        lines = [f"conversations: {sum(self.total.values())}"]
        for kind in (*KINDS, *sorted(set(self.total) - set(KINDS))):
            if kind in self.total:
                n, ok = self.total[kind], self.passed.get(kind, 0)
                lines.append(f"{kind + ':':<18}{ok:>3} / {n:<3} {ok / n:.3f}")
        if self.misses:
            lines.append("misses:")
            lines.extend(f"  {m}" for m in self.misses)
        return "\n".join(lines)


def is_dialog(row: dict) -> bool:
    return "turns" in row


def parse_dialog(row: dict, where: str) -> Dialog:
    turns, keys, kind = row.get("turns"), row.get("keys", []), row.get("kind", "")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns) or not isinstance(keys, list):
        raise UsageError(f"{where} is not a conversation record.", hint='Each line: {"id": "c1", "kind": "followup", "turns": ["…", "…"], "keys": ["…"]}')
    if kind not in KINDS:
        raise UsageError(f"{where}: unknown kind {kind!r}.", hint=f"Use one of: {', '.join(KINDS)}.")
    return Dialog(str(row.get("id", where)), kind, tuple(turns), tuple(map(str, keys)), str(row.get("region") or ""))


def load_dialogs(path: Path) -> list[Dialog]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}.", hint="Give a UTF-8 JSON-lines file.") from exc
    out = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path}:{n} is not JSON ({exc}).") from exc
            if isinstance(row, dict) and is_dialog(row):
                out.append(parse_dialog(row, f"{path}:{n}"))
    return out


def converse(answerer, turns: Sequence[str], k: int = 3, start: float = 1_000_000.0) -> list[Answer]:
    """Ask the turns in order as one chat; every answer."""
    state, answers = None, []
    for n, turn in enumerate(turns):
        answer = answerer.ask(turn, top_k=k, state=state, now=start + n * TURN_GAP)
        state = answer.state
        answers.append(answer)
    return answers


def _loose(place: str) -> str:
    """A place name without its level words: 南通通州 and 江苏省南通市通州区 compare."""
    return re.sub(r"[省市区县]", "", normalize(place))


def _names(region: str, text: str) -> bool:
    """Does `text` name the place `region` (as written, or without its province or city:
    "江苏南京鼓楼区" is named by "南京鼓楼区")?"""
    region, text = _loose(region), _loose(text)
    shortest = min(4, len(region))  # 南京鼓楼 of 江苏南京鼓楼, never a bare 通州 of 北京通州
    return bool(region) and any(region[i:] in text for i in range(len(region) - shortest + 1))


def judge(dialog: Dialog, answer: Answer) -> str:
    """"" when the last answer passes, else why not."""
    region = normalize(dialog.region)
    note = normalize(answer.scope_note)
    lead = answer.quotes[0].passage.region if answer.quotes else ""
    has_key = not answer.abstained and (not dialog.keys or contains_key(answer.text, dialog.keys))
    if dialog.kind == "local":
        if answer.abstained or answer.tentative:
            return "not answered confidently"
        if region and not _names(region, lead):
            return f"led from {lead or 'no report'}"
        return "" if has_key else "answer lacks a key"
    if dialog.kind in ("elsewhere", "unknown_region"):
        if not note or (region and not _names(region, note)) or "没有" not in note:
            return "first sentence does not say the place is not covered"
        return ""
    if dialog.kind == "followup":
        if not has_key:
            return "abstained" if answer.abstained else "answer lacks a key"
        asked = normalize(answer.asked_region or "")
        return "" if not region or _names(region, asked) or _names(region, lead) else f"about {answer.asked_region or 'no place'}"
    if dialog.kind == "remedy":  # a refusal that leads with the hotlines still leads with a channel
        head = "\n".join([normalize(x) for x in answer.text.splitlines() if x.strip()][:2])
        return "" if CHANNEL.search(head) or "12345" in head else "not led by a channel"
    if dialog.kind == "not_in_reports":
        return "" if answer.abstained or answer.tentative else f"answered confidently ({answer.confidence:.2f})"
    return f"unknown kind {dialog.kind}"


def evaluate_dialogs(answerer, dialogs: Sequence[Dialog], k: int = 3) -> DialogReport:
    report = DialogReport()
    for dialog in dialogs:
        answer = converse(answerer, dialog.turns, k)[-1]
        report.total[dialog.kind] = report.total.get(dialog.kind, 0) + 1
        problem = judge(dialog, answer)
        if problem:
            first = answer.text.split("\n", 1)[0][:80]
            report.misses.append(f"{dialog.id} [{dialog.kind}] {' → '.join(dialog.turns)}: {problem} | {first}")
        else:
            report.passed[dialog.kind] = report.passed.get(dialog.kind, 0) + 1
    return report
