"""Console test fixtures: a built project of their own for each test module that only reads,
and a fresh one for each test that changes files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console_support import ConsoleProject, make_project


@pytest.fixture(scope="module")
def shared(shipped_config: Path, shipped_service, tmp_path_factory: pytest.TempPathFactory) -> ConsoleProject:
    """One project for the tests of a module that only read."""
    return make_project(shipped_config, shipped_service, tmp_path_factory.mktemp("console"))


@pytest.fixture
def project(shipped_config: Path, shipped_service, tmp_path: Path) -> ConsoleProject:
    """A private project for a test that changes files."""
    return make_project(shipped_config, shipped_service, tmp_path)
