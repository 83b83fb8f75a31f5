"""Each chat's conversation state on the Telegram side: which state a message continues,
and what is kept after the bot answers it.

A private chat has one conversation; in a group each user has their own within the
chat. Replying to one of the bot's answers continues from that answer's context
instead (for a day). `/start` forgets the chat's state. Everything goes through the
store's salted pseudonyms (`bot.storage.conversations`); a failing database means a
message is simply answered on its own.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from telegram import Message

from bot.records import Answer, DialogState
from bot.storage import conversations
from bot.telegram.state import Context, blocking


def _ttl(context: Context) -> float:
    config = context.bot_data.config
    return config.conversation.ttl_minutes * 60 if config is not None else 1800.0


async def state_for(context: Context, message: Message) -> DialogState | None:
    """The state `message` continues: the answer it replies to, else its chat's."""
    store = context.bot_data.store
    if store is None or message.from_user is None:
        return None
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == context.bot.id:
        state = await blocking(conversations.load_state, store, conversations.reply_key(store, message.chat_id, reply.message_id))
        if state is not None:  # an explicit reply: that answer's context, whatever its age
            return dataclasses.replace(state, ts=time.time())
    return await blocking(conversations.load_state, store, conversations.chat_key(store, message.chat_id, message.from_user.id))


async def remember(context: Context, message: Message, answer: Answer, sent: Sequence[Message]) -> None:
    """Keep the answer's state for the chat, and as the context of the messages sent."""
    store = context.bot_data.store
    if store is None or answer.state is None or message.from_user is None:
        return
    key = conversations.chat_key(store, message.chat_id, message.from_user.id)
    await blocking(conversations.save_state, store, key, answer.state)
    for part in sent:
        await blocking(conversations.save_state, store, conversations.reply_key(store, message.chat_id, part.message_id), answer.state, "reply")
    await blocking(conversations.expire, store, _ttl(context))


async def forget(context: Context, message: Message) -> None:
    """/start: the next message starts a new conversation."""
    store = context.bot_data.store
    if store is not None and message.from_user is not None:
        await blocking(conversations.forget, store, conversations.chat_key(store, message.chat_id, message.from_user.id))
