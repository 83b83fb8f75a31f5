"""Index build timings on a temporary copy of the project (not a test).

    python bench/bench_build.py [--config config.toml]

Prints: a full build of the shipped corpus with an empty embedding cache, passages
embedded per second, an unchanged rebuild (warm cache), and a rebuild after one small
document is added. Targets on a 2-core machine: full build <= 60 s, unchanged rebuild <= 3 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import load_config  # noqa: E402
from bot.index.build import BuildReport, build_index  # noqa: E402
from bot.index.embedder import make_embedder  # noqa: E402

SMALL_DOCUMENT = """某区课后服务补充通知
一、自下学期起,课后服务结束时间延长至18:00,家长可自愿选择是否参加。
二、课后服务费用标准保持不变,家庭经济困难学生继续免收课后服务费。
"""
FULL_TARGET_S = 60.0
UNCHANGED_TARGET_S = 3.0


class EmbedClock:
    """A progress callback that times the embedding phase of a build."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.finished: float | None = None
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.started is None:
            self.started = now
        self.total = total
        if done == total:
            self.finished = now

    @property
    def rate(self) -> float | None:
        if self.started is None or self.finished is None or self.finished <= self.started:
            return None
        return self.total / (self.finished - self.started)


def timed_build(config_path: Path, progress=False) -> tuple[BuildReport, float]:
    """One build as `python -m bot index build` runs it (config loaded, embedder made), wall-clock timed."""
    started = time.perf_counter()
    config = load_config(config_path)
    report = build_index(config, embedder=make_embedder(config.embedder), progress=progress)
    return report, time.perf_counter() - started


def line(name: str, report: BuildReport, seconds: float, target: float | None = None) -> str:
    verdict = "" if target is None else (f"  (target <= {target:g} s: {'ok' if seconds <= target else 'MISSED'})")
    return (
        f"{name:<28} {seconds:7.2f} s   {report.passages} passages, {report.embedded} embedded, "
        f"{report.reused} reused{verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path(__file__).resolve().parents[1] / "config.toml")
    args = parser.parse_args()
    source = load_config(args.config)
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        root = Path(tmp)
        shutil.copytree(source.corpus.dir, root / "corpus")
        shutil.copy(source.path, root / "config.toml")
        config_path = root / "config.toml"
        print(f"project copy: {root}  embedder: {source.embedder.backend}:{source.embedder.model}")

        clock = EmbedClock()
        full, full_s = timed_build(config_path, progress=clock)
        print(line("full build (empty cache)", full, full_s, FULL_TARGET_S))
        rate = clock.rate
        print(f"{'embedding throughput':<28} {rate:7.1f} passages/s" if rate else "embedding throughput: n/a")

        unchanged, unchanged_s = timed_build(config_path)
        print(line("unchanged rebuild", unchanged, unchanged_s, UNCHANGED_TARGET_S))

        (root / "corpus" / "bench-added.txt").write_text(SMALL_DOCUMENT, encoding="utf-8")
        added, added_s = timed_build(config_path)
        print(line("rebuild, one document added", added, added_s))
        ok = full_s <= FULL_TARGET_S and unchanged_s <= UNCHANGED_TARGET_S
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
