"""Shared pieces of the console tests: a private copy of the built project with a Service
that shares the session's embedder (no second model load), the console app over it, and
HTTP clients logged in through a real one-time link."""

from __future__ import annotations

import dataclasses
import random
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.answering.evaluate import labelled_texts
from bot.config import Config, StorageSettings, load_config
from bot.console.app import build_console
from bot.index.store import load_index
from bot.service import Service
from bot.storage.store import Store
from tests.telegram_support import ADMIN, REPO, STAFF, copy_project

SALT = "console-test-salt"
PARENT_ID = 1001


def console_config(config_path: Path, tmp: Path, **console: object) -> Config:
    """The project's config with the Telegram tests' admin and staff, storage in `tmp`."""
    config = load_config(config_path, env={})
    telegram = dataclasses.replace(config.telegram, admin_ids=frozenset({ADMIN["id"]}), staff_ids=frozenset({STAFF["id"]}))
    settings = dataclasses.replace(config.console, **console)
    return dataclasses.replace(config, telegram=telegram, console=settings, storage=StorageSettings(path=tmp / "var" / "bot.sqlite3"))


def private_service(config: Config, shared: Service) -> Service:
    """A Service over `config`'s own index, reusing the shared embedder and calibration."""
    return Service(config, load_index(config.index), shared.embedder, shared.calibration)


@dataclass
class ConsoleProject:
    config: Config
    service: Service
    store: Store
    app: Starlette

    @property
    def console(self):  # noqa: ANN201 - bot.console.app.Console
        return self.app.state.console

    def client(self, user_id: int | None = ADMIN["id"], *, base_url: str = "http://testserver") -> TestClient:
        """An HTTP client, logged in as `user_id` through a minted link (None: not logged in)."""
        client = TestClient(self.app, base_url=base_url, follow_redirects=False)
        if user_id is not None:
            token = self.console.logins.mint_link(user_id, "管理员" if user_id == ADMIN["id"] else "李老师")
            response = client.post("/login", data={"token": token})
            assert response.status_code == 303, response.text
        return client


def make_project(shipped_config: Path, shared: Service, tmp: Path, **console: object) -> ConsoleProject:
    project = copy_project(shipped_config, tmp / "project")
    config = console_config(project, tmp, **console)
    service = private_service(config, shared)
    store = Store.from_settings(config.storage, salt=SALT)
    return ConsoleProject(config, service, store, build_console(config, service, store))


DISTRICTS = ("", "涪陵", "云阳", "泸州", "通州", "我们这里")
ENDINGS = ("", "?", "啊", "呢", "谢谢", "急", "。请问一下")


def labelled_questions() -> list[str]:
    """Every question of the labelled sets: single questions, and each turn of the conversations."""
    return labelled_texts(REPO / "tests" / "data", turns=True)


def log_questions(store: Store, count: int, *, days: int = 30, seed: int = 7) -> None:
    """`count` parents' questions over the last `days` days, as the bot logs them: the
    labelled questions with district names and endings, a quarter refused, some voted on."""
    rng = random.Random(seed)
    asked = labelled_questions()
    now, clock = time.time(), store.clock
    try:
        for n in range(count):
            when = now - rng.random() ** 1.5 * days * 86400
            store.clock = lambda when=when: when
            refused, tentative = rng.random() < 0.25, rng.random() < 0.1
            question = rng.choice(DISTRICTS) + rng.choice(asked) + rng.choice(ENDINGS)
            store.log_question(10_000 + rng.randrange(3000), question, kind="private", abstained=refused, confidence=rng.random() * (0.5 if refused else 1), answer_id=f"seed{n}", tentative=tentative and not refused)
            if rng.random() < 0.08:
                store.record_vote(f"seed{n}", 10_000 + rng.randrange(3000), rng.choice((1, -1)))
    finally:
        store.clock = clock


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


__all__ = ["ADMIN", "STAFF", "PARENT_ID", "ConsoleProject", "console_config", "csrf_of", "free_port", "log_questions", "make_project", "private_service"]
