"""Edits to the admin-edited tables from the web console: report metadata in
`documents.toml`, FAQ entries in `faq.toml`, the colloquial → official table in `terms.toml`.

Every edit keeps the file's comments, order and layout (tomlkit), is checked by the file's
own loader on the exact text about to be installed, and replaces the file atomically
(`bot.corpus.files.write_atomically`). An entry that changed or vanished meanwhile (another
admin, an edit by hand) raises ConflictError instead of being overwritten.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from bot.corpus.faq import load_faq
from bot.corpus.files import locked, write_atomically
from bot.corpus.loader import load_metadata
from bot.corpus.terms import load_terms
from bot.errors import ConfigError, ConflictError, UsageError
from bot.text import normalize

META_FIELDS = ("title", "region", "province", "city", "county", "source", "date")
MAX_FIELD = 300


def _load(path: Path, what: str) -> tomlkit.TOMLDocument:
    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (TOMLKitError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}.", hint="Fix the file by hand first.") from exc


def _text(value: str, name: str) -> str:
    value = " ".join(str(value).split())
    if len(value) > MAX_FIELD:
        raise UsageError(f"{name} is longer than {MAX_FIELD} characters.")
    return value


# -- documents.toml --------------------------------------------------------------------


def update_metadata(path: Path, doc_id: str, values: dict[str, str], aliases: list[str]) -> None:
    """Set a report's metadata (creating its table when it has none yet)."""
    fields = {key: _text(values.get(key, ""), key) for key in META_FIELDS}
    names = [n for n in dict.fromkeys(_text(a, "alias") for a in aliases) if n]
    with locked(path):
        doc = _load(path, "metadata file")
        table = doc.get(doc_id)
        if table is None:
            table = tomlkit.table()
            doc.add(doc_id, table)
        elif not isinstance(table, dict):
            raise ConfigError(f"{path.name}: [{doc_id!r}] is not a table; fix the file by hand.")
        for key, value in fields.items():
            if value or key in table or key in ("title", "region"):
                table[key] = value
        if names or "aliases" in table:
            table["aliases"] = names
        write_atomically(path, tomlkit.dumps(doc), check=load_metadata)


# -- faq.toml --------------------------------------------------------------------------


@dataclass(frozen=True)
class FaqEntry:
    key: str  # the normalised question: how an entry is found again
    question: str
    answer: str
    author: str
    date: str
    region: str


def faq_entries(path: Path) -> list[FaqEntry]:
    """The entries as written (load_faq checks the file first)."""
    load_faq(path)
    doc = _load(path, "FAQ file")
    return [
        FaqEntry(normalize(str(e.get("question", ""))), *(str(e.get(k, "")).strip() for k in ("question", "answer", "author", "date", "region")))
        for e in doc.get("faq", [])
    ]


def _find_faq(doc: tomlkit.TOMLDocument, key: str, path: Path) -> int:
    for n, entry in enumerate(doc.get("faq", [])):
        if normalize(str(entry.get("question", ""))) == key:
            return n
    raise ConflictError(f"{path.name} no longer has that entry (it was changed or removed meanwhile).", hint="Reload the page and try again.")


def edit_faq(path: Path, key: str, *, question: str, answer: str, region: str = "") -> None:
    """Change one entry's question, answer or region; its author stays, the date becomes today."""
    question, answer, region = question.strip(), answer.strip(), _text(region, "region")
    if not question or not answer:
        raise UsageError("an FAQ entry needs both a question and an answer.")
    with locked(path):
        doc = _load(path, "FAQ file")
        entry = doc["faq"][_find_faq(doc, key, path)]
        entry["question"], entry["answer"] = question, answer
        entry["date"] = datetime.date.today().isoformat()
        if region or "region" in entry:
            entry["region"] = region
        write_atomically(path, tomlkit.dumps(doc), check=load_faq)


def retire_faq(path: Path, key: str, by: str) -> FaqEntry:
    """Remove one entry; its text stays in the file as a comment (who retired it, when)."""
    with locked(path):
        doc = _load(path, "FAQ file")
        n = _find_faq(doc, key, path)
        entry = doc["faq"][n]
        retired = FaqEntry(key, *(str(entry.get(k, "")).strip() for k in ("question", "answer", "author", "date", "region")))
        del doc["faq"][n]
        text = tomlkit.dumps(doc).rstrip("\n")
        note = [f"# retired {datetime.date.today().isoformat()} by {' '.join(by.split()) or 'an admin'}:"]
        note += [f"#   {k} = {' '.join(getattr(retired, k).split())}" for k in ("question", "answer", "author", "date") if getattr(retired, k)]
        write_atomically(path, text + "\n\n" + "\n".join(note) + "\n", check=load_faq)
        return retired


# -- terms.toml ------------------------------------------------------------------------


def expansion_entries(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(phrase as written, official terms) in file order (load_terms checks the file first)."""
    load_terms(path)
    table = _load(path, "term table").get("expansions", {})
    return [(str(k), tuple([v] if isinstance(v, str) else (str(t) for t in v))) for k, v in table.items()]


def check_expansion(phrase: str, targets: list[str]) -> tuple[str, list[str]]:
    """The phrase and its official terms, stripped; UsageError naming what is wrong."""
    phrase = " ".join(phrase.split())
    terms = [t for t in dict.fromkeys(" ".join(t.split()) for t in targets) if t]
    if not normalize(phrase):
        raise UsageError("write the parents' phrase (e.g. 托管费).")
    if len(phrase) > 30 or any(len(t) > 30 for t in terms):
        raise UsageError("a phrase or term is longer than 30 characters; the table maps short phrases.")
    if not terms:
        raise UsageError(f"write at least one official term that {phrase!r} should also search for.")
    if any(normalize(t) == normalize(phrase) for t in terms):
        raise UsageError(f"{phrase!r} would expand to itself; give the reports' word instead.")
    return phrase, terms


def set_expansion(path: Path, phrase: str, targets: list[str], *, replaces: str | None = None) -> None:
    """Add or change one entry (`replaces`: the phrase it had before, when renamed)."""
    phrase, terms = check_expansion(phrase, targets)
    with locked(path):
        doc = _load(path, "term table")
        table = doc.get("expansions")
        if table is None:
            table = tomlkit.table()
            doc.add("expansions", table)
        if replaces is not None and replaces not in table:
            raise ConflictError(f"{path.name} no longer has the entry {replaces!r}.", hint="Reload the page and try again.")
        if replaces is None and phrase in table:
            raise UsageError(f"{phrase!r} is already in the table; edit that entry instead.")
        if replaces is not None and replaces != phrase and phrase in table:
            raise UsageError(f"{phrase!r} is already in the table; edit that entry instead.")
        if replaces is None:
            _insert_after(table, list(table.keys())[-1] if table else None, phrase, terms)
        elif replaces != phrase:
            _insert_after(table, replaces, phrase, terms)
            del table[replaces]
        else:
            table[phrase] = terms
        write_atomically(path, tomlkit.dumps(doc), check=load_terms)


def delete_expansion(path: Path, phrase: str) -> None:
    with locked(path):
        doc = _load(path, "term table")
        table = doc.get("expansions")
        if table is None or phrase not in table:
            raise ConflictError(f"{path.name} no longer has the entry {phrase!r}.", hint="Reload the page and try again.")
        del table[phrase]
        write_atomically(path, tomlkit.dumps(doc), check=load_terms)


def _insert_after(table: Any, after: str | None, key: str, value: Any) -> None:
    """Put `key` right after the entry `after` (not after the comments that close the table,
    which belong to the next one). tomlkit has no public call for this (its private
    `_insert_after` is gone since 0.15.3; `_insert_at` remains): fall back to appending."""
    try:
        if after is None:
            raise LookupError
        body = table.value.body
        at = next(n for n, (k, _) in enumerate(body) if k is not None and k.key == after)
        table.value._insert_at(at + 1, key, value)
    except (AttributeError, LookupError, StopIteration):
        table[key] = value
