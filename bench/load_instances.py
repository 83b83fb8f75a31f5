"""Load bench over real processes: PostgreSQL, three bot instances in webhook mode, the fake Bot API.

    python bench/load_instances.py [--updates 1000] [--parents 300] [--spread 5] [--no-kill] [--json]

Starts a throw-away PostgreSQL (tests/pg_server.py; as root it runs as the `postgres` user),
the fake Bot API (tests/fake_bot_api.py) in this process, and three `python -m bot run`
processes in webhook mode, each on its own copy of the project ("machines" that share only
the database): machine a has an index, b and c start without one and fetch the build a
publishes. Then `--updates` questions from `--parents` parents (a third in Traditional
characters) arrive within `--spread` seconds, each POSTed to one of the three instances as a
load balancer would (a refused POST is retried on another instance, as Telegram retries).
Unless `--no-kill`, instance b is SIGKILLed when 40% of the updates have been posted; its
claimed updates are taken over by the others when their lease runs out. Afterwards b is
started again, a new report is added on machine a, an admin sends /reindex there, and the
bench measures the time until all three instances answer from the new build (their
/readyz names it, and a question only the new report answers gets its figure from each).

Reports: answered / sent, duplicates (replies beyond one per question), lost, p50/p95/max
from the update's first POST to its reply, the most messages sent in any 1-second window
(all instances together; Telegram allows about 30, the bot plans 28), updates taken over,
and the reindex propagation time. Replies in one chat are paired with its questions in
order, as bench/load_test.py does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.load_test import load_questions, max_in_window, percentile  # noqa: E402
from bot.text import to_script  # noqa: E402
from tests.fake_bot_api import TOKEN, FakeBotApi  # noqa: E402
from tests.pg_server import PostgresServer, free_port  # noqa: E402

SECRET = "load-bench-secret"
HOOK = "https://bot.example.org/hook"
ADMIN = {"id": 42, "is_bot": False, "first_name": "管理员", "language_code": "zh-hans"}
CHAT_METHODS = ("sendMessage", "sendChatAction", "editMessageText", "editMessageReplyMarkup")
NEW_REPORT = ("基准县课后服务收费通知.txt", "基准县教育局通知:基准县课后服务每生每学期收费四百二十元,家长自愿参加,困难家庭免收。\n")
NEW_QUESTION = "基准县课后服务一学期收多少钱"
NEW_FIGURE = "四百二十元"


class Instance:
    def __init__(self, name: str, folder: Path, port: int, env: dict[str, str]) -> None:
        self.name, self.folder, self.port, self.env = name, folder, port, env
        self.process: asyncio.subprocess.Process | None = None
        self.log = folder / "bot.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {**self.env, "BOT_WEBHOOK_PORT": str(self.port)}
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(self.folder / "config.toml"), cwd=self.folder, env=env, stdout=log, stderr=log
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def ready(self, session: aiohttp.ClientSession, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"instance {self.name} exited: see {self.log}")
            try:
                async with session.get(self.url + "/readyz") as response:
                    if response.status == 200:
                        return await response.json()
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
        raise RuntimeError(f"instance {self.name} not ready after {timeout} s")

    def kill(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]

    async def stop(self) -> int | None:
        if not self.alive:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        try:
            return await asyncio.wait_for(self.process.wait(), 60)  # type: ignore[union-attr]
        except TimeoutError:
            self.process.kill()  # type: ignore[union-attr]
            return await self.process.wait()  # type: ignore[union-attr]


def make_machine(folder: Path, source: Path, with_index: bool) -> None:
    folder.mkdir(parents=True)
    text = (source / "config.toml").read_text(encoding="utf-8")
    text = text.replace('mode = "polling"', 'mode = "webhook"', 1).replace('url = ""', f'url = "{HOOK}"', 1)
    (folder / "config.toml").write_text(text, encoding="utf-8")
    shutil.copytree(source / "corpus", folder / "corpus")
    if with_index and (source / "index").is_dir():
        shutil.copytree(source / "index", folder / "index", ignore=shutil.ignore_patterns(".build.lock", ".corpus-sync.json"))


async def post(session: aiohttp.ClientSession, instances: list[Instance], first: int, update: dict) -> int:
    """POST like Telegram behind a load balancer: a failure is retried on the next instance."""
    body = json.dumps(update, ensure_ascii=False)
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    for attempt in range(30):
        instance = instances[(first + attempt) % len(instances)]
        try:
            async with session.post(instance.url + "/hook", data=body, headers=headers) as response:
                if response.status == 200:
                    return attempt
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05 if attempt < len(instances) else 1.0)
    raise RuntimeError(f"update {update['update_id']} could not be delivered to any instance")


async def run(args: argparse.Namespace) -> dict:
    rng = random.Random(args.seed)
    pool = load_questions()
    workdir = Path(tempfile.mkdtemp(prefix="load-instances-"))
    server = PostgresServer.start()
    api = FakeBotApi()
    await api.start()
    url = server.new_schema()
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.root, "DATABASE_URL": url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET, "BOT_ADMIN_IDS": str(ADMIN["id"]), "BOT_LOG_SALT": "load-bench-salt",
    }
    source = Path(args.config).resolve().parent
    instances = []
    for name in "abc":
        make_machine(workdir / name, source, with_index=name == "a")
        instances.append(Instance(name, workdir / name, free_port(), env))
    result: dict = {"updates": args.updates, "parents": args.parents, "kill": not args.no_kill, "cpus": os.cpu_count()}
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            started = time.monotonic()
            await instances[0].start()
            await instances[0].ready(session)  # publishes its build
            await asyncio.gather(instances[1].start(), instances[2].start())
            builds = await asyncio.gather(*(i.ready(session) for i in instances[1:]))
            result["startup_s"] = round(time.monotonic() - started, 1)
            first_build = (await instances[0].ready(session))["index"]
            result["fetched_published_build"] = all(b["index"] == first_build for b in builds)
            for n, instance in enumerate(instances):  # warm-up: one question each
                await post(session, [instance], 0, {"update_id": 1 + n, "message": api.message("课后服务怎么收费?", user={**ADMIN, "id": 900 + n})})
            await api.wait_for("sendMessage", lambda c: c["chat_id"] == 902, timeout=120)
            await api.wait_for("sendMessage", lambda c: c["chat_id"] == 900, timeout=120)
            first_call = len(api.calls)

            parents = [{"id": 10_000 + n, "is_bot": False, "first_name": f"家长{n}", "language_code": "zh-hant" if n % 3 == 2 else "zh-hans"} for n in range(args.parents)]
            plan = []
            for k in range(args.updates):
                user = parents[k % args.parents]
                question = rng.choice(pool)
                plan.append((rng.uniform(0, args.spread), user, to_script(question, "traditional") if user["language_code"] == "zh-hant" else question))
            plan.sort(key=lambda item: item[0])
            asked: dict[int, tuple[int, float]] = {}  # update id -> (chat id, first POST)
            kill_at = int(len(plan) * 0.4) if not args.no_kill else None
            killed_at = None
            t0 = time.monotonic()
            tasks = []
            for n, (at, user, question) in enumerate(plan):
                delay = t0 + at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if n == kill_at:
                    instances[1].kill()
                    killed_at = time.monotonic() - t0
                update_id = 1000 + n
                asked[update_id] = (user["id"], time.monotonic())
                tasks.append(asyncio.create_task(post(session, instances, rng.randrange(3), {"update_id": update_id, "message": api.message(question, user=user)})))
            retries = sum(await asyncio.gather(*tasks))
            result["posted_within_s"] = round(time.monotonic() - t0, 2)
            result["post_retries"] = retries

            by_chat: dict[int, list[float]] = {}
            for update_id in sorted(asked, key=lambda u: asked[u][1]):
                chat, when = asked[update_id]
                by_chat.setdefault(chat, []).append(when)

            def replies() -> dict[int, list[float]]:
                found: dict[int, list[float]] = {}
                for call in api.calls[first_call:]:
                    if call.method == "sendMessage" and call.fault is None and call["chat_id"] in by_chat:
                        found.setdefault(call["chat_id"], []).append(call.at)
                return found

            deadline = time.monotonic() + args.timeout
            while sum(min(len(v), len(by_chat[c])) for c, v in replies().items()) < len(asked) and time.monotonic() < deadline:
                await asyncio.sleep(0.25)
            await asyncio.sleep(2.0)  # anything sent twice would show now
            got = replies()
            latencies = [reply - asked_at for chat, times in by_chat.items() for asked_at, reply in zip(times, got.get(chat, []))]
            answered = sum(min(len(got.get(c, [])), len(t)) for c, t in by_chat.items())
            duplicates = sum(max(0, len(got.get(c, [])) - len(t)) for c, t in by_chat.items())
            burst = api.calls[first_call:]
            sends = [c.at for c in burst if c.method == "sendMessage" and c.fault is None]
            chat_calls = [c.at for c in burst if c.method in CHAT_METHODS and c.fault is None]
            last = max((t for times in got.values() for t in times), default=t0)
            result.update(
                answered=answered, lost=len(asked) - answered, duplicates=duplicates,
                p50_s=round(statistics.median(latencies), 2) if latencies else None,
                p95_s=round(percentile(latencies, 0.95), 2) if latencies else None,
                max_s=round(max(latencies), 2) if latencies else None,
                replies_per_s=round(answered / max(1e-9, last - t0), 1),
                max_messages_in_1s=max_in_window(sends), max_chat_requests_in_1s=max_in_window(chat_calls),
                killed_b_at_s=round(killed_at, 2) if killed_at is not None else None,
            )

            # Reindex: b back up, a report added on machine a, /reindex there, all three switch.
            if not instances[1].alive:
                await instances[1].start()
                await instances[1].ready(session)
            before = {i.name: (await i.ready(session))["index"] for i in instances}
            name, text = NEW_REPORT
            (workdir / "a" / "corpus" / name).write_text(text, encoding="utf-8")
            reindex_t0 = time.monotonic()
            await post(session, [instances[0]], 0, {"update_id": 5000, "message": api.message("/reindex", user=ADMIN)})
            switched: dict[str, float] = {}
            deadline = time.monotonic() + 300
            while len(switched) < 3 and time.monotonic() < deadline:
                for instance in instances:
                    if instance.name not in switched:
                        build = (await instance.ready(session))["index"]
                        if build != before[instance.name]:
                            switched[instance.name] = time.monotonic() - reindex_t0
                await asyncio.sleep(0.1)
            result["reindex_switch_s"] = {k: round(v, 2) for k, v in sorted(switched.items())}
            result["reindex_all_three_s"] = round(max(switched.values()), 2) if len(switched) == 3 else None
            figures = {}
            for n, instance in enumerate(instances):
                asker = {**ADMIN, "id": 950 + n, "first_name": f"核对{n}"}
                await post(session, [instance], 0, {"update_id": 6000 + n, "message": api.message(NEW_QUESTION, user=asker)})
                reply = await api.wait_for("sendMessage", lambda c, chat=asker["id"]: c["chat_id"] == chat, timeout=60)
                figures[instance.name] = NEW_FIGURE in reply["text"]
            result["new_report_answered_by"] = figures
    finally:
        codes = [await i.stop() for i in instances]
        result["exit_codes"] = codes
        logs = "".join(i.log.read_text(encoding="utf-8", errors="replace") for i in instances if i.log.exists())
        result["takeovers_logged"] = logs.count("taken over after another instance stopped")
        result["handler_errors_logged"] = logs.count("error while handling an update")
        await api.stop()
        server.stop()
        if args.keep:
            result["workdir"] = str(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.toml"), help="project to copy (its corpus/ and index/ next to it)")
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--parents", type=int, default=300)
    parser.add_argument("--spread", type=float, default=5.0, help="seconds over which the updates arrive")
    parser.add_argument("--no-kill", action="store_true", help="do not SIGKILL instance b mid-burst")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for every answer")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the machines' folders (logs)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    ok = result.get("lost") == 0 and result.get("duplicates") == 0 and (result.get("max_messages_in_1s") or 99) <= 28 and result.get("reindex_all_three_s") is not None
    result["ok"] = ok
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
