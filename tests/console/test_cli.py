"""`python -m bot console`: serves the console and prints a working login link for the first admin."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.console_support import free_port
from tests.helpers_index import REPO
from tests.telegram_support import copy_project


def run_console(config: Path, *args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "--config", str(config), *args],
        cwd=REPO, env={**os.environ, "BOT_LOG_SALT": "cli-test-salt", **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_console_prints_a_link_for_the_first_admin_and_serves_it(shipped_config: Path, tmp_path: Path) -> None:
    config = copy_project(shipped_config, tmp_path / "project")
    port = free_port()
    process = run_console(config, "--port", str(port), env={"BOT_ADMIN_IDS": "300, 200"})
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines[0].startswith(f"web console: http://127.0.0.1:{port}")
        assert lines[1].startswith("login link for user 200, valid 10 minutes, works once:")
        link = lines[2].strip()
        deadline = time.time() + 60
        while True:
            try:
                page = httpx.get(link, timeout=5)
                break
            except httpx.TransportError:
                assert time.time() < deadline and process.poll() is None, process.stderr.read()
                time.sleep(0.2)
        assert page.status_code == 200 and "这个一次性链接属于" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/overview", timeout=5).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err


def test_console_without_an_admin_is_a_user_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "console", "--config", str(REPO / "config.toml")], cwd=REPO,
                            env={k: v for k, v in os.environ.items() if k != "BOT_ADMIN_IDS"}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no admin is configured, so nobody could log in to the console.")
    bad = subprocess.run([sys.executable, "-m", "bot", "console", "--port", "70000"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "port number" in bad.stderr


async def test_run_serves_the_console_beside_the_bot_when_enabled(shipped_config: Path, tmp_path: Path) -> None:
    from tests.fake_bot_api import FakeBotApi
    from tests.telegram.test_run import start_bot, stop_bot, write_config

    port = free_port()
    config = write_config(shipped_config, tmp_path, **{"enabled = false": "enabled = true", "port = 8080": f"port = {port}"})
    api = FakeBotApi()
    await api.start()
    process = None
    try:
        process, log_file = await start_bot(config, api, tmp_path)
        api.push_message("/console", user={"id": 42, "is_bot": False, "first_name": "管理员"})
        sent = await api.wait_for("sendMessage", lambda c: "一次性登录链接" in c["text"], timeout=120)
        link = sent["text"].split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        assert link.startswith(f"http://127.0.0.1:{port}/login?token=")
        async with httpx.AsyncClient() as client:
            token = link.split("token=", 1)[1]
            login = await client.post(f"http://127.0.0.1:{port}/login", data={"token": token})
            assert login.status_code == 303
            overview = await client.get(f"http://127.0.0.1:{port}/overview")
            assert overview.status_code == 200 and "正在服务的索引" in overview.text  # the bot's own service and store
        assert await stop_bot(process) == 0
        assert "web console on" in log_file.read_text(encoding="utf-8")
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await api.stop()
