"""One calibrated score: the probability that the reports cover a question.

A few cheap features of the question and its best passages go through a logistic
model fitted on a labelled question set (`bench/calibrate.py` writes
`bot/data/calibration.json`). The abstention threshold applies to this probability
only, never to fused ranks or raw similarities.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from bot.query import Query
from bot.records import Hit, Passage

FEATURES = ("dense_top", "core_coverage", "core_coverage_top1", "expansion_coverage", "keyword_top")


class TermStatistics:
    """Inverse document frequencies of words over the indexed passages (substring match)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.texts = [p.search_text for p in passages if p.kind == "report"] or [""]
        self.total = len(self.texts)
        self._idf: dict[str, float] = {}

    def idf(self, word: str) -> float:
        """Rare words weigh more; words the reports never use weigh most."""
        value = self._idf.get(word)
        if value is None:
            df = sum(1 for text in self.texts if word in text)
            value = math.log((self.total + 1) / (df + 0.5))
            self._idf[word] = value
        return value


def coverage(words: Sequence[str], texts: Sequence[str], stats: TermStatistics, alternatives: dict[str, tuple[str, ...]] | None = None) -> float:
    """IDF-weighted share of `words` found in any of `texts`.

    A parent's word also counts as found when one of its official `alternatives`
    (from the term table: 托管费 -> 课后服务费) is there.
    """
    unique = list(dict.fromkeys(words))
    if not unique:
        return 0.0
    alternatives = alternatives or {}
    total = found = 0.0
    for word in unique:
        weight = stats.idf(word)
        total += weight
        candidates = (word, *alternatives.get(word, ()))
        if any(c in text for c in candidates for text in texts):
            found += weight
    return found / total if total else 0.0


def features(query: Query, fused: Sequence[Hit], dense: Sequence[Hit], keyword: Sequence[Hit], stats: TermStatistics) -> dict[str, float]:
    """The calibration features for one question and its rankings."""
    texts = [f"{h.passage.section} {h.passage.search_text}" for h in fused[:3]]
    core = [t for t in query.core_tokens if len(t) > 1 or not t.isascii()]
    return {
        "dense_top": dense[0].dense if dense and dense[0].dense is not None else 0.0,
        "core_coverage": coverage(core, texts, stats, query.alternatives),
        "core_coverage_top1": coverage(core, texts[:1], stats, query.alternatives),
        "expansion_coverage": coverage(query.expansions, texts, stats) if query.expansions else 0.0,
        "keyword_top": math.log1p(keyword[0].keyword or 0.0) if keyword else 0.0,
    }


@dataclass(frozen=True)
class Calibration:
    """A logistic model over `FEATURES`, fitted for one embedder."""

    model_id: str
    weights: dict[str, float]
    bias: float
    fitted_on: str = ""

    def probability(self, values: dict[str, float]) -> float:
        """P(the reports cover the question), in [0, 1]."""
        z = self.bias + sum(self.weights.get(name, 0.0) * values.get(name, 0.0) for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def as_dict(self) -> dict:
        return {"model_id": self.model_id, "weights": self.weights, "bias": self.bias, "fitted_on": self.fitted_on}


# Used when no calibration was fitted for the configured embedder: relies on word
# coverage, which does not depend on the embedding model.
FALLBACK = Calibration(
    model_id="*",
    weights={"core_coverage": 6.0, "core_coverage_top1": 2.0, "expansion_coverage": 1.0},
    bias=-4.5,
    fitted_on="hand-set fallback",
)


def load_calibration(model_id: str) -> Calibration:
    """The fitted calibration for `model_id`, or the embedder-independent fallback."""
    try:
        data = json.loads(resources.files("bot.data").joinpath("calibration.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ModuleNotFoundError, json.JSONDecodeError):
        return FALLBACK
    entry = data.get(model_id)
    if not isinstance(entry, dict):
        return FALLBACK
    return Calibration(
        model_id=model_id,
        weights={k: float(v) for k, v in entry.get("weights", {}).items() if k in FEATURES},
        bias=float(entry.get("bias", 0.0)),
        fitted_on=str(entry.get("fitted_on", "")),
    )
