"""The index across machines that share nothing but PostgreSQL (`[storage] url`).

* One rebuild at a time on all machines: an advisory lock (`SessionLock`), whether the
  rebuild comes from `python -m bot index build`, /reindex or the console
  (`Service.rebuild`). A second one is refused with BuildBusyError.
* Before building, the corpus is synchronised with the shared one (`sync_corpus`): files
  an admin added, changed or removed here since the last sync are pushed, and what other
  machines pushed is pulled (a three-way comparison against `index/.corpus-sync.json`, the
  state last agreed). So a report added on any machine reaches every build.
* The finished build folder is published in the database with the corpus it was built
  from, and a NOTIFY tells the other instances (`Follower`), which fetch it into their own
  `index/builds/`, verify it like any build, pull the corpus and switch without a restart.
  NOTIFY is only a speed-up: the follower also looks every `poll_published_seconds`, and
  reconnects (and looks) after the database restarts.
* An instance starting without a local index fetches the published one (`ensure_current`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot import metrics
from bot.config import Config
from bot.errors import BuildBusyError, BuildError, IndexCorruptError, StorageError
from bot.index.build import BuildReport, build_index, prune_builds
from bot.index.embedder import Embedder
from bot.index.store import BUILDS, PARTIAL, file_sha256, fsync_dir, load_build, read_current, read_manifest, set_current
from bot.storage import published as shared
from bot.storage.db import PostgresDatabase
from bot.storage.locks import INDEX_BUILD, SessionLock

log = logging.getLogger(__name__)

SYNC_STATE = ".corpus-sync.json"  # in the index folder: the corpus as last agreed with the database


@dataclass(frozen=True)
class SyncReport:
    pushed: tuple[str, ...] = ()
    pulled: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


class IndexCluster:
    def __init__(self, config: Config, db: PostgresDatabase, *, host: str | None = None) -> None:
        self.config = config
        self.db = db
        self.host = host or socket.gethostname()
        self.corpus_dir = config.corpus.dir
        self.index_dir = config.index.dir
        self._fetch_lock = threading.RLock()

    # -- building ------------------------------------------------------------------------

    @contextlib.contextmanager
    def build_lock(self) -> Iterator[None]:
        lock = SessionLock(self.db, INDEX_BUILD)
        if not lock.try_acquire():
            raise BuildBusyError("another machine is rebuilding the index.", hint="Wait for it to finish: every instance switches to its build.")
        try:
            yield
        finally:
            lock.release()

    def rebuild(self, *, embedder: Embedder | None = None, progress: bool | Callable[[int, int], None] = False) -> BuildReport:
        """Lock, synchronise the corpus, build, publish. Raises BuildBusyError when another machine builds."""
        with self.build_lock(), self._fetch_lock:  # the follower waits: it must not switch back meanwhile
            synced = self.sync_corpus()
            if synced.pulled or synced.pushed or synced.removed:
                log.info("corpus synchronised: %d pushed, %d pulled, %d removed", len(synced.pushed), len(synced.pulled), len(synced.removed))
            report = build_index(self.config, embedder=embedder, progress=progress)
            metrics.BUILD_SECONDS.observe(report.seconds)
            self.publish(report.path)
        return report

    def publish(self, folder: Path) -> None:
        """Store a finished build folder (and the corpus it was built from) and announce it."""
        manifest = read_manifest(folder)
        files = [(p.relative_to(folder).as_posix(), p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()]
        corpus = json.dumps(self._local_corpus(), ensure_ascii=False, sort_keys=True)
        build = shared.PublishedBuild(manifest["build_id"], manifest["embedder"], time.time(), self.host, corpus, sum(len(d) for _, d in files))
        shared.publish_build(self.db, build, files)
        log.info("published index build %s (%d files, %.1f MB)", build.build_id, len(files), build.bytes / 1e6)

    def publish_if_none(self) -> None:
        """The first instance with a local index and nothing published yet shares its build."""
        current = read_current(self.index_dir)
        if current is None or shared.latest_build(self.db) is not None:
            return
        with contextlib.suppress(BuildBusyError), self.build_lock():
            if shared.latest_build(self.db) is None:
                self.sync_corpus()
                self.publish(self.index_dir / BUILDS / current)

    # -- the corpus ----------------------------------------------------------------------

    def _local_corpus(self) -> dict[str, str]:
        root = self.corpus_dir
        if not root.is_dir():
            return {}
        files = {}
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                files[rel.as_posix()] = file_sha256(path)
        return files

    def _base(self) -> dict[str, str]:
        try:
            return json.loads((self.index_dir / SYNC_STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _save_base(self, state: dict[str, str]) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.index_dir / f"{SYNC_STATE}.tmp"
        tmp.write_text(json.dumps(state, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.index_dir / SYNC_STATE)

    def push_files(self, paths: list[Path]) -> None:
        """Share files just saved here (an uploaded report, an approved FAQ entry) at once."""
        base = self._base()
        for path in paths:
            rel = path.resolve().relative_to(self.corpus_dir.resolve()).as_posix()
            sha = file_sha256(path)
            shared.put_corpus_file(self.db, rel, sha, path.read_bytes(), self.host)
            base[rel] = sha
        self._save_base(base)

    def sync_corpus(self, *, push: bool = True) -> SyncReport:
        """Push local changes since the last sync (when `push`), then pull the others'."""
        base, local = self._base(), self._local_corpus()
        remote = shared.shared_corpus(self.db)
        pushed, pulled, removed = [], [], []
        if push:
            for rel, sha in local.items():
                if sha != base.get(rel) and not (rel in remote and not remote[rel].deleted and remote[rel].sha256 == sha):
                    shared.put_corpus_file(self.db, rel, sha, (self.corpus_dir / rel).read_bytes(), self.host)
                    pushed.append(rel)
            for rel, sha in base.items():
                if rel not in local and rel in remote and not remote[rel].deleted and shared.delete_corpus_file(self.db, rel, sha, self.host):
                    pushed.append(rel)
            remote = shared.shared_corpus(self.db)
        changed_here = {rel for rel, sha in local.items() if sha != base.get(rel)} if not push else set()
        for rel, entry in remote.items():
            target = _inside(self.corpus_dir, rel)
            if target is None or rel in changed_here:
                continue
            if entry.deleted:
                if rel in local and local[rel] == base.get(rel):
                    target.unlink(missing_ok=True)
                    removed.append(rel)
                continue
            if local.get(rel) != entry.sha256:
                data = shared.corpus_file(self.db, rel, entry.sha256)
                if data is not None:
                    _write_atomic(target, data)
                    pulled.append(rel)
        agreed = {rel: sha for rel, sha in self._local_corpus().items() if rel not in changed_here}
        agreed.update({rel: base[rel] for rel in changed_here if rel in base})  # still to be pushed by a rebuild here
        self._save_base(agreed)
        return SyncReport(tuple(pushed), tuple(pulled), tuple(removed))

    # -- following -----------------------------------------------------------------------

    def ensure_current(self, embedder_id: str) -> str | None:
        """Make the newest published build (for this embedder) the local current one; its id."""
        latest = shared.latest_build(self.db)
        if latest is None:
            return None
        if latest.embedder != embedder_id:
            log.warning("the published build %s was made with %s, this instance uses %s; not switching", latest.build_id, latest.embedder, embedder_id)
            return None
        with self._fetch_lock:
            if read_current(self.index_dir) != latest.build_id:
                self._fetch(latest.build_id)
        return latest.build_id

    def fetch(self, build_id: str) -> Path:
        """Download a published build into builds/<id>/, verify it, pull the corpus, make it current."""
        with self._fetch_lock:
            return self._fetch(build_id)

    def _fetch(self, build_id: str) -> Path:
        builds = self.index_dir / BUILDS
        folder = builds / build_id
        if not folder.is_dir():
            partial = builds / f"{build_id}{PARTIAL}"
            shutil.rmtree(partial, ignore_errors=True)
            try:
                for rel, data in shared.build_files(self.db, build_id):
                    target = _inside(partial, rel)
                    if target is None:
                        raise IndexCorruptError(str(partial), f"the published build names a file outside its folder: {rel!r}")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                load_build(partial)  # every file against the manifest's sha256, before it can serve
                os.rename(partial, folder)
                fsync_dir(builds)
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)
                raise
        self.sync_corpus(push=False)
        set_current(self.index_dir, build_id)
        prune_builds(self.index_dir, self.config.index.keep_previous)
        log.info("switched to the published index build %s", build_id)
        return folder


class Follower(threading.Thread):
    """LISTENs for published builds (and looks every `poll_seconds` anyway); calls `switch(build_id)`."""

    def __init__(self, cluster: IndexCluster, check: Callable[[], None], poll_seconds: float) -> None:
        super().__init__(name="index-follower", daemon=True)
        self.cluster = cluster
        self.check = check
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        delay = 1.0
        while not self._stop.is_set():
            conn = None
            try:
                conn = self.cluster.db.connect()
                conn.execute("LISTEN shuangjian_index")
                self._safe_check()  # whatever was published while we were not listening
                delay = 1.0
                while not self._stop.is_set():
                    for _ in conn.notifies(timeout=self.poll_seconds, stop_after=1):
                        pass
                    self._safe_check()
            except Exception as exc:  # noqa: BLE001 - a broken connection: reconnect and look again
                if not self._stop.is_set():
                    log.warning("lost the database connection that listens for new index builds (%s); reconnecting in %.0f s", exc, delay)
                    self._stop.wait(delay)
                    delay = min(30.0, delay * 2)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()

    def _safe_check(self) -> None:
        try:
            self.check()
        except (StorageError, BuildError, IndexCorruptError, OSError) as exc:
            log.error("could not switch to the published index build: %s; the current one keeps serving", exc)


def _inside(root: Path, rel: str) -> Path | None:
    target = (root / rel).resolve()
    return target if target.is_relative_to(root.resolve()) and not any(p.startswith(".") for p in Path(rel).parts) else None


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.sync.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
