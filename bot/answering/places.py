"""Place names in a parent's message, from a real gazetteer of China's divisions.

The gazetteer is jionlp's table of provinces, cities and counties (`dictionary/
china_location.txt` in the `jionlp` package, with its short names: 涪陵区 → 涪陵). The
file is read directly, without importing jionlp (whose import prints a banner on
stdout and costs 0.3 s); towns and villages are skipped. It is loaded once, lazily,
and a message is scanned by looking up its substrings in a dictionary (microseconds).

A county's short name without its suffix (海淀 for 海淀区) that is also an everyday
word (jieba's dictionary frequency: 新建, 和平, 长安) counts only next to its city or
province ("南昌新建"), at the end of the message or before 呢/的/那边 ("和平呢"); written
with 区/县 it always counts. A county's two-character short name whose second character starts an
everyday word ("到底都安排": 都安 + 安排) does not count. Province and city names always count. When one name fits several places (通州: 北京 or 南通),
another place in the same message decides (北京通州区); failing that, the caller's
preferred places (the districts with reports) win; failing that the place is kept
unqualified ("南山区").
"""

from __future__ import annotations

import importlib.util
import io
import logging
import re
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

SUFFIX = re.compile(r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|地区|林区|新区|省|市|区|县|州|旗|盟)$")
# Generic names in the table that are not places a parent means (市辖区, 城区, 郊区 …).
_GENERIC = frozenset({"市辖区", "县", "城区", "郊区", "矿区", "新区", "开发区", "省直辖县级行政区划", "自治区直辖县级行政区划"})
# County short names at least this frequent in jieba's dictionary are everyday words too.
COMMON_WORD = 500
# After a guarded short name, these say it is meant as a place ("和平呢", "新建那边").
# After a short name, these make it part of a smaller place's name (城关镇, 长安街).
_SMALLER = re.compile(r"(?:镇|乡(?![下村镇])|村|街|路|大道|小区)")  # 云阳乡下 is the county's countryside, 云阳乡 a township
_PLACE_CONTEXT = re.compile(r"(?:呢|的|那边|这边|那里|这里|地区|一带|$|[,.!?;:、。，！？；：\s])")


@dataclass(frozen=True)
class Place:
    """A province, city or county. `city` equals `province` for 北京/上海/天津/重庆."""

    province: str = ""
    city: str = ""
    county: str = ""

    @property
    def level(self) -> str:
        return "county" if self.county else "city" if self.city and self.city != self.province else "province"

    @property
    def name(self) -> str:
        """How a parent reads it: 重庆市涪陵区, 四川省泸州市江阳区, 北京市海淀区, 南山区."""
        parts = [self.province]
        if self.city and self.city != self.province:
            parts.append(self.city)
        parts.append(self.county)
        return "".join(p for p in parts if p)

    @property
    def short(self) -> str:
        """The most specific part: 涪陵区, 泸州市, 重庆市."""
        return self.county or self.city or self.province

    def within(self, other: Place) -> bool:
        """Is this place `other` or inside it? (An unqualified county is inside nothing.)"""
        if other.county:
            return self.county == other.county and (not other.city or self.city == other.city) and (not other.province or self.province == other.province)
        if other.city and other.city != other.province:
            return self.city == other.city and bool(self.province)
        return bool(other.province) and self.province == other.province


@dataclass(frozen=True)
class Mention:
    """A place named in a text: where, as written, and every place the name may mean."""

    text: str
    start: int
    end: int
    places: tuple[Place, ...]


def gazetteer_file() -> Path:
    """jionlp's administrative-division table, found without importing jionlp."""
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the jionlp package is not installed (pip install jionlp)")
    folder = Path(list(spec.submodule_search_locations)[0]) / "dictionary"
    # The wheel ships the table zipped; jionlp unzips it beside the zip on its first import.
    unzipped = folder / "china_location.txt"
    return unzipped if unzipped.is_file() else folder / "china_location.zip"


def _open_table(path: Path) -> IO[str]:
    """The table as text, from the .txt or straight out of the wheel's .zip."""
    if path.suffix != ".zip":
        return open(path, encoding="utf-8")
    archive = zipfile.ZipFile(path)
    return io.TextIOWrapper(archive.open("china_location.txt"), encoding="utf-8")


def read_divisions(path: Path) -> list[tuple[Place, tuple[str, ...]]]:
    """(place, its names) for every province, city and county in the table (.txt or .zip)."""
    out: list[tuple[Place, tuple[str, ...]]] = []
    province = city = ""
    with _open_table(path) as handle:
        for line in handle:
            depth = len(line) - len(line.lstrip("\t"))
            if depth > 2:
                continue  # towns and villages
            fields = line.strip().split("\t")
            if len(fields) != 3:
                continue
            name, _code, aliases = fields
            names = (name, *(a for a in aliases.split("/") if a))
            if depth == 0:
                province = city = name
                out.append((Place(province, province), names))
            elif depth == 1:
                city = name
                if city != province:
                    out.append((Place(province, city), names))
            elif name not in _GENERIC:
                out.append((Place(province, city, name), names))
    return out


class Gazetteer:
    """Finds place names in text. Thread-safe; the table is loaded on first use."""

    def __init__(self, path: Path | None = None, *, common: Callable[[str], int] | None = None, extra: dict[str, Iterable[Place]] | None = None) -> None:
        self._path = path
        self._common = common or (lambda word: 0)
        self._extra = {k: tuple(v) for k, v in (extra or {}).items()}
        self._names: dict[str, tuple[Place, ...]] | None = None
        self._guarded: frozenset[str] = frozenset()  # everyday words that are also county names
        self._longest = 2
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the table now (else it is read on first use)."""
        with self._lock:
            if self._names is not None:
                return
            names: dict[str, list[Place]] = {}
            guarded: set[str] = set()

            def add(name: str, place: Place) -> None:
                if len(name) >= 2 and name not in _GENERIC and place not in names.setdefault(name, []):
                    names[name].append(place)

            try:
                divisions = read_divisions(self._path or gazetteer_file())
            except (OSError, UnicodeDecodeError) as exc:
                log.error("cannot read the gazetteer (%s); only the reports' own place names are recognised.", exc)
                divisions = []
            for place, written in divisions:
                full = written[0]
                add(full, place)
                for alias in {*written[1:], SUFFIX.sub("", full)}:
                    if alias != full:
                        add(alias, place)
                        if place.level == "county" and len(alias) < 3 and self._common(alias) >= COMMON_WORD:
                            guarded.add(alias)
            for name, places in self._extra.items():
                for place in places:
                    add(name, place)
            self._longest = max((len(n) for n in names), default=2)
            self._guarded = frozenset(g for g in guarded if g in names and all(p.level == "county" for p in names[g]))
            self._names = {k: tuple(v) for k, v in names.items()}

    def mentions(self, text: str) -> list[Mention]:
        """Place names in `text`, longest first at each position, left to right."""
        if self._names is None:
            self.load()
        names = self._names or {}
        found: list[Mention] = []
        i = 0
        while i < len(text) - 1:
            for size in range(min(self._longest, len(text) - i), 1, -1):
                places = names.get(text[i : i + size])
                name = text[i : i + size]
                if places and not SUFFIX.search(name) and _SMALLER.match(text, i + size):
                    places = None
                if places and name in self._guarded and not self._meant(text, i, i + size, places, found):
                    places = None
                if places and self._straddles(text, i, i + size, places):
                    places = None
                if places:
                    found.append(Mention(name, i, i + size, places))
                    i += size
                    break
            else:
                i += 1
        return found

    def _straddles(self, text: str, start: int, end: int, places: tuple[Place, ...]) -> bool:
        """Is a county's two-character short name the start of an everyday word running on
        ("到底都安排" holds 都安, "首都安全")? A city or province name, or one written with
        its suffix, always counts."""
        if end - start != 2 or any(p.level != "county" for p in places):
            return False
        return end < len(text) and self._common(text[end - 1 : end + 1]) >= COMMON_WORD

    def _meant(self, text: str, start: int, end: int, places: tuple[Place, ...], before: list[Mention]) -> bool:
        """Is an everyday word that is also a county name meant as the place here?"""
        if _PLACE_CONTEXT.match(text, end):
            return True
        return bool(before) and before[-1].end == start and any(p.within(o) for p in places for o in before[-1].places)

    def places(self, text: str, prefer: Iterable[Place] = ()) -> list[tuple[Mention, Place]]:
        """Each mention with the one place it most likely means, containers folded in:
        "北京通州区" gives 北京市通州区 once, not 北京市 and 通州区 apart."""
        mentions = self.mentions(text)
        preferred = tuple(prefer)
        chosen: list[tuple[Mention, Place]] = []
        for mention in mentions:
            others = [p for m in mentions if m is not mention for p in m.places]
            place = _choose(mention, others, preferred)
            chosen.append((mention, place))
        # Drop a province or city when a place inside it is also named.
        return [(m, p) for m, p in chosen if not any(q != p and q.within(p) for _, q in chosen)]


def _choose(mention: Mention, context: list[Place], preferred: tuple[Place, ...]) -> Place:
    candidates = mention.places
    if len(candidates) == 1:
        return candidates[0]
    # The most specific reading consistent with another place in the message.
    # (a place bigger than it: a second mention of the same name, "江北区 … 江北这边", says nothing)
    fitting = [c for c in candidates if any(c != o and c.within(o) for o in context)]
    if fitting:
        return fitting[0]
    liked = [c for c in candidates if any(c.within(p) or p.within(c) for p in preferred)]
    if liked:
        return liked[0]
    for level in ("province", "city"):  # 海南 is the province before it is 乌海's 海南区
        top = [c for c in candidates if c.level == level]
        if top:
            return top[0]
    counties = {c.county for c in candidates}
    # The same name in several provinces: keep it unqualified, as the parent wrote it.
    return Place(county=next(iter(counties)) if len(counties) == 1 else mention.text)
