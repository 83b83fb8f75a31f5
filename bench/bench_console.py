"""Server time of every console page on the shipped corpus with a big question log.

    python bench/bench_console.py [--config config.toml] [--questions 10000] [--rounds 20]

Copies the project (config, corpus, and the index with its embedding cache when built) into
a temporary folder, fills a fresh store with --questions logged questions over 30 days
(the labelled parents' questions of tests/data with variations, a quarter refused, some
voted on) and 30 pending FAQ proposals, then requests each page in-process as a logged-in
admin. Server time is measured inside the ASGI app, from the request to the last byte of
the response. Prints, per page, the first request (cold caches) and the median, p95 and
maximum of the next --rounds, and the median CPU time (what a page costs even when other
work shares the cores); target: every page <= 200 ms. Also prints the load average.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from bot.config import StorageSettings, load_config  # noqa: E402
from bot.console.app import build_console  # noqa: E402
from bot.index.build import build_index  # noqa: E402
from bot.service import Service  # noqa: E402
from bot.storage import admin as queue  # noqa: E402
from bot.storage.store import Store  # noqa: E402
from tests.console_support import log_questions  # noqa: E402

ADMIN = 42
PAGES = [
    ("GET", "/overview", None),
    ("GET", "/documents", None),
    ("GET", "/documents/district-survey-report.txt", None),
    ("GET", "/documents/sichuan-luzhou.txt", None),
    ("GET", "/try", None),
    ("POST", "/try", {"q": "托管费按什么标准收"}),
    ("GET", "/unanswered", None),
    ("GET", "/faq", None),
    ("GET", "/terms", None),
    ("GET", "/terms/preview?phrase=娃的作业&targets=作业负担、作业总量", None),
    ("GET", "/rebuild", None),
]
def project_copy(config_path: Path, folder: Path) -> Path:
    config = load_config(config_path, env={})
    shutil.copytree(config.corpus.dir, folder / "corpus")
    if (config.index.dir / "CURRENT").exists():
        shutil.copytree(config.index.dir, folder / "index", ignore=shutil.ignore_patterns(".build.lock"))
    shutil.copy(config_path, folder / "config.toml")
    return folder / "config.toml"


class Timed:
    """ASGI wrapper: seconds from the request to the end of the response body, and the CPU
    seconds this process spent meanwhile (what the page costs, whatever else the machine runs)."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app
        self.last = self.cpu = 0.0

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        start, cpu = time.perf_counter(), time.process_time()

        async def timed_send(message) -> None:  # noqa: ANN001
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last, self.cpu = time.perf_counter() - start, time.process_time() - cpu

        await self.app(scope, receive, timed_send)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml")
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        folder = Path(tmp)
        config = load_config(project_copy(args.config.resolve(), folder), env={})
        telegram = dataclasses.replace(config.telegram, admin_ids=frozenset({ADMIN}))
        config = dataclasses.replace(config, telegram=telegram, storage=StorageSettings(path=folder / "var" / "bot.sqlite3"))
        if not (config.index.dir / "CURRENT").exists():
            print("building the index (no built index to copy) …", flush=True)
            build_index(config, progress=False)
        service = Service.from_config(config, build_if_missing=False)
        store = Store.from_settings(config.storage, salt="bench")
        started = time.perf_counter()
        log_questions(store, args.questions)
        for n in range(30):
            queue.propose_faq(store, 77, "李老师", f"待审核的问题({n})", "本校的做法是……", "")
        print(f"logged {args.questions} questions in {time.perf_counter() - started:.1f} s; "
              f"{len(service.pipeline.index.ordered)} passages in build {service.pipeline.index.build_id}")
        app = build_console(config, service, store)
        timed = Timed(app)
        client = TestClient(timed, follow_redirects=False)
        assert client.post("/login", data={"token": app.state.console.logins.mint_link(ADMIN, "bench")}).status_code == 303
        csrf = app.state.console.logins.session(client.cookies.get("console_session")).csrf
        print(f"{'page':<52} {'first':>7} {'median':>7} {'p95':>7} {'max':>7} {'cpu':>7}  (ms: server time; cpu = median CPU time)")
        worst = 0.0
        for method, path, form in PAGES:
            samples, cpu = [], []
            for _ in range(args.rounds + 1):
                response = client.request(method, path, data={"csrf": csrf, **form} if form else None)
                assert response.status_code == 200, (path, response.status_code, response.text[:300])
                samples.append(timed.last * 1000)
                cpu.append(timed.cpu * 1000)
            first, rest = samples[0], sorted(samples[1:])
            p95 = rest[min(len(rest) - 1, int(0.95 * len(rest)))]
            worst = max(worst, p95)
            print(f"{method + ' ' + path:<52} {first:7.1f} {statistics.median(rest):7.1f} {p95:7.1f} {rest[-1]:7.1f} {statistics.median(cpu[1:]):7.1f}")
        load = os.getloadavg()
        print(f"worst p95 {worst:.0f} ms (target 200 ms); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
