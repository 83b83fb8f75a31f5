"""bot.cluster: two machines that share nothing but a PostgreSQL schema. The first shares its
build; the second starts without an index and fetches it; a report added on one machine
reaches the other with the next rebuild (pushed, built, published, followed by NOTIFY); a
removed report goes too; one rebuild at a time; `python -m bot index build` publishes."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.cluster import IndexCluster
from bot.config import load_config
from bot.errors import BuildBusyError
from bot.index.store import BUILDS, CURRENT, read_current
from bot.service import Service
from bot.storage import published
from bot.storage.store import Store
from tests.telegram_support import copy_project

NEW_REPORT = "测试县关于课后服务的通知.txt"
NEW_TEXT = "测试县教育局通知:测试县课后服务每生每学期收费三百八十元,家长自愿参加,困难家庭免收。\n"


def machine(shipped_config: Path, root: Path, url: str, *, with_index: bool = True):
    """A project copy on its own 'machine', its config pointing at the shared database."""
    config_path = copy_project(shipped_config, root)
    if not with_index:  # a fresh machine: the corpus but no build (the embedding cache kept, for speed)
        shutil.rmtree(root / "index" / BUILDS)
        (root / "index" / CURRENT).unlink()
    config = load_config(config_path, env={"DATABASE_URL": url})
    store = Store.from_settings(config.storage, salt="s")
    return config, store, IndexCluster(config, store.db, host=root.name)


def test_a_second_machine_fetches_the_first_ones_build_and_follows_its_rebuilds(shipped_config: Path, tmp_path: Path, postgres_url: str) -> None:
    config_a, store_a, cluster_a = machine(shipped_config, tmp_path / "a", postgres_url)
    service_a = Service.from_config(config_a, build_if_missing=False, cluster=cluster_a)
    first = service_a.pipeline.index.build_id
    assert published.latest_build(store_a.db).build_id == first  # the first machine shared what it had

    config_b, store_b, cluster_b = machine(shipped_config, tmp_path / "b", postgres_url, with_index=False)
    service_b = Service.from_config(config_b, build_if_missing=False, cluster=cluster_b)  # would raise if it had to build
    assert service_b.pipeline.index.build_id == first
    assert service_b.ask("课后服务怎么收费?").text == service_a.ask("课后服务怎么收费?").text

    # An admin adds a report on machine b and rebuilds there; machine a follows (NOTIFY).
    service_a.config = dataclasses.replace(service_a.config, index=dataclasses.replace(service_a.config.index, poll_published_seconds=60))
    service_a.follow()
    try:
        (config_b.corpus.dir / NEW_REPORT).write_text(NEW_TEXT, encoding="utf-8")
        report = service_b.rebuild()
        assert report.embedded >= 1 and report.build_id != first
        deadline = time.monotonic() + 30
        while service_a.pipeline.index.build_id != report.build_id:
            assert time.monotonic() < deadline, "machine a did not switch to the new build"
            time.sleep(0.1)
    finally:
        service_a.stop_following()
    assert (config_a.corpus.dir / NEW_REPORT).read_text(encoding="utf-8") == NEW_TEXT  # the corpus came along
    assert "三百八十元" in service_a.ask("测试县课后服务一学期收多少钱").text
    assert read_current(config_a.index.dir) == report.build_id

    # The report is removed on machine a: the next rebuild there drops it everywhere.
    (config_a.corpus.dir / NEW_REPORT).unlink()
    service_a.rebuild()
    assert cluster_b.ensure_current(service_b.embedder.model_id) == service_a.pipeline.index.build_id
    assert not (config_b.corpus.dir / NEW_REPORT).exists()
    for store in (store_a, store_b):
        store.close()


def test_one_rebuild_at_a_time_across_machines(shipped_config: Path, tmp_path: Path, postgres_url: str) -> None:
    config_a, store_a, cluster_a = machine(shipped_config, tmp_path / "a", postgres_url)
    config_b, store_b, cluster_b = machine(shipped_config, tmp_path / "b", postgres_url)
    with cluster_a.build_lock():
        with pytest.raises(BuildBusyError, match="another machine"):
            cluster_b.rebuild()
    assert cluster_b.rebuild().build_id  # free again
    store_a.close()
    store_b.close()


def test_uploads_and_faq_approvals_are_shared_at_once(shipped_config: Path, tmp_path: Path, postgres_url: str) -> None:
    config_a, store_a, cluster_a = machine(shipped_config, tmp_path / "a", postgres_url)
    config_b, store_b, cluster_b = machine(shipped_config, tmp_path / "b", postgres_url)
    cluster_a.sync_corpus()
    cluster_b.sync_corpus()
    saved = config_a.corpus.dir / NEW_REPORT
    saved.write_text(NEW_TEXT, encoding="utf-8")
    cluster_a.push_files([saved])  # what the upload handler does
    sync = cluster_b.sync_corpus()
    assert sync.pulled == (NEW_REPORT,)
    # A local edit not yet pushed is never overwritten by a pull.
    faq_b = config_b.corpus.faq
    faq_b.write_text(faq_b.read_text(encoding="utf-8") + "\n# 本机修改\n", encoding="utf-8")
    assert cluster_b.sync_corpus(push=False).pulled == ()
    assert "本机修改" in faq_b.read_text(encoding="utf-8")
    assert cluster_b.sync_corpus().pushed == (faq_b.name,)  # a rebuild there pushes it
    store_a.close()
    store_b.close()


def test_index_build_on_the_command_line_publishes(shipped_config: Path, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config_path = copy_project(shipped_config, tmp_path / "cli")
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    assert main(["index", "build", "--no-progress", "--config", str(config_path)]) == 0
    out = capsys.readouterr().out
    assert "published in the database" in out
    store = Store(postgres_url, salt="s")
    assert published.latest_build(store.db).build_id == read_current(tmp_path / "cli" / "index")
    store.close()
