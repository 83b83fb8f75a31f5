"""Conversation state in the store: pseudonymised, expiring, portable SQL, never in the way."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.records import DialogState
from bot.storage import conversations
from bot.storage.store import Store

STATE = DialogState("课后服务怎么收费", "涪陵", "课后服务", 0.0)


def make(tmp_path: Path, now: list[float]) -> Store:
    return Store(tmp_path / "bot.sqlite3", salt="s", clock=lambda: now[0])


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    return request.getfixturevalue("postgres_url") if request.param == "postgres" else tmp_path / "bot.sqlite3"


def test_state_round_trips_per_chat_and_user(location: str | Path) -> None:
    now = [1000.0]
    store = Store(location, salt="s", clock=lambda: now[0])
    mine, theirs = conversations.chat_key(store, -100, 1), conversations.chat_key(store, -100, 2)
    assert conversations.save_state(store, mine, DialogState("课后服务怎么收费", "涪陵", "课后服务", 1000.0, home="云阳", answered="某区(匿名)"))
    assert conversations.load_state(store, mine) == DialogState("课后服务怎么收费", "涪陵", "课后服务", 1000.0, home="云阳", answered="某区(匿名)")
    assert conversations.load_state(store, theirs) is None  # in a group each user has their own
    assert conversations.forget(store, mine) and conversations.load_state(store, mine) is None


def test_old_states_expire_and_answer_contexts_last_a_day(location: str | Path) -> None:
    now = [1000.0]
    store = Store(location, salt="s", clock=lambda: now[0])
    chat, reply = conversations.chat_key(store, 1, 1), conversations.reply_key(store, 1, 55)
    conversations.save_state(store, chat, DialogState("a", ts=1000.0))
    conversations.save_state(store, reply, DialogState("b", ts=1000.0), "reply")
    now[0] = 1000.0 + 1801
    assert conversations.expire(store, 1800) == 1
    assert conversations.load_state(store, chat) is None and conversations.load_state(store, reply) is not None
    now[0] = 1000.0 + conversations.REPLY_KEEP + 1
    conversations.expire(store, 1800)
    assert conversations.load_state(store, reply) is None


def test_no_raw_id_or_chat_reaches_the_file(tmp_path: Path) -> None:
    store = make(tmp_path, [1.0])
    conversations.save_state(store, conversations.chat_key(store, 987654321, 123456789), STATE)
    store.close()
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("bot.sqlite3"))
    assert b"987654321" not in data and b"123456789" not in data


def test_a_broken_store_answers_without_memory(tmp_path: Path) -> None:
    store = make(tmp_path, [1.0])
    store.close()  # as if the database were gone
    key = conversations.chat_key(store, 1, 1)
    assert conversations.load_state(store, key) is None
    assert not conversations.save_state(store, key, STATE)


def test_an_unreadable_row_is_a_fresh_start(tmp_path: Path) -> None:
    store = make(tmp_path, [1.0])
    key = conversations.chat_key(store, 1, 1)
    store.write("corrupt", "INSERT INTO conversations (conv_key, kind, ts, state) VALUES (?, 'chat', 1.0, ?)", (key, "not json"))
    assert conversations.load_state(store, key) is None


def test_the_table_is_made_by_the_migrations_of_both_backends() -> None:
    from bot.storage.migrations import MIGRATIONS

    for backend in ("sqlite", "postgres"):
        script = "".join(sql for _, _, sql in MIGRATIONS[backend])
        assert "CREATE TABLE IF NOT EXISTS conversations" in script, backend
