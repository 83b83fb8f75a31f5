"""Which reports a named place has: its own, its city's, or only its neighbours'.

The reports' places come from `corpus/documents.toml` (province / city / county, else
the region name read with the gazetteer); their `aliases` are recognised too. A place
a parent names (or chose with /region) is then one of:

- `own`: a report of exactly that place (涪陵区 → 重庆市涪陵区's report);
- `within`: a report of the city it lies in (江阳区 → 四川省泸州市's report);
- `contains`: reports of places inside it (重庆 → 涪陵区 and 云阳县);
- `sibling`: no report of its own, but its province or city has some (渝北区 → 重庆市
  has 涪陵区 and 云阳县);
- `none`: no report anywhere near (北京市海淀区).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.answering.focus import asking_spans
from bot.answering.places import Gazetteer, Mention, Place
from bot.records import DocumentMeta
from bot.text import normalize

# Words after a place that only point at it ("涪陵那边", "我们云阳这里").
_HERE = re.compile(r"(?:那边|这边|那里|这里|那块|这块|一带|地区|当地|本地)")
OWN, WITHIN, CONTAINS, SIBLING, NONE = "own", "within", "contains", "sibling", "none"


@dataclass(frozen=True)
class Scope:
    """Where a question asks about, and which reports speak for that place."""

    asked: str = ""  # the place as recognised, e.g. 北京市海淀区 ("" when none was named)
    relation: str = ""  # own / within / contains / sibling / none
    regions: tuple[str, ...] = ()  # report regions that speak for the place (preferred in ranking)
    container: str = ""  # within / sibling: the city or province holding those reports
    written: tuple[str, ...] = ()  # the place names as they stand in the text

    @property
    def named(self) -> bool:
        return bool(self.asked)


def report_place(meta: DocumentMeta, gazetteer: Gazetteer) -> Place | None:
    """A report's place from its metadata, else read from its region name."""
    if meta.province or meta.city or meta.county:
        city = meta.city or (meta.province if meta.county else "")
        return Place(meta.province, city or meta.province, meta.county)
    return _read_place(meta.region, gazetteer)


def _read_place(name: str, gazetteer: Gazetteer) -> Place | None:
    found = gazetteer.places(normalize(name))
    return found[-1][1] if found else None


class RegionCatalog:
    """Places named in questions → the reports that speak for them."""

    def __init__(self, gazetteer: Gazetteer, places: dict[str, Place | None], aliases: dict[str, Iterable[str]] | None = None) -> None:
        """`places`: report region → its place (None when unknown); `aliases`: region → the
        names admins wrote for it. Aliases the gazetteer does not know are matched as written."""
        self.gazetteer = gazetteer
        self.places = {region: place for region, place in places.items() if place is not None}
        self.literal: dict[str, list[str]] = {}
        for region, names in (aliases or {}).items():
            if region not in places:
                continue
            for alias in map(normalize, names):
                known = self.gazetteer.mentions(alias)
                if len(alias) >= 2 and not (known and known[0].text == alias):
                    self.literal.setdefault(alias, []).append(region)
        self._aliases = sorted(self.literal, key=len, reverse=True)

    @classmethod
    def from_reports(cls, gazetteer: Gazetteer, reports: Iterable[DocumentMeta], regions: Iterable[str]) -> RegionCatalog:
        """The regions of the indexed reports, with their metadata where there is some."""
        metas = {m.region: m for m in reports}
        places = {}
        for region in regions:
            meta = metas.get(region)
            places[region] = report_place(meta, gazetteer) if meta else _read_place(region, gazetteer)
        return cls(gazetteer, places, {r: m.aliases for r, m in metas.items()})

    @classmethod
    def from_names(cls, gazetteer: Gazetteer, regions: Iterable[str], aliases: dict[str, Iterable[str]] | None = None) -> RegionCatalog:
        """Regions known only by name (each read with the gazetteer) and their aliases."""
        return cls(gazetteer, {r: _read_place(r, gazetteer) for r in regions}, aliases)

    def scope(self, text: str, chosen: str | None = None) -> tuple[Scope, str]:
        """The place `text` names (else the parent's `chosen` region) and `text` without it."""
        literal: list[str] = []
        written: list[str] = []
        for alias in self._aliases:
            if alias in text:
                literal += self.literal[alias]
                written.append(alias)
                text = text.replace(alias, " ")
        found = self.gazetteer.places(text, prefer=self.places.values())
        topic = text
        # Every place name leaves the topic, also a province or city folded into a county
        # ("重庆云阳" is about 云阳县; 重庆 is not a search word either).
        for mention in sorted(self.gazetteer.mentions(text), key=lambda m: -m.start):
            after = _HERE.match(topic, mention.end)
            topic = topic[: mention.start] + " " + topic[after.end() if after else mention.end :]
        topic = re.sub(r"\s+", " ", topic).strip()
        if found and not literal:
            return self.describe(self._asked_about(text, found), tuple(m.text for m, _ in found)), topic
        if literal:
            regions = tuple(dict.fromkeys(literal))
            return Scope(regions[0], OWN, regions, written=tuple(written)), topic
        if chosen:
            return self.of_region(chosen), topic
        return Scope(), topic

    def _asked_about(self, text: str, found: Sequence[tuple[Mention, Place]]) -> Place:
        """The place asked about when a message names several ("娃儿在涪陵读书,我们在浙江
        打工…"): the last one named in a clause that asks, else the last one with reports,
        else the last one."""
        spans = asking_spans(text)
        asked = [place for mention, place in found if any(a <= mention.start < b for a, b in spans)]
        if asked:
            return asked[-1]
        covered = [place for _, place in found if self.describe(place).relation in (OWN, WITHIN)]
        return covered[-1] if covered else found[-1][1]

    def of_region(self, region: str) -> Scope:
        """The scope of a region name (a report's region, or any place name)."""
        if region in self.places:
            return self.describe(self.places[region], (region,))
        found = self.gazetteer.places(normalize(region), prefer=self.places.values())
        if found:
            return self.describe(found[-1][1], (region,))
        matches = [r for r in self.places if region and region in r]
        return Scope(region, OWN, tuple(matches)) if matches else Scope(region, NONE)

    def describe(self, place: Place, written: Sequence[str] = ()) -> Scope:
        """How the reports relate to `place`."""
        written = tuple(written)
        own = [r for r, p in self.places.items() if p.within(place) and place.within(p)]
        if own:
            return Scope(place.name, OWN, tuple(own), written=written)
        within = [r for r, p in self.places.items() if place.within(p)]
        if within:
            return Scope(place.name, WITHIN, tuple(within), self.places[within[0]].name, written)
        inside = [r for r, p in self.places.items() if p.within(place)]
        if inside:
            return Scope(place.name, CONTAINS, tuple(inside), place.name, written)
        for container in (Place(place.province, place.city), Place(place.province, place.province)):
            if not container.province or container == place:
                continue
            near = [r for r, p in self.places.items() if p.within(container)]
            if near:
                return Scope(place.name, SIBLING, tuple(near), container.name, written)
        return Scope(place.name, NONE, written=written)
