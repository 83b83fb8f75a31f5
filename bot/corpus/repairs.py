"""The admin-edited repair table `corpus/repairs.toml`: load, validate and apply its swaps and lost headings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from bot.config import read_toml
from bot.errors import ConfigError


@dataclass(frozen=True)
class Swap:
    """`find` becomes `replace` in matching documents, optionally only between given neighbours."""

    find: str
    replace: str
    files: tuple[str, ...] = ("*",)
    preceded_by: tuple[str, ...] = ()
    followed_by: tuple[str, ...] = ()
    ocr_only: bool = False  # only in text read from scans (OCR confusions)

    def fits(self, text: str, start: int) -> bool:
        """True when `find` at `start` has an allowed neighbour on each guarded side."""
        if self.preceded_by and not text.endswith(self.preceded_by, 0, start):
            return False
        return not self.followed_by or text.startswith(self.followed_by, start + len(self.find))


@dataclass(frozen=True)
class LostHeadings:
    """Headings a flattened document glued to their text; each is put back on its own line."""

    lines: tuple[str, ...]
    files: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class Repairs:
    """The admin-edited repair table: swaps first (one pass, longest `find` first), then headings."""

    swaps: tuple[Swap, ...] = ()
    headings: tuple[LostHeadings, ...] = ()

    def apply(self, text: str, doc_id: str, *, ocr: bool = False) -> str:
        text = apply_swaps(text, [s for s in self.swaps if _matches(doc_id, s.files) and (ocr or not s.ocr_only)])
        for group in self.headings:
            if _matches(doc_id, group.files):
                text = restore_heading_lines(text, group.lines)
        return text


def _matches(doc_id: str, patterns: tuple[str, ...]) -> bool:
    """True when the file name matches one of the globs."""
    return any(fnmatchcase(doc_id, pattern) for pattern in patterns)


def apply_swaps(text: str, swaps: list[Swap]) -> str:
    """Replace in one left-to-right pass, so a replacement is never swapped again."""
    by_first: dict[str, list[Swap]] = {}
    for swap in sorted(swaps, key=lambda s: len(s.find), reverse=True):
        by_first.setdefault(swap.find[0], []).append(swap)
    out: list[str] = []
    i = 0
    while i < len(text):
        swap = next((s for s in by_first.get(text[i], ()) if text.startswith(s.find, i) and s.fits(text, i)), None)
        out.append(swap.replace if swap else text[i])
        i += len(swap.find) if swap else 1
    return "".join(out)


def restore_heading_lines(text: str, headings: tuple[str, ...]) -> str:
    """Put each listed heading (and a "。" or ":" right after it) on a line of its own."""
    for heading in headings:
        pattern = re.compile(r"\n?[ \t]*" + re.escape(heading) + r"[。:：]?[ \t]*\n?")
        text = pattern.sub(lambda m: "\n" + m.group(0).strip() + "\n", text)
    return text


_FIELDS = {"swap": {"find", "replace", "files", "preceded_by", "followed_by", "ocr_only", "note"}, "headings": {"lines", "files", "note"}}


def load_repairs(path: Path) -> Repairs:
    """Read and check `corpus/repairs.toml`; a missing file means no repairs."""
    if not path.exists():
        return Repairs()
    data = read_toml(path, "repair table", hint="Fix the file and rebuild.")
    if set(data) - set(_FIELDS):
        raise ConfigError(f"{path}: unknown table(s) {sorted(set(data) - set(_FIELDS))}; use [[swap]] and [[headings]].")
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, allowed in _FIELDS.items():
        entries = data.get(name, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ConfigError(f"{path}: `{name}` must be written as [[{name}]] tables.")
        for n, entry in enumerate(entries, 1):
            unknown = sorted(set(entry) - allowed)
            if unknown:
                where = _where(path, name, n, entry)
                raise ConfigError(f"{where}: unknown field(s) {unknown}; allowed: {', '.join(sorted(allowed))}.")
        tables[name] = entries
    swaps = tuple(_swap(entry, _where(path, "swap", n, entry)) for n, entry in enumerate(tables["swap"], 1))
    headings = tuple(_headings(entry, _where(path, "headings", n, entry)) for n, entry in enumerate(tables["headings"], 1))
    return Repairs(swaps=swaps, headings=headings)


def _where(path: Path, name: str, n: int, entry: dict[str, Any]) -> str:
    found = f" (find = {entry['find']!r})" if "find" in entry else ""
    return f"{path.name}: [[{name}]] #{n}{found}"


def _swap(entry: dict[str, Any], where: str) -> Swap:
    find, replace = entry.get("find"), entry.get("replace")
    if not isinstance(find, str) or not find:
        raise ConfigError(f"{where}: `find` must be the non-empty text to replace.")
    if not isinstance(replace, str):
        raise ConfigError(f"{where}: `replace` must be a string (\"\" deletes the text).")
    if find == replace:
        raise ConfigError(f"{where}: `replace` equals `find`, so the entry does nothing; fix or delete it.")
    ocr_only = entry.get("ocr_only", False)
    if not isinstance(ocr_only, bool):
        raise ConfigError(f"{where}: `ocr_only` must be true or false, got {ocr_only!r}.")
    return Swap(
        find=find,
        replace=replace,
        files=_strings(entry, "files", where, ("*",)),
        preceded_by=_strings(entry, "preceded_by", where, ()),
        followed_by=_strings(entry, "followed_by", where, ()),
        ocr_only=ocr_only,
    )


def _headings(entry: dict[str, Any], where: str) -> LostHeadings:
    lines = _strings(entry, "lines", where, ())
    if not lines:
        raise ConfigError(f"{where}: `lines` must list at least one heading.")
    return LostHeadings(lines=lines, files=_strings(entry, "files", where, ("*",)))


def _strings(entry: dict[str, Any], key: str, where: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A string or a list of non-empty strings."""
    value = entry.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: `{key}` must be a non-empty string or a list of them, got {value!r}.")
    return tuple(value)
