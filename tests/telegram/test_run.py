"""`python -m bot run`: the token and other secrets, log redaction, and the real process in
polling and webhook mode against the fake Bot API (pending updates, SIGTERM)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.config import load_config
from bot.errors import ConfigError
from bot.telegram.app import api_urls, read_secrets
from bot.telegram.guard import REDACTED, RedactingFilter, install_redaction
from tests.fake_bot_api import PARENT, TOKEN, FakeBotApi
from tests.telegram_support import REPO

WEBHOOK_SECRET = "s3cret-token_for-tests"


def test_without_a_token_run_exits_2_and_points_to_chat(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["run", "--config", str(REPO / "config.toml")]) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN is not set" in err and "python -m bot chat" in err and "@BotFather" in err


def test_a_malformed_token_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token-but-secret")
    assert main(["run", "--config", str(REPO / "config.toml")]) == 2
    err = capsys.readouterr().err
    assert "does not look like a bot token" in err and "not-a-token-but-secret" not in err


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    config = load_config(REPO / "config.toml", env={})
    secrets = read_secrets(config, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081"})
    assert (secrets.token, secrets.base_url, secrets.webhook_secret) == (TOKEN, "http://127.0.0.1:8081", None)
    assert api_urls("http://127.0.0.1:8081/") == ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")
    assert api_urls("https://api.example.org/bot")[0] == "https://api.example.org/bot"
    with pytest.raises(ConfigError, match="http"):
        read_secrets(config, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "localhost:8081"})
    webhook = webhook_config(REPO / "config.toml", tmp_path, 8443)
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        read_secrets(load_config(webhook, env={}), {"TELEGRAM_BOT_TOKEN": TOKEN})


def test_the_log_filter_redacts_the_token_in_every_form() -> None:
    redactor = RedactingFilter([TOKEN, ""])
    logger = logging.getLogger("test.redaction")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    logger.addHandler(handler)
    install_redaction([TOKEN], logger)
    try:
        logger.warning("url %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
        logger.warning("quoted https://x/bot%s", TOKEN.replace(":", "%3A"))
        logger.warning("PTB lower-cases API errors: %s", TOKEN.lower())
        try:
            raise RuntimeError(f"failed for {TOKEN}")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert TOKEN not in text and TOKEN.lower() not in text and TOKEN.split(":")[1] not in text
    assert text.count(REDACTED) == 4  # url, url-quoted, lower-case, exception message
    assert redactor.redact("nothing secret") == "nothing secret"


def write_config(project: Path, tmp_path: Path, **replace: str) -> Path:
    """A config in tmp_path over the built project's corpus and index, with storage in tmp_path."""
    text = project.read_text(encoding="utf-8")
    for key, folder in (("corpus", project.parent / "corpus"), ("index", project.parent / "index"), ("var/bot.sqlite3", tmp_path / "var" / "bot.sqlite3")):
        setting = "path" if key.startswith("var") else "dir"
        text = text.replace(f'{setting} = "{key}"', f'{setting} = "{folder}"')
    for old, new in replace.items():
        text = text.replace(old, new, 1)  # the first occurrence: [telegram.webhook] url comes before [storage] url
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def webhook_config(project: Path, tmp_path: Path, port: int) -> Path:
    return write_config(
        project,
        tmp_path,
        **{'mode = "polling"': 'mode = "webhook"', "port = 8443": f"port = {port}", 'url = ""': 'url = "https://bot.example.org/tg/hook"'},
    )


async def start_bot(config: Path, api: FakeBotApi, tmp_path: Path, **env: str) -> tuple[asyncio.subprocess.Process, Path]:
    log_file = tmp_path / "stderr.log"
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.root,
        "BOT_ADMIN_IDS": "42",
        **env,
    }
    with log_file.open("wb") as err:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", "--config", str(config), cwd=tmp_path, env=environment, stdout=err, stderr=err)
    return process, log_file


async def stop_bot(process: asyncio.subprocess.Process) -> int:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), 60)


async def test_run_polls_answers_updates_sent_while_down_and_stops_on_sigterm(shipped_config: Path, tmp_path: Path) -> None:
    api = FakeBotApi()
    await api.start()
    process = None
    try:
        api.push_message("/start")  # arrived while the bot was down
        api.push_message("课后服务怎么收费?")
        api.inject("sendMessage", status=400, description=f"Bad Request: chat not found at /bot{TOKEN}/sendMessage")
        process, log_file = await start_bot(write_config(shipped_config, tmp_path), api, tmp_path)
        await api.wait_for("sendMessage", lambda c: c["text"].startswith("<b>答:</b>"), timeout=120)
        assert api.find("deleteWebhook")[0].get("drop_pending_updates") in (None, False)
        api.push_message("课後服務怎麼收費?")
        reply = await api.wait_for("sendMessage", lambda c: "相關摘錄" in c["text"], timeout=60)
        assert reply["chat_id"] == PARENT["id"]
        assert await stop_bot(process) == 0
        log = log_file.read_text(encoding="utf-8")
        assert "error while handling an update" in log and REDACTED in log  # the injected failure
        assert TOKEN.split(":")[1].lower() not in log.lower()
        salt = tmp_path / "var" / "bot.sqlite3.salt"
        assert salt.exists() and (salt.stat().st_mode & 0o777) == 0o600
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await api.stop()


async def test_run_serves_a_webhook_with_its_secret_token(shipped_config: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = FakeBotApi()
    await api.start()
    process = None
    try:
        process, log_file = await start_bot(webhook_config(shipped_config, tmp_path, port), api, tmp_path, TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
        hook = await api.wait_for("setWebhook", timeout=120)
        assert hook["url"] == "https://bot.example.org/tg/hook" and hook["secret_token"] == WEBHOOK_SECRET
        update = {"update_id": 900, "message": api.message("课后服务怎么收费?")}
        url = f"http://127.0.0.1:{port}/tg/hook"
        async with aiohttp.ClientSession() as session:
            status = await post_when_listening(session, url, update, "wrong-secret")
            assert status == 403
            assert await post_when_listening(session, url, update, WEBHOOK_SECRET) == 200
        await api.wait_for("sendMessage", lambda c: c["text"].startswith("<b>答:</b>"), timeout=60)
        assert len(api.find("sendMessage")) == 1  # the update with the wrong secret was dropped
        assert await stop_bot(process) == 0
        assert WEBHOOK_SECRET not in log_file.read_text(encoding="utf-8")
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await api.stop()


async def post_when_listening(session: aiohttp.ClientSession, url: str, update: dict, secret: str) -> int:
    """POST the update, retrying only while the webhook server is not listening yet."""
    deadline = time.monotonic() + 60
    while True:
        try:
            async with session.post(url, data=json.dumps(update), headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}) as response:
                return response.status
        except aiohttp.ClientConnectionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def test_an_unreachable_database_stops_run_with_its_name_but_not_its_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.telegram.app import database_secrets
    from tests.pg_server import free_port

    url = f"postgresql://bot:pa55-word-secret@127.0.0.1:{free_port()}/shuangjian"
    assert database_secrets(url) == [url, "pa55-word-secret"] and database_secrets("") == []
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["run", "--config", str(write_config(REPO / "config.toml", tmp_path))]) == 1
    err = capsys.readouterr().err
    assert "cannot connect to the database postgresql://bot@127.0.0.1" in err and "shared database" in err
    assert "pa55-word-secret" not in err
