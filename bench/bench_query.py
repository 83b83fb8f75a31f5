"""Per-question cost with the index loaded, against the floor: a bare e5 query + FAISS search.

    python bench/bench_query.py [--config config.toml] [--rounds 5]

Prints the median time of (a) embedding a question with e5 and searching FAISS — the
floor every answer pays — and (b) `Service.ask`, the whole answer; target: (b) <= 1.5 x (a).
Then times a cold `python -m bot ask "…"` (start, load, answer) in a fresh process;
target <= 3 s. Uses the single questions in tests/data/*.jsonl.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.evaluate import labelled_texts  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.service import Service  # noqa: E402


def questions() -> list[str]:
    return labelled_texts(ROOT / "tests" / "data")


def per_question(fn, items: list[str], rounds: int) -> float:
    """Median over rounds of the mean seconds per question."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for q in items:
            fn(q)
        samples.append((time.perf_counter() - start) / len(items))
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(ROOT / "config.toml"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    service = Service.from_config(load_config(args.config))
    index, embedder, k = service.pipeline.index, service.embedder, service.config.retrieval.candidates
    items = questions()
    for q in items[:5]:  # warm up caches and threads
        service.ask(q)

    floors, fulls = [], []
    for _ in range(args.rounds):  # alternate, so both see the same machine load
        floors.append(per_question(lambda q: index.dense_search(embedder.encode_query([q])[0], k), items, 1))
        fulls.append(per_question(service.ask, items, 1))
    floor, full = statistics.median(floors), statistics.median(fulls)
    print(f"questions: {len(items)}, rounds: {args.rounds}")
    print(f"bare e5 query + FAISS search: {floor * 1000:.2f} ms")
    print(f"Service.ask (whole answer):   {full * 1000:.2f} ms  = {full / floor:.2f} x the floor (target <= 1.5)")

    cold = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "ask", "--config", args.config, "课后服务怎么收费?"],
                       cwd=ROOT, check=True, capture_output=True)
        cold.append(time.perf_counter() - start)
    print(f"cold `python -m bot ask`:     {statistics.median(cold):.2f} s median of 3 (target <= 3 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
