"""Fit the abstention score: a logistic model over `bot.answering.confidence.FEATURES`.

    python bench/calibrate.py [--config config.toml] [FILE.jsonl ...]

Asks every labelled question (default: tests/data/calibration_*.jsonl, 799 parents'
questions written for it, 140 of them long messages that tell the family's case, and the
blind sets tests/data/blind_*.jsonl, each written by someone who read only the reports,
about 60 each with 15 out of scope), collects the features of its best passages, keeps
the questions' vectors as in-scope / out-of-scope exemplars (a question's own vector is
left out when its `topic_margin` is computed for fitting), fits P(in scope) with
L2-regularised logistic regression (Newton's method, numpy only) and writes weights and
exemplars for the configured embedder into bot/data/calibration.json.

Before the final fit it reports OUT-OF-FOLD figures, two ways: stratified k-fold
cross-validation (--folds, default 10), and leave-one-file-out (each file predicted by
a model fitted on the others, with exemplars from those only: the blind sets ask about
the same reports, so a random fold may hold a near-twin of a question). The in-sample
accuracy is printed too, but only for comparison. The development and held-out sets
(tests/data/dev_questions.jsonl, parent_questions.jsonl, fresh_questions.jsonl and the
conversation files) are never used here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.confidence import FEATURES, encode_vectors  # noqa: E402
from bot.answering.evaluate import load_questions  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.service import Service  # noqa: E402

OUTPUT = ROOT / "bot" / "data" / "calibration.json"
# The labelled questions fitted on: ours (short, colloquial, long story-like messages) and the blind sets.
CALIBRATION_GLOBS = ("calibration_*.jsonl", "blind_*.jsonl")


def calibration_files(data: Path = ROOT / "tests" / "data") -> list[Path]:
    """The labelled question files the calibration is fitted on, in a fixed order."""
    return sorted({path for pattern in CALIBRATION_GLOBS for path in data.glob(pattern)})


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.1, steps: int = 50) -> tuple[np.ndarray, float]:
    """Weights and bias maximising the L2-penalised log-likelihood."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.eye(xb.shape[1]) * l2
    penalty[-1, -1] = 0.0  # the bias is not penalised
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-xb @ w))
        gradient = xb.T @ (p - y) + penalty @ w
        hessian = xb.T @ (xb * (p * (1 - p))[:, None]) + penalty
        w -= np.linalg.solve(hessian, gradient)
    return w[:-1], float(w[-1])


def margins(v: np.ndarray, inside: np.ndarray, rows: np.ndarray, exemplars: np.ndarray) -> np.ndarray:
    """topic_margin of `rows` against the exemplars in `exemplars` (a row never matches itself)."""
    sims = v[rows] @ v[exemplars].T
    sims[rows[:, None] == exemplars[None, :]] = -np.inf
    ins, outs = inside[exemplars], ~inside[exemplars]
    return sims[:, ins].max(axis=1) - sims[:, outs].max(axis=1)


def folds_of(y: np.ndarray, k: int, seed: int = 7) -> list[np.ndarray]:
    """Stratified folds: each holds its share of in-scope and out-of-scope questions."""
    rng = np.random.default_rng(seed)
    out: list[list[int]] = [[] for _ in range(k)]
    for label in (0.0, 1.0):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        for n, i in enumerate(idx):
            out[n % k].append(int(i))
    return [np.array(sorted(f)) for f in out]


def out_of_fold(base: np.ndarray, v: np.ndarray, y: np.ndarray, folds: list[np.ndarray], l2: float) -> np.ndarray:
    """P(in scope) of every question from a model fitted without its fold."""
    inside = y == 1.0
    column = FEATURES.index("topic_margin")
    p = np.zeros(len(y))
    for test in folds:
        train = np.setdiff1d(np.arange(len(y)), test)
        x_train, x_test = base[train].copy(), base[test].copy()
        x_train[:, column] = margins(v, inside, train, train)
        x_test[:, column] = margins(v, inside, test, train)
        w, b = fit_logistic(x_train, y[train], l2=l2)
        p[test] = 1.0 / (1.0 + np.exp(-(x_test @ w + b)))
    return p


def report(p: np.ndarray, y: np.ndarray, answer: float, tentative: float) -> str:
    ins, outs = y == 1.0, y == 0.0
    lines = [
        f"  accuracy at {answer}:               {np.mean((p >= answer) == ins):.3f}",
        f"  in scope refused (p < {tentative}):     {np.mean(p[ins] < tentative):.3f}  ({int(np.sum(p[ins] < tentative))}/{int(ins.sum())})",
        f"  in scope tentative:                {np.mean((p[ins] >= tentative) & (p[ins] < answer)):.3f}",
        f"  out of scope refused:              {np.mean(p[outs] < tentative):.3f}  ({int(np.sum(p[outs] < tentative))}/{int(outs.sum())})",
        f"  out of scope answered confidently: {np.mean(p[outs] >= answer):.3f}",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "files", nargs="*", type=Path,
        default=calibration_files(),
    )
    parser.add_argument("--config", default=str(ROOT / "config.toml"))
    parser.add_argument("--l2", type=float, default=0.1)
    parser.add_argument("--folds", type=int, default=10)
    args = parser.parse_args()

    config = load_config(args.config)
    service = Service.from_config(config)
    rows, labels, names, vectors, files = [], [], [], [], []
    for number, file in enumerate(args.files):
        for item in load_questions(file):
            files.append(number)
            ranking = service.explain(item.q)
            rows.append(dict(ranking.features))
            vectors.append(ranking.vector)
            labels.append(1.0 if item.in_scope else 0.0)
            names.append(f"{item.id} {item.q}")
    v, inside = np.array(vectors), np.array(labels) == 1.0
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)  # leave-one-out: a question never matches itself
    for n, row in enumerate(rows):
        row["topic_margin"] = float(sims[n, inside].max() - sims[n, ~inside].max())
    rows = [[row.get(f, 0.0) for f in FEATURES] for row in rows]
    x, y = np.array(rows), np.array(labels)
    answer, tentative = config.retrieval.abstain_threshold, config.retrieval.tentative_threshold
    group = np.array(files)
    by_file = [np.flatnonzero(group == n) for n in np.unique(group)] if len(args.files) > 1 else []
    for title, folds in ((f"{args.folds}-fold, stratified", folds_of(y, args.folds)), ("leave one file out", by_file)):
        if not folds:
            continue
        oof = out_of_fold(x, v, y, folds, args.l2)
        print(f"out-of-fold ({title}), thresholds answer {answer} / tentative {tentative}:")
        print(report(oof, y, answer, tentative))
        for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5):
            print(f"    tentative {t:.2f}: in scope refused {np.mean(oof[y == 1] < t):.3f}, out of scope refused {np.mean(oof[y == 0] < t):.3f}")
    weights, bias = fit_logistic(x, y, l2=args.l2)
    p = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
    wrong = [(n, round(float(q), 3)) for n, q, t in zip(names, p, y) if (q >= 0.5) != bool(t)]
    print(f"{len(y)} questions ({int(y.sum())} in scope); in-sample accuracy {1 - len(wrong) / len(y):.3f} (for comparison only)")
    for name, prob in wrong:
        print(f"  misjudged: {name} p={prob}")
    print("weights:", {f: round(float(w), 3) for f, w in zip(FEATURES, weights)}, "bias:", round(bias, 3))

    data = json.loads(OUTPUT.read_text(encoding="utf-8")) if OUTPUT.exists() else {}
    data[service.embedder.model_id] = {
        "weights": {f: round(float(w), 4) for f, w in zip(FEATURES, weights)},
        "bias": round(bias, 4),
        "fitted_on": f"{len(args.files)} files: {', '.join(f.name for f in args.files)} ({len(y)} questions), {dt.date.today().isoformat()}",
        "dim": int(v.shape[1]),
        "exemplars": {"inside": encode_vectors(v[inside]), "outside": encode_vectors(v[~inside])},
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
