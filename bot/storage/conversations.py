"""Conversation state in the store: what each chat (each user in a group) last asked.

One row per key: a chat's live state ("chat" rows, keyed by a salted hash of the chat
and user ids) and the context of each answer the bot sent ("reply" rows, keyed by a
salted hash of the chat id and the answer's message id), so replying to an old answer
continues from it. The state holds the question's topic, place and subject (never
the passages shown), expires after the configured time (`DialogState.ts`), and is
deleted by `/start`. Constant SQL with `?` parameters and portable syntax (an upsert
with ON CONFLICT, no AUTOINCREMENT), so the table ports to PostgreSQL as it is.
A failing database never stops answers: reads return None, writes log and go on.
"""

from __future__ import annotations

import json
import logging

from bot.records import DialogState
from bot.storage.store import Store

log = logging.getLogger(__name__)

# The `conversations` table is created with the others in `bot.storage.store`.
REPLY_KEEP = 24 * 3600  # seconds an answer's context stays available to replies

_SAVE = (
    "INSERT INTO conversations (conv_key, kind, ts, state) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (conv_key) DO UPDATE SET kind = excluded.kind, ts = excluded.ts, state = excluded.state"
)
_LOAD = "SELECT state, ts FROM conversations WHERE conv_key = ?"
_FORGET = "DELETE FROM conversations WHERE conv_key = ?"
_EXPIRE = "DELETE FROM conversations WHERE (kind = 'chat' AND ts < ?) OR (kind = 'reply' AND ts < ?)"


def chat_key(store: Store, chat_id: int, user_id: int) -> str:
    """The pseudonym of one user's conversation in one chat."""
    return store.pseudonym("chat", chat_id, user_id)


def reply_key(store: Store, chat_id: int, message_id: int) -> str:
    """The pseudonym of the context behind one of the bot's answer messages."""
    return store.pseudonym("reply", chat_id, message_id)


def load_state(store: Store, key: str) -> DialogState | None:
    """The saved state (expired or not: the caller decides), or None."""
    rows = store.read("read the conversation", _LOAD, (key,))
    if not rows:
        return None
    try:
        data = json.loads(rows[0][0])
        script = "traditional" if data.get("script") == "traditional" else "simplified"
        return DialogState(
            str(data.get("topic", "")), str(data.get("place", "")), str(data.get("subject", "")), float(rows[0][1]), script,
            str(data.get("home", "")), str(data.get("answered", "")),
        )
    except (ValueError, TypeError, AttributeError) as exc:
        log.warning("storage: a conversation row is unreadable (%s); starting afresh.", exc)
        return None


def save_state(store: Store, key: str, state: DialogState, kind: str = "chat") -> bool:
    fields = {"topic": state.topic, "place": state.place, "subject": state.subject, "script": state.script, "home": state.home, "answered": state.answered}
    data = json.dumps(fields, ensure_ascii=False)
    return store.write("save the conversation", _SAVE, (key, kind, float(state.ts or store.clock()), data)) is not None


def forget(store: Store, key: str) -> bool:
    """Drop a chat's state (/start)."""
    return store.write("forget the conversation", _FORGET, (key,)) is not None


def expire(store: Store, ttl: float) -> int:
    """Delete chat states older than `ttl` seconds and answer contexts older than a day."""
    now = store.clock()
    return store.write("expire conversations", _EXPIRE, (now - ttl, now - max(ttl, REPLY_KEEP))) or 0
