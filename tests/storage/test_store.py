"""bot.storage.store on both backends: hashed user ids, votes once, settings, FAQ proposals,
reports, retention, crashes, threads. The tests taking `store_at` run twice, on SQLite and on a
real PostgreSQL (tests/pg_server.py); then each backend's own failures: a locked / unreadable /
read-only SQLite file, and a PostgreSQL server that is unreachable or drops its connections.
None of them raises on the answer path."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.errors import StorageError
from bot.storage import admin
from bot.storage.db import DatabaseError, SqliteDatabase
from bot.storage.migrations import MIGRATIONS, applied_versions, latest, migrate
from bot.storage.store import SALT_ENV, Store, Vote, load_salt

DAY = 86400.0
NOW = 1_800_000_000.0  # a fixed "now" for the reports


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_store(tmp_path: Path, clock: Clock | None = None, **kwargs) -> Store:
    return Store(tmp_path / "var" / "bot.sqlite3", salt="s", clock=clock or Clock(), **kwargs)


@pytest.fixture(params=["sqlite", "postgres"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a store lives: a SQLite file, or a fresh schema on the test PostgreSQL server."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return tmp_path / "var" / "bot.sqlite3"


def open_store(location: str | Path, clock: Clock | None = None, **kwargs) -> Store:
    return Store(location, salt="s", clock=clock or Clock(), **kwargs)


def rows(store: Store, sql: str) -> list[tuple]:
    with store.db.transaction() as cur:
        return [tuple(row) for row in cur.execute(sql).fetchall()]


def test_database_uses_wal_and_creates_its_folder(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    assert store.available
    assert rows(store, "PRAGMA journal_mode") == [("wal",)]


def test_question_log_keeps_a_salted_hash_never_the_user_id(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    assert store.log_question(987654321, "课后服务怎么收费?", kind="private", abstained=False, confidence=0.8, answer_id="abc")
    [(user_hash, question)] = rows(store, "SELECT user_hash, question FROM question_log")
    assert question == "课后服务怎么收费?"
    assert "987654321" not in user_hash and len(user_hash) == 32
    assert user_hash == store.user_hash(987654321)
    assert Store(tmp_path / "other.sqlite3", salt="different").user_hash(987654321) != user_hash
    assert b"987654321" not in store.path.read_bytes() + Path(f"{store.path}-wal").read_bytes()


def test_salt_comes_from_the_environment_or_a_private_file_made_once(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    assert load_salt(db, env={SALT_ENV: "from-env"}) == "from-env"
    first = load_salt(db, env={})
    salt_file = tmp_path / "bot.sqlite3.salt"
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    assert load_salt(db, env={}) == first  # reused, so hashes stay stable across restarts
    assert Store(db).user_hash(1) == Store(db).user_hash(1)


def test_a_vote_counts_once_per_user_and_answer(store_at) -> None:
    store = open_store(store_at)
    assert store.record_vote("a1", 1, 1) is Vote.RECORDED
    assert store.record_vote("a1", 1, -1) is Vote.DUPLICATE  # the first vote stands
    assert store.record_vote("a1", 2, -1) is Vote.RECORDED
    assert store.record_vote("a2", 1, -1) is Vote.RECORDED
    s = admin.stats(store)
    assert (s.up, s.down) == (1, 2)
    with pytest.raises(StorageError):
        store.record_vote("a1", 3, 0)


def test_settings_and_answer_pages_round_trip(store_at) -> None:
    store = open_store(store_at)
    assert store.settings(5).region is None
    assert store.set_region(5, "重庆市涪陵区") and store.set_script(5, "traditional")
    assert (store.settings(5).region, store.settings(5).script) == ("重庆市涪陵区", "traditional")
    assert store.set_region(5, None)
    assert (store.settings(5).region, store.settings(5).script) == (None, "traditional")
    assert store.save_pages("x1", ["<b>一</b>", "二"], "simplified")
    assert store.pages("x1").pages == ("<b>一</b>", "二")
    assert store.pages("missing") is None


def test_sql_is_parameterised(store_at) -> None:
    store = open_store(store_at)
    nasty = "'); DROP TABLE feedback; --"
    store.log_question(1, nasty, kind="private", abstained=True, confidence=0.0)
    store.set_region(1, nasty)
    assert store.settings(1).region == nasty
    assert admin.unanswered(store)[0].question == nasty
    assert store.record_vote(nasty, 1, 1) is Vote.RECORDED


def test_faq_proposals_are_approved_or_rejected_once(store_at) -> None:
    store = open_store(store_at)
    first = admin.propose_faq(store, 77, "李老师", "课后服务几点结束?", "17:30 结束。")
    second = admin.propose_faq(store, 77, "李老师", "作业多吗?", "不多。", "重庆市涪陵区")
    assert [p.id for p in admin.pending_faqs(store)] == [first, second]
    claimed = admin.claim_faq(store, first, 42)
    assert claimed is not None and claimed.question == "课后服务几点结束?"
    assert admin.claim_faq(store, first, 43) is None  # a second admin cannot approve it again
    assert admin.reject_faq(store, first, 43) is None
    assert admin.finish_faq(store, first, approved=True)
    assert admin.reject_faq(store, second, 42).status == "rejected"
    assert admin.pending_faqs(store) == []
    third = admin.propose_faq(store, 77, "李老师", "问", "答")
    admin.claim_faq(store, third, 42)
    admin.finish_faq(store, third, approved=False)  # writing the file failed: back in the queue
    assert [p.id for p in admin.pending_faqs(store)] == [third]


def test_stats_count_today_total_abstentions_and_votes(store_at) -> None:
    clock = Clock(NOW - 3 * DAY)
    store = open_store(store_at, clock)
    store.log_question(1, "旧问题", kind="private", abstained=True, confidence=0.1)
    clock.now = NOW
    store.log_question(1, "问题一", kind="private", abstained=False, confidence=0.9, answer_id="a")
    store.log_question(2, "问题二", kind="group", abstained=True, confidence=0.2)
    store.log_question(3, "问题三", kind="private", abstained=False, confidence=0.4, tentative=True)
    store.record_vote("a", 2, 1)
    admin.propose_faq(store, 77, "李老师", "问", "答")
    s = admin.stats(store)
    assert (s.questions_today, s.questions_total, s.abstained_total, s.users_today, s.tentative_total) == (3, 4, 2, 3, 1)
    assert (s.up, s.down, s.pending_faqs) == (1, 0, 1)
    assert s.abstention_rate == pytest.approx(2 / 4)


def test_unanswered_lists_abstained_and_downvoted_questions_most_frequent_first(store_at) -> None:
    clock = Clock(NOW - 40 * DAY)
    store = open_store(store_at, clock)
    store.log_question(1, "很久以前的问题", kind="private", abstained=True, confidence=0.1)
    clock.now = NOW
    for user in (1, 2, 3):
        store.log_question(user, "托管班收费吗?", kind="private", abstained=True, confidence=0.1)
    store.log_question(4, "託管班收費嗎?", kind="private", abstained=True, confidence=0.1)  # same question, other script
    store.log_question(1, "作业多长时间?", kind="private", abstained=False, confidence=0.9, answer_id="down")
    store.record_vote("down", 1, -1)
    store.record_vote("down", 2, -1)  # two 👎 on one answer still count one question
    store.log_question(1, "答得很好的问题", kind="private", abstained=False, confidence=0.9, answer_id="up")
    store.record_vote("up", 1, 1)
    result = admin.unanswered(store, days=30)
    assert [(r.count, r.abstained, r.down) for r in result] == [(4, 4, 0), (1, 0, 1)]
    assert result[0].question == "託管班收費嗎?"  # the latest wording
    assert result[1].question == "作业多长时间?"


def test_retention_deletes_old_entries_but_keeps_pending_proposals(store_at) -> None:
    clock = Clock(NOW - 200 * DAY)
    store = open_store(store_at, clock, retention_days=180)
    store.log_question(1, "老问题", kind="private", abstained=True, confidence=0.1, answer_id="old")
    store.record_vote("old", 1, -1)
    store.save_pages("old", ["x"], "simplified")
    pending = admin.propose_faq(store, 77, "李老师", "待审", "答")
    admin.reject_faq(store, admin.propose_faq(store, 77, "李老师", "已拒", "答"), 42)
    clock.now = NOW
    store.log_question(1, "新问题", kind="private", abstained=True, confidence=0.1)  # sweeps: last one was long ago
    assert [q for (q,) in rows(store, "SELECT question FROM question_log")] == ["新问题"]
    assert rows(store, "SELECT COUNT(*) FROM feedback") == [(0,)]
    assert store.pages("old") is None
    assert [p.id for p in admin.pending_faqs(store)] == [pending]
    # Opening the store applies retention too.
    store.close()
    reopened = Store(store_at, salt="s", clock=Clock(NOW + 181 * DAY), retention_days=180)
    assert rows(reopened, "SELECT COUNT(*) FROM question_log") == [(0,)]


def test_a_locked_database_is_logged_and_answering_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = make_store(tmp_path, busy_timeout=0.05)
    store.set_region(1, "重庆市涪陵区")
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="bot.storage.store"):
            assert store.log_question(1, "问题", kind="private", abstained=False, confidence=0.5) is False
            assert store.record_vote("a", 1, 1) is Vote.FAILED
            assert store.save_pages("a", ["x"], "simplified") is False
            assert store.settings(1).region == "重庆市涪陵区"  # WAL: readers are not blocked by a writer
        assert "locked" in caplog.text
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.record_vote("a", 1, 1) is Vote.RECORDED


def test_an_unusable_database_file_never_raises_on_the_answer_path(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.ERROR, logger="bot.storage.store"):
        store = Store(path, salt="s")
    assert not store.available
    assert "cannot be written" in caplog.text
    assert store.log_question(1, "问题", kind="private", abstained=False, confidence=0.5) is False
    assert store.record_vote("a", 1, 1) is Vote.FAILED
    assert store.settings(1).region is None and store.pages("a") is None
    assert admin.propose_faq(store, 1, "x", "q", "a") is None
    with pytest.raises(StorageError, match="readable"):
        admin.stats(store)


def test_a_read_only_database_still_serves_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = make_store(tmp_path)
    store.set_region(1, "重庆市涪陵区")
    store.close()
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root may write anyway: refuse the writable open as SQLite would
        real_init = SqliteDatabase.__init__

        def refuse(self: SqliteDatabase, path: Path, **kwargs) -> None:
            if not kwargs.get("read_only"):
                raise DatabaseError("attempt to write a readonly database")
            real_init(self, path, **kwargs)

        monkeypatch.setattr(SqliteDatabase, "__init__", refuse)  # the fallback connection (mode=ro) is real
    else:
        for f in store.path.parent.iterdir():
            f.chmod(0o444)
        store.path.parent.chmod(0o555)
    try:
        again = Store(store.path, salt="s")
        assert again.settings(1).region == "重庆市涪陵区"
        assert again.record_vote("a", 1, 1) is Vote.FAILED
    finally:
        store.path.parent.chmod(0o755)


def test_a_crash_right_after_a_vote_loses_nothing(store_at) -> None:
    db = store_at
    script = (
        "import os, signal\n"
        "from bot.storage.store import Store\n"
        f"s = Store({str(db)!r}, salt='s')\n"
        "s.record_vote('a1', 7, -1)\n"
        "s.set_region(7, '重庆市云阳县')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)}, timeout=60)
    assert done.returncode == -9
    store = Store(db, salt="s")
    assert store.record_vote("a1", 7, -1) is Vote.DUPLICATE
    assert admin.stats(store).down == 1
    assert store.settings(7).region == "重庆市云阳县"


def test_the_store_is_safe_to_share_between_threads(store_at) -> None:
    import concurrent.futures

    store = open_store(store_at)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: store.record_vote(f"a{n % 10}", n, 1), range(200)))
    assert results.count(Vote.RECORDED) == 200
    assert admin.stats(store).up == 200


# -- migrations ------------------------------------------------------------------------------


def test_a_new_database_gets_every_migration_once(store_at) -> None:
    store = open_store(store_at)
    assert applied_versions(store.db) == [v for v, _, _ in MIGRATIONS[store.kind]]
    assert migrate(store.db) == []  # up to date: nothing applied twice
    assert Store(store_at, salt="s").available  # a second instance opens it as it is


def test_a_database_from_before_migrations_is_adopted_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:  # the schema earlier versions created, with a vote in it
        conn.execute("CREATE TABLE feedback (answer_id TEXT NOT NULL, user_hash TEXT NOT NULL, vote INTEGER NOT NULL, ts REAL NOT NULL, PRIMARY KEY (answer_id, user_hash))")
        conn.execute("INSERT INTO feedback VALUES ('a1', 'h', -1, ?)", (NOW,))
    store = Store(path, salt="s", clock=Clock())
    assert applied_versions(store.db) == [v for v, _, _ in MIGRATIONS["sqlite"]]
    assert admin.stats(store).down == 1


def test_a_question_log_from_before_the_tentative_outcome_keeps_its_rows(tmp_path: Path) -> None:
    """Migration 4 adds the tentative column to an existing log: old rows count as not tentative."""
    path = tmp_path / "bot.sqlite3"
    store = Store(path, salt="s", clock=Clock())
    with store.db.transaction() as cur:  # back to schema version 3, one question logged then
        cur.execute("ALTER TABLE question_log DROP COLUMN tentative")
        cur.execute("DELETE FROM schema_migrations WHERE version = 4")
        cur.execute("INSERT INTO question_log (ts, user_hash, kind, question, question_key, abstained, confidence) VALUES (?, 'h', 'private', '旧问题', '旧问题', 0, 0.9)", (NOW,))
    store.db.close()
    reopened = Store(path, salt="s", clock=Clock())
    assert applied_versions(reopened.db)[-1] == 4
    assert rows(reopened, "SELECT question, tentative FROM question_log") == [("旧问题", 0)]
    assert admin.stats(reopened).tentative_total == 0


def test_a_database_newer_than_the_program_is_refused(store_at, caplog: pytest.LogCaptureFixture) -> None:
    store = open_store(store_at)
    with store.db.transaction() as cur:
        cur.execute("INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)", (latest(store.kind) + 1, "future", NOW))
    with pytest.raises(DatabaseError, match="newer than this program"):
        migrate(store.db)


def test_instances_starting_together_apply_each_migration_once(postgres_url: str) -> None:
    import concurrent.futures

    from bot.storage.db import PostgresDatabase

    databases = [PostgresDatabase(postgres_url, max_size=2) for _ in range(4)]
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            applied = list(pool.map(migrate, databases))
        assert sorted(v for versions in applied for v in versions) == [v for v, _, _ in MIGRATIONS["postgres"]]
    finally:
        for db in databases:
            db.close()


# -- PostgreSQL gone ---------------------------------------------------------------------------


def test_an_unreachable_postgresql_at_start_is_a_clear_error() -> None:
    from tests.pg_server import free_port

    url = f"postgresql://bot:secret-password@127.0.0.1:{free_port()}/shuangjian"
    with pytest.raises(DatabaseError) as caught:
        Store(url, salt="s")
    text = str(caught.value)
    assert "cannot connect to the database postgresql://bot@127.0.0.1" in text and "PostgreSQL is running" in text
    assert "secret-password" not in text


def test_postgresql_going_away_and_back_never_raises_on_the_answer_path(postgres_server, postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
    from tests.tcp_proxy import TcpProxy

    with TcpProxy(postgres_server.port) as proxy:
        url = postgres_url.replace(f":{postgres_server.port}/", f":{proxy.port}/")
        store = Store(url, salt="s", clock=Clock(), pool_timeout=0.5)
        store.set_region(1, "重庆市涪陵区")
        proxy.cut()  # the network to the database fails: connections die, new ones are refused
        with caplog.at_level(logging.WARNING, logger="bot.storage.store"):
            assert store.log_question(1, "问题", kind="private", abstained=False, confidence=0.5) is False
            assert store.record_vote("a", 1, 1) is Vote.FAILED
            assert store.settings(1).region is None and store.pages("a") is None
            assert admin.propose_faq(store, 1, "x", "q", "a") is None
            with pytest.raises(StorageError, match="PostgreSQL is running"):
                admin.stats(store)
        assert "could not" in caplog.text
        proxy.resume()  # the database is back: the pool replaces its dead connections (in the background)
        deadline = time.monotonic() + 30
        while store.settings(1).region != "重庆市涪陵区":
            assert time.monotonic() < deadline, "the store did not reconnect"
            time.sleep(0.2)
        assert store.record_vote("a", 1, 1) is Vote.RECORDED
        store.close()


def test_connections_killed_by_a_database_restart_are_replaced(postgres_server, postgres_url: str) -> None:
    store = open_store(postgres_url)
    assert store.set_region(1, "重庆市涪陵区")
    postgres_server.kill_connections()
    assert store.settings(1).region == "重庆市涪陵区"  # the pool checks a connection before lending it


def test_a_sqlite_store_is_copied_into_postgresql_with_its_salt(tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    project = tmp_path / "project"
    (project / "var").mkdir(parents=True)
    (project / "config.toml").write_text('[storage]\npath = "var/bot.sqlite3"\n', encoding="utf-8")
    db = project / "var" / "bot.sqlite3"
    monkeypatch.delenv(SALT_ENV, raising=False)
    old = Store(db, clock=Clock())  # salt from its own file, as on one machine
    old.log_question(1, "托管班收费吗?", kind="private", abstained=True, confidence=0.1)
    old.record_vote("a1", 1, -1)
    old.set_region(1, "重庆市涪陵区")
    pending = admin.propose_faq(old, 77, "李老师", "课后服务几点结束?", "17:30 结束。")
    old.close()
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    assert main(["storage", "copy-to-postgres", "--config", str(project / "config.toml")]) == 0
    assert "question_log 1, answers 0, feedback 1, user_settings 1, faq_proposals 1" in capsys.readouterr().out
    moved = Store(postgres_url, clock=Clock())  # no BOT_LOG_SALT: the salt came along in the database
    assert moved.settings(1).region == "重庆市涪陵区"  # the same pseudonym finds the parent's setting
    assert moved.record_vote("a1", 1, 1) is Vote.DUPLICATE
    assert [p.id for p in admin.pending_faqs(moved)] == [pending]
    assert admin.propose_faq(moved, 77, "李老师", "新问题", "答") == pending + 1  # ids go on after the copied ones
    assert admin.unanswered(moved)[0].question == "托管班收费吗?"
    monkeypatch.delenv("DATABASE_URL")
    assert main(["storage", "copy-to-postgres", "--config", str(project / "config.toml")]) == 2  # nowhere to copy to
