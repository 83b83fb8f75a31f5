"""Build history and rollback: list_builds, previous_build, roll_back, Service.rollback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import BuildBusyError, IndexCorruptError, UsageError
from bot.index.build import build_index, build_lock, roll_back
from bot.index.store import BUILDS, MANIFEST, VECTORS, list_builds, previous_build, read_current
from tests.helpers_index import HashEmbedder


def test_history_lists_builds_newest_first_and_rollback_goes_to_the_previous_one(project: Path) -> None:
    config = load_config(project, env={})
    index_dir = config.index.dir
    assert list_builds(index_dir) == [] and previous_build(index_dir) is None
    first = build_index(config, embedder=HashEmbedder(), progress=False).build_id
    with pytest.raises(UsageError, match="no earlier build"):
        roll_back(index_dir)
    second = build_index(config, embedder=HashEmbedder(), progress=False).build_id
    builds = list_builds(index_dir)
    assert [(b.build_id, b.current) for b in builds] == [(second, True), (first, False)]
    assert builds[0].manifest["passages"] > 0 and previous_build(index_dir).build_id == first
    assert roll_back(index_dir) == first and read_current(index_dir) == first
    assert previous_build(index_dir) is None  # the newer build is kept, but it is not "previous"
    third = build_index(config, embedder=HashEmbedder(), progress=False).build_id
    assert {b.build_id for b in list_builds(index_dir)} == {third, second}  # keep_previous = 1: the newest earlier one


def test_a_damaged_previous_build_is_refused_and_current_stays(project: Path) -> None:
    config = load_config(project, env={})
    index_dir = config.index.dir
    first = build_index(config, embedder=HashEmbedder(), progress=False).build_id
    second = build_index(config, embedder=HashEmbedder(), progress=False).build_id
    (index_dir / BUILDS / first / VECTORS).write_bytes(b"damaged")
    with pytest.raises(IndexCorruptError):
        roll_back(index_dir)
    assert read_current(index_dir) == second
    (index_dir / BUILDS / first / MANIFEST).write_text("{", encoding="utf-8")
    assert next(b for b in list_builds(index_dir) if b.build_id == first).problem
    assert previous_build(index_dir) is None


def test_rollback_waits_for_no_build(project: Path) -> None:
    config = load_config(project, env={})
    build_index(config, embedder=HashEmbedder(), progress=False)
    build_index(config, embedder=HashEmbedder(), progress=False)
    with build_lock(config.index.dir), pytest.raises(BuildBusyError):
        roll_back(config.index.dir)
    shutil.rmtree(config.index.dir)
    assert list_builds(config.index.dir) == []


def test_two_builds_within_one_second_keep_their_order(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import bot.index.build as build

    ids = iter(["20261203-155841-ffffff", "20261203-155841-000000"])  # the second's random tail sorts first
    monkeypatch.setattr(build, "new_build_id", lambda: next(ids))
    config = load_config(project, env={})
    first = build_index(config, embedder=HashEmbedder(), progress=False).build_id
    second = build_index(config, embedder=HashEmbedder(), progress=False).build_id
    for build_id in (first, second):  # made within the same second
        path = config.index.dir / BUILDS / build_id / MANIFEST
        manifest = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**manifest, "built_at": "2026-12-03T15:58:41+00:00"}), encoding="utf-8")
    assert [b.build_id for b in list_builds(config.index.dir)] == [second, first]
    assert previous_build(config.index.dir).build_id == first
