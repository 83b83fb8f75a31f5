"""Staff FAQ entries in `corpus/faq.toml`: loaded as passages, appended when approved.

Each entry is a `[[faq]]` table with question, answer, author, date and an optional region.
Appending keeps the admins' comments and entries byte for byte and replaces the file atomically.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from bot.config import read_toml
from bot.corpus.files import locked, write_atomically
from bot.errors import ConfigError, UsageError
from bot.records import Passage, stable_id
from bot.text import detect_script, normalize

FAQ_TITLE = "常见问题解答"
ALL_REGIONS = "全部地区"
_FIELDS = ("question", "answer", "author", "date", "region")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def load_faq(path: Path) -> list[Passage]:
    """The FAQ entries as passages (kind "faq", text = question); a missing file means none."""
    if not path.exists():
        return []
    data = read_toml(path, "FAQ file", hint="Fix the file and rebuild.")
    entries = data.get("faq", [])
    if set(data) - {"faq"} or not isinstance(entries, list):
        raise ConfigError(f"{path}: every entry must be a [[faq]] table; found {sorted(set(data) - {'faq'}) or 'faq'}.")
    passages: list[Passage] = []
    first_seen: dict[str, int] = {}
    for n, entry in enumerate(entries, 1):
        values = _check_entry(entry, f"{path.name}: FAQ entry {n}")
        search_text = normalize(values["question"])
        if search_text in first_seen:
            raise ConfigError(
                f"{path.name}: FAQ entry {n} repeats the question of entry {first_seen[search_text]}; "
                "merge the two answers or delete one."
            )
        first_seen[search_text] = n
        passages.append(_passage(values, search_text, path))
    return passages


def _check_entry(entry: Any, where: str) -> dict[str, str]:
    """The entry's fields as stripped strings; ConfigError naming the entry and field otherwise."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a [[faq]] table.")
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {unknown}; allowed: {', '.join(_FIELDS)}.")
    values = {}
    for key in _FIELDS:
        value = entry.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"{where}: `{key}` must be a string, got {value!r}.")
        values[key] = value.strip()
    for key in ("question", "answer"):
        if not values[key]:
            raise ConfigError(f"{where}: `{key}` is missing or empty; write the {key} or delete the entry.")
    if values["date"] and not _ISO_DATE.match(values["date"]):
        raise ConfigError(f"{where}: `date` must be YYYY-MM-DD, got {values['date']!r}.")
    return values


def _passage(values: dict[str, str], search_text: str, path: Path) -> Passage:
    question = values["question"]
    return Passage(
        id=stable_id("faq", search_text),
        doc_id=path.name,
        title=FAQ_TITLE,
        region=values["region"] or ALL_REGIONS,
        section="",
        text=question,
        search_text=search_text,
        start=0,
        end=len(question),
        source=values["author"],
        date=values["date"] or None,
        script=detect_script(question),
        kind="faq",
        answer=values["answer"],
        author=values["author"],
    )


def append_faq(path: Path, *, question: str, answer: str, author: str, date: str, region: str = "") -> None:
    """Append one entry to the FAQ file, keeping everything already in it; atomic replace."""
    entry = {"question": question.strip(), "answer": answer.strip(), "author": author.strip(), "date": date.strip()}
    if region.strip():
        entry["region"] = region.strip()
    for key in ("question", "answer"):
        if not entry[key]:
            raise UsageError(f"the FAQ {key} is empty; write a {key} before adding the entry.")
    if entry["date"] and not _ISO_DATE.match(entry["date"]):
        raise UsageError(f"the FAQ date must be YYYY-MM-DD, got {date!r}.")
    with locked(path):
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        existing = {p.search_text for p in load_faq(path)}
        if normalize(entry["question"]) in existing:
            raise UsageError(f"the FAQ already answers {entry['question']!r}; edit that entry in {path.name} instead.")
        prefix = old if not old or old.endswith("\n") else old + "\n"
        new = f"{prefix}\n[[faq]]\n{tomli_w.dumps(entry)}"
        tomllib.loads(new)  # never write a file the loader would reject
        write_atomically(path, new, check=load_faq)


def write_faq(path: Path, proposal: Any) -> None:
    """Append an approved proposal (anything with question, answer, author and region), dated today."""
    append_faq(path, question=proposal.question, answer=proposal.answer, author=proposal.author, date=datetime.date.today().isoformat(), region=proposal.region)
