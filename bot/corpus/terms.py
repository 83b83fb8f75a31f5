"""The admin-edited term table (`corpus/terms.toml`).

- `dictionary`: domain words jieba must keep whole (双减, 课后服务, 5+2, …).
- `[expansions]`: how parents talk → how the reports say it. A question containing
  a colloquial phrase is also searched with the official terms; "老师...补课" matches
  the two words in one clause, a few characters apart ("老师暗示去他家里补课").
- `[typos]`: frequent slips in parents' typing, fixed before anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import read_toml
from bot.errors import ConfigError
from bot.text import normalize

# A phrase of three or more characters also matches with one or two of these between
# two of its parts: "本校老师" in "本校的老师", "晚点上班" in "晚点来上班".
_GAP = "[的地得来去了个些都也还就再]{1,2}"
GAPPED_MIN = 3


# "老师...补课": both parts in one clause, in this order, up to `APART_MAX` characters apart
# ("老师暗示娃去他家里补课", "班主任让周末去他屋头补课"): what they say together.
APART = "..."
APART_MAX = 12


def _apart(phrase: str) -> re.Pattern[str] | None:
    parts = phrase.split(APART)
    if len(parts) != 2 or not all(parts):
        return None
    return re.compile("(" + re.escape(parts[0]) + f")[^,.!?;:、。，！？；：]{{0,{APART_MAX}}}?(" + re.escape(parts[1]) + ")")


def _gapped(phrase: str) -> re.Pattern[str] | None:
    """The phrase with a short run of particles allowed between two of its parts."""
    if len(phrase) < GAPPED_MIN:
        return None
    cuts = [re.escape(phrase[:n]) + _GAP + re.escape(phrase[n:]) for n in range(1, len(phrase))]
    return re.compile("|".join(cuts))


@dataclass(frozen=True)
class Terms:
    dictionary: tuple[str, ...] = ()
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    typos: dict[str, str] = field(default_factory=dict)
    # Longest first, so 老师补课 is matched before 补课; computed once.
    _phrases: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _wrong: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _gaps: dict[str, re.Pattern[str]] = field(init=False, repr=False, compare=False)
    _aparts: dict[str, re.Pattern[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        whole = [phrase for phrase in self.expansions if APART not in phrase]
        object.__setattr__(self, "_phrases", tuple(sorted(whole, key=len, reverse=True)))
        gaps = {phrase: _gapped(phrase) for phrase in whole}
        object.__setattr__(self, "_gaps", {phrase: pattern for phrase, pattern in gaps.items() if pattern})
        aparts = {phrase: _apart(phrase) for phrase in self.expansions if APART in phrase}
        object.__setattr__(self, "_aparts", {phrase: pattern for phrase, pattern in aparts.items() if pattern})
        object.__setattr__(self, "_wrong", tuple(sorted(self.typos, key=len, reverse=True)))

    def matches(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """(colloquial phrase, official terms) for each phrase in normalised `text`: words said
        apart first, then whole phrases longest first, then phrases with particles inside."""
        found = []
        covered = text
        # words said apart first: together they say what each means (老师…补课 is a
        # teacher's paid tutoring, not 老师 and 补课 each read alone)
        for phrase, pattern in self._aparts.items():
            match = pattern.search(covered)
            if match and match.end(1) == match.start(2):  # side by side: longer phrases may still hold them (作业量)
                found.append((phrase, self.expansions[phrase]))
            elif match:
                for part in (1, 2):
                    covered = covered[: match.start(part)] + "\x00" * (match.end(part) - match.start(part)) + covered[match.end(part) :]
                found.append((phrase, self.expansions[phrase]))
        official = [w for w in self.dictionary if w in text]
        for phrase in self._phrases:
            if phrase not in covered:
                continue
            if any(phrase in word and phrase != word for word in official):
                continue  # 补课 inside 有偿补课 is already the reports' own word
            covered = covered.replace(phrase, "\x00" * len(phrase))
            found.append((phrase, self.expansions[phrase]))
        said = {phrase for phrase, _ in found}
        for phrase in self._phrases:  # then with particles between its parts (本校的老师)
            pattern = None if phrase in said else self._gaps.get(phrase)
            match = pattern.search(covered) if pattern else None
            if match:
                covered = covered[: match.start()] + "\x00" * len(match.group(0)) + covered[match.end() :]
                found.append((phrase, self.expansions[phrase]))
        return found

    def expand(self, text: str) -> list[str]:
        """Official terms for every colloquial phrase in normalised `text`, longest phrase first."""
        return list(dict.fromkeys(t for _, targets in self.matches(text) for t in targets))

    def fix_typos(self, text: str) -> str:
        for wrong in self._wrong:
            if wrong in text:
                text = text.replace(wrong, self.typos[wrong])
        return text


def load_terms(path: Path) -> Terms:
    """Read and check the term table; a missing file means no terms."""
    if not path.exists():
        return Terms()
    data = read_toml(path, "term table", hint="Fix the file and try again.")
    words = data.get("dictionary", [])
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ConfigError(f"{path}: `dictionary` must be a list of words, got {words!r}.")
    expansions: dict[str, tuple[str, ...]] = {}
    raw = data.get("expansions", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [expansions] must be a table of phrase = [official terms].")
    for phrase, targets in raw.items():
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(targets, list) or not all(isinstance(t, str) and t for t in targets):
            raise ConfigError(f"{path}: expansions.{phrase} must be a list of terms, got {targets!r}.")
        key = normalize(phrase)
        if APART in key and _apart(key) is None:
            raise ConfigError(f'{path}: expansions."{phrase}" must be two words around one "{APART}", like "老师...补课".')
        expansions[key] = tuple(dict.fromkeys(expansions.get(key, ()) + tuple(normalize(t) for t in targets)))
    typos = data.get("typos", {})
    if not isinstance(typos, dict) or not all(isinstance(v, str) for v in typos.values()):
        raise ConfigError(f"{path}: [typos] must be a table of wrong = right strings.")
    return Terms(
        dictionary=tuple(normalize(w) for w in words if w.strip()),
        expansions=expansions,
        typos={normalize(k): normalize(v) for k, v in typos.items() if k},
    )
