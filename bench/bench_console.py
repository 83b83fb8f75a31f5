"""Server time of every console page on the shipped corpus with a big question log.

    python bench/bench_console.py [--config config.toml] [--questions 10000] [--rounds 20]

Copies the project (config, corpus, and the index with its embedding cache when built) into
a temporary folder, fills a fresh store with --questions logged questions over 30 days
(the labelled parents' questions of tests/data with variations, a quarter refused, some
voted on) and 30 pending FAQ proposals, then requests each page in-process as a logged-in
admin. Server time is measured inside the ASGI app, from the request to the last byte of
the response. Prints, per page, the first request (cold caches) and the median, p95 and
maximum of the next --rounds; target: every page <= 200 ms. Also prints the load average.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
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
DISTRICTS = ("", "涪陵", "云阳", "泸州", "通州", "我们这里")
ENDINGS = ("", "?", "啊", "呢", "谢谢", "急", "。请问一下")


def questions() -> list[str]:
    out = []
    for file in sorted((ROOT / "tests" / "data").glob("*.jsonl")):
        out += [json.loads(line)["q"] for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def project_copy(config_path: Path, folder: Path) -> Path:
    config = load_config(config_path, env={})
    shutil.copytree(config.corpus.dir, folder / "corpus")
    if (config.index.dir / "CURRENT").exists():
        shutil.copytree(config.index.dir, folder / "index", ignore=shutil.ignore_patterns(".build.lock"))
    shutil.copy(config_path, folder / "config.toml")
    return folder / "config.toml"


def fill(store: Store, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    asked = questions()
    now = time.time()
    real_clock = store.clock
    for n in range(count):
        when = now - rng.random() ** 1.5 * 30 * 86400
        store.clock = lambda when=when: when
        question = rng.choice(DISTRICTS) + rng.choice(asked) + rng.choice(ENDINGS)
        refused = rng.random() < 0.25
        store.log_question(10_000 + rng.randrange(3000), question, kind="private", abstained=refused, confidence=rng.random() * (0.5 if refused else 1), answer_id=f"a{n}")
        if rng.random() < 0.08:
            store.record_vote(f"a{n}", 10_000 + rng.randrange(3000), rng.choice((1, -1)))
    store.clock = real_clock
    for n in range(30):
        queue.propose_faq(store, 77, "李老师", f"{rng.choice(asked)}({n})", "本校的做法是……", "")


class Timed:
    """ASGI wrapper: seconds from the request to the end of the response body."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app
        self.last = 0.0

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        start = time.perf_counter()

        async def timed_send(message) -> None:  # noqa: ANN001
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last = time.perf_counter() - start

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
        fill(store, args.questions)
        print(f"logged {args.questions} questions in {time.perf_counter() - started:.1f} s; "
              f"{len(service.pipeline.index.ordered)} passages in build {service.pipeline.index.build_id}")
        app = build_console(config, service, store)
        timed = Timed(app)
        client = TestClient(timed, follow_redirects=False)
        assert client.post("/login", data={"token": app.state.console.logins.mint_link(ADMIN, "bench")}).status_code == 303
        csrf = app.state.console.logins.session(client.cookies.get("console_session")).csrf
        print(f"{'page':<52} {'first':>7} {'median':>7} {'p95':>7} {'max':>7}  (ms, server time)")
        worst = 0.0
        for method, path, form in PAGES:
            samples = []
            for _ in range(args.rounds + 1):
                response = client.request(method, path, data={"csrf": csrf, **form} if form else None)
                assert response.status_code == 200, (path, response.status_code, response.text[:300])
                samples.append(timed.last * 1000)
            first, rest = samples[0], sorted(samples[1:])
            p95 = rest[min(len(rest) - 1, int(0.95 * len(rest)))]
            worst = max(worst, p95)
            print(f"{method + ' ' + path:<52} {first:7.1f} {statistics.median(rest):7.1f} {p95:7.1f} {rest[-1]:7.1f}")
        load = os.getloadavg()
        print(f"worst p95 {worst:.0f} ms (target 200 ms); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
