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
