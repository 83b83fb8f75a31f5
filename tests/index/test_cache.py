"""The SQLite embedding cache: hits and misses, model isolation, kills and corrupt files."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.errors import UsageError
from bot.index.cache import EmbeddingCache, cache_key
from tests.helpers_index import REPO, subprocess_env


def _vectors(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)).astype(np.float32)


def test_miss_then_hit_and_model_isolation(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache" / "e.sqlite3")
    texts = ["课后服务", "校外培训", "作业公示"]
    assert cache.get_many("m1", texts) == {}
    vectors = _vectors(3)
    cache.put_many("m1", texts[:2], vectors[:2])
    found = cache.get_many("m1", texts)
    assert set(found) == {"课后服务", "校外培训"}
    np.testing.assert_array_equal(found["校外培训"], vectors[1])
    assert found["课后服务"].dtype == np.float32
    assert cache.get_many("m2", texts) == {}  # another model never sees m1's vectors
    assert len(cache) == 2


def test_persists_across_reopen_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    with EmbeddingCache(path) as cache:
        cache.put_many("m", ["a"], _vectors(1, seed=1))
        cache.put_many("m", ["a"], _vectors(1, seed=2))  # the newer vector wins
    with EmbeddingCache(path) as cache:
        np.testing.assert_array_equal(cache.get_many("m", ["a"])["a"], _vectors(1, seed=2)[0])
        assert len(cache) == 1


def test_key_separates_model_and_text() -> None:
    assert cache_key("m", "ab") != cache_key("ma", "b")
    assert cache_key("m", "ab") == cache_key("m", "ab")


def test_put_many_checks_shapes(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "e.sqlite3")
    with pytest.raises(UsageError, match="one vector per text"):
        cache.put_many("m", ["a", "b"], _vectors(3))
    with pytest.raises(UsageError, match="one vector per text"):
        cache.put_many("m", ["a"], np.zeros(8, np.float32))


def test_many_texts_in_chunks(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "e.sqlite3")
    texts = [f"passage {i}" for i in range(1234)]
    cache.put_many("m", texts, _vectors(1234))
    assert len(cache.get_many("m", texts + ["unseen"])) == 1234


def test_corrupt_file_is_moved_aside_and_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "e.sqlite3"
    path.write_bytes(b"this is not a database" * 200)
    with caplog.at_level(logging.WARNING, logger="bot.index.cache"):
        cache = EmbeddingCache(path)
    assert any("damaged" in r.getMessage() for r in caplog.records)
    moved = list(tmp_path.glob("e.sqlite3.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"this is not a database")
    cache.put_many("m", ["a"], _vectors(1))
    assert set(cache.get_many("m", ["a"])) == {"a"}


def test_damage_while_open_is_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "e.sqlite3"
    cache = EmbeddingCache(path)
    cache.put_many("m", [f"t{i}" for i in range(200)], _vectors(200, dim=64))
    cache.close()
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xff" * (len(data) - 4096)  # keep the header page, destroy the rest
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="bot.index.cache"):
        cache = EmbeddingCache(path)
        found = cache.get_many("m", ["t1"])
    assert found == {}
    assert list(tmp_path.glob("e.sqlite3.corrupt-*"))
    cache.put_many("m", ["t1"], _vectors(1, dim=64))
    assert set(cache.get_many("m", ["t1"])) == {"t1"}


def test_killed_writer_keeps_committed_rows(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    script = f"""
import os, signal, numpy as np
from bot.index.cache import EmbeddingCache
cache = EmbeddingCache({str(path)!r})
cache.put_many("m", ["committed"], np.ones((1, 4), np.float32))
conn = cache._conn
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO embeddings VALUES (?, 4, ?)", (b"k" * 32, np.ones(4, np.float32).tobytes()))
os.kill(os.getpid(), signal.SIGKILL)
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=subprocess_env(), capture_output=True, timeout=60)
    assert result.returncode == -9
    with EmbeddingCache(path) as cache:
        assert set(cache.get_many("m", ["committed", "other"])) == {"committed"}
        assert len(cache) == 1  # the uncommitted row is gone, the file is intact
    assert not list(tmp_path.glob("e.sqlite3.corrupt-*"))
