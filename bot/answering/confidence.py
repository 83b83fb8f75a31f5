"""One calibrated score: the probability that the reports cover a question.

Cheap features of the question and its best passages go through a logistic model
fitted on labelled parents' questions (`bench/calibrate.py` writes
`bot/data/calibration.json`):

- `core_coverage`, `core_coverage_top1`: the IDF-weighted share of the question's
  words found in the top three passages / the best one;
- `evidence_top1`: how much IDF weight the best passage holds at all (saturating at
  `EVIDENCE_CAP`), so a long message is not judged by its share alone;
- `dense_top`: the best cosine similarity of a passage;
- `topic_margin`: how much closer the question's vector is to labelled in-scope
  questions than to labelled out-of-scope ones (高考, 医保, 天气 …).

The abstention threshold applies to this probability only, never to fused ranks
or raw similarities.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from bot.answering.coverage import QuestionWords, TermStatistics
from bot.answering.query import Query
from bot.records import Hit

FEATURES = ("dense_top", "core_coverage", "core_coverage_top1", "evidence_top1", "topic_margin")
# The found IDF weight at which `evidence_top1` saturates (about three rare words).
EVIDENCE_CAP = 12.0


def features(query: Query, fused: Sequence[Hit], dense: Sequence[Hit], stats: TermStatistics) -> dict[str, float]:
    """The passage-side features for one question and its rankings."""
    texts = [f"{h.passage.section} {h.passage.search_text}" for h in fused[:3]]
    words = QuestionWords(query.words, stats, query.alternatives, query.parts, query.story)
    return {
        "dense_top": dense[0].dense if dense and dense[0].dense is not None else 0.0,
        "core_coverage": words.coverage(*texts),
        "core_coverage_top1": (fused[0].coverage or 0.0) if fused else 0.0,
        "evidence_top1": min(words.evidence(texts[0]), EVIDENCE_CAP) / EVIDENCE_CAP if texts else 0.0,
    }


def encode_vectors(vectors: np.ndarray) -> str:
    """float16 rows as base64 (compact enough for a JSON file)."""
    return base64.b64encode(np.asarray(vectors, dtype="<f2").tobytes()).decode("ascii")


def decode_vectors(text: str, dim: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32).reshape(-1, dim)


@dataclass(frozen=True)
class Calibration:
    """A logistic model over `FEATURES`, fitted for one embedder, with its exemplar questions."""

    model_id: str
    weights: dict[str, float]
    bias: float
    fitted_on: str = ""
    inside: np.ndarray | None = field(default=None, repr=False)  # vectors of in-scope exemplars
    outside: np.ndarray | None = field(default=None, repr=False)  # vectors of out-of-scope exemplars

    def topic_margin(self, vector: np.ndarray | None) -> float:
        """max cosine to in-scope exemplars minus max cosine to out-of-scope ones (0 without them)."""
        if vector is None or self.inside is None or self.outside is None or not len(self.inside) or not len(self.outside):
            return 0.0
        if self.inside.shape[1] != vector.shape[-1]:
            return 0.0
        return float(np.max(self.inside @ vector) - np.max(self.outside @ vector))

    def probability(self, values: dict[str, float]) -> float:
        """P(the reports cover the question), in [0, 1]."""
        z = self.bias + sum(self.weights.get(name, 0.0) * values.get(name, 0.0) for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


# Used when no calibration was fitted for the configured embedder: relies on word
# coverage, which does not depend on the embedding model.
FALLBACK = Calibration(
    model_id="*",
    weights={"core_coverage": 6.0, "core_coverage_top1": 2.0},
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
    dim = int(entry.get("dim", 0))
    exemplars = entry.get("exemplars", {})
    try:
        inside = decode_vectors(exemplars["inside"], dim) if dim and exemplars else None
        outside = decode_vectors(exemplars["outside"], dim) if dim and exemplars else None
    except (KeyError, ValueError, TypeError):
        inside = outside = None
    return Calibration(
        model_id=model_id,
        weights={k: float(v) for k, v in entry.get("weights", {}).items() if k in FEATURES},
        bias=float(entry.get("bias", 0.0)),
        fitted_on=str(entry.get("fitted_on", "")),
        inside=inside,
        outside=outside,
    )
