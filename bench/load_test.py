"""Load test: a burst of parents' questions against the real bot, over loopback.

    python bench/load_test.py [--parents 200] [--per-parent 2] [--spread 1.0] [--faults] [--json]

Starts the fake Bot API server from tests/fake_bot_api.py in this process and the real
bot (`python -m bot run`: the real Application, its rate limiter and its poller) as a
child process pointed at it with TELEGRAM_API_BASE_URL, on a private copy of
config.toml, corpus/ and index/ (the database goes to the copy as well). After one
warm-up question, `--parents` parents each send `--per-parent` questions at random
moments within `--spread` seconds: realistic questions from tests/data/*.jsonl, a third
of the parents writing in Traditional characters.

Reports, from the fake server's records: every question answered or not; p50/p95/max
time from the update being queued to the reply arriving; answers per second; and the
most messages the bot sent in any 1-second window (Telegram allows about 30 a second
in total). `--faults` also makes Telegram answer some replies with 429 (retry_after),
502 and too slowly (client timeouts): every question must still be answered.

Exit status 0 when every question was answered, p95 <= --p95-target seconds and no
1-second window held more than 30 messages; 1 otherwise.
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

from bot.answering.evaluate import labelled_texts  # noqa: E402
from bot.text import to_script  # noqa: E402
from tests.fake_bot_api import TOKEN, Call, FakeBotApi  # noqa: E402

TELEGRAM_LIMIT = 30  # messages per second, all chats together
CHAT_METHODS = ("sendMessage", "sendChatAction", "editMessageText", "editMessageReplyMarkup")


def load_questions() -> list[str]:
    return labelled_texts(ROOT / "tests" / "data")


def project_copy(dest: Path, config: Path) -> Path:
    """config.toml, corpus/ and index/ copied into `dest` (the bot writes only there)."""
    shutil.copy(config, dest / "config.toml")
    for folder in ("corpus", "index"):
        if (config.parent / folder).is_dir():
            shutil.copytree(config.parent / folder, dest / folder)
    return dest / "config.toml"


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any half-open interval [t, t + window)."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def run(args: argparse.Namespace) -> dict:
    rng = random.Random(args.seed)
    pool = load_questions()
    api = FakeBotApi()
    await api.start()
    workdir = Path(tempfile.mkdtemp(prefix="load-test-"))
    config = project_copy(workdir, Path(args.config).resolve())
    log_path = workdir / "bot.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.root, "BOT_LOG_SALT": "load-test-salt"}
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", "--config", str(config), cwd=workdir, env=env, stdout=log_file, stderr=log_file)
    try:
        started = time.monotonic()
        await api.wait_for("deleteWebhook", timeout=600)  # the poller starts right after
        startup = time.monotonic() - started
        warm = {"id": 999, "is_bot": False, "first_name": "warm-up", "language_code": "zh-hans"}
        api.push_message("课后服务怎么收费?", user=warm)
        await api.wait_for("sendMessage", lambda c: c["chat_id"] == warm["id"], timeout=120)
        first_call = len(api.calls)

        # The burst: every question gets a random moment within the spread.
        plan = []
        for n in range(args.parents):
            traditional = n % 3 == 2
            user = {"id": 10_000 + n, "is_bot": False, "first_name": f"家长{n}", "language_code": "zh-hant" if traditional else "zh-hans"}
            for question in rng.sample(pool, args.per_parent):
                plan.append((rng.uniform(0, args.spread), user, to_script(question, "traditional") if traditional else question))
        plan.sort(key=lambda item: item[0])
        if args.faults:
            api.inject("sendMessage", status=429, retry_after=1, times=2)
            api.inject("sendMessage", status=502, times=5)
            api.inject("sendMessage", status=200, delay=6, times=3)  # the client times out (5 s) and retries
        asked: dict[tuple[int, int], float] = {}  # (chat id, message id) -> when the update was queued
        t0 = time.monotonic()
        for at, user, question in plan:
            delay = t0 + at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            message = api.message(question, user=user)
            api.push({"message": message})
            asked[(user["id"], message["message_id"])] = time.monotonic()
        pushed = time.monotonic() - t0

        def replies() -> dict[tuple[int, int], Call]:
            """Each question's reply. Private replies do not quote the question, so the
            n-th reply in a chat is paired with the n-th question asked in it."""
            by_chat: dict[int, list[Call]] = {}
            for call in api.find("sendMessage"):
                by_chat.setdefault(call["chat_id"], []).append(call)
            found: dict[tuple[int, int], Call] = {}
            for chat, keys in questions_by_chat.items():
                for key, call in zip(keys, by_chat.get(chat, [])):
                    found[key] = call
            return found

        questions_by_chat: dict[int, list[tuple[int, int]]] = {}
        for key in sorted(asked, key=asked.__getitem__):
            questions_by_chat.setdefault(key[0], []).append(key)
        deadline = time.monotonic() + args.timeout
        while len(replies()) < len(asked) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        answered = replies()
        latencies = [answered[key].at - asked[key] for key in answered]
        burst_calls = api.calls[first_call:]
        sends = [c.at for c in burst_calls if c.method == "sendMessage" and c.fault is None]
        chat_calls = [c.at for c in burst_calls if c.method in CHAT_METHODS and c.fault is None]
        last = max((c.at for c in answered.values()), default=t0)
        texts = [c["text"] for c in answered.values()]
        duplicates = len(sends) - len(answered)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            code = await process.wait()
        await api.stop()
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    result = {
        "parents": args.parents,
        "questions_sent": len(asked),
        "questions_answered": len(answered),
        "lost": len(asked) - len(answered),
        "pushed_within_s": round(pushed, 3),
        "p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 2) if latencies else None,
        "max_s": round(max(latencies), 2) if latencies else None,
        "answers_per_s": round(len(answered) / max(1e-9, last - t0), 1),
        "max_messages_in_1s": max_in_window(sends),
        "max_chat_requests_in_1s": max_in_window(chat_calls),
        "typing_actions_sent": sum(1 for c in burst_calls if c.method == "sendChatAction"),
        "answers": sum(t.startswith(("<b>答:</b>", "<b>答:</b>")) for t in texts),
        "abstentions_or_other": sum(not t.startswith(("<b>答:</b>", "<b>答:</b>")) for t in texts),
        "error_replies": sum("出了点问题" in t or "出了點問題" in t for t in texts),
        "slow_down_replies": sum("提问有点快" in t or "提問有點快" in t for t in texts),
        "duplicate_replies": duplicates,
        "faults_injected": sum(1 for c in burst_calls if c.fault is not None) + (3 if args.faults else 0),
        "bot_errors_logged": log_text.count("error while handling an update"),
        "bot_exit_code": code,
        "startup_s": round(startup, 1),
        "cpus": os.cpu_count(),
    }
    if args.keep:
        result["workdir"] = str(workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.toml"), help="project to copy (its corpus/ and index/ next to it)")
    parser.add_argument("--parents", type=int, default=200)
    parser.add_argument("--per-parent", type=int, default=2)
    parser.add_argument("--spread", type=float, default=1.0, help="seconds over which the questions arrive")
    parser.add_argument("--faults", action="store_true", help="inject 429, 502 and timeouts on replies")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for every answer")
    parser.add_argument("--p95-target", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the working copy (bot.log, database)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    ok = result["lost"] == 0 and result["p95_s"] is not None and result["p95_s"] <= args.p95_target and result["max_messages_in_1s"] <= TELEGRAM_LIMIT
    result["ok"] = ok
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
