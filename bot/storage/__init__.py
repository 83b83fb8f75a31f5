"""What the bot remembers: feedback, settings, FAQ proposals, the pseudonymised question log,
conversation state.

Beside the pipeline, not in it: imports only the shared modules.

Entry points:
- `bot.storage.store.Store`: the SQLite (WAL) store; parents' calls never raise.
- `bot.storage.admin`: FAQ proposals, `/stats` and `/unanswered` queries over the store.
- `bot.storage.conversations`: each chat's conversation state, pseudonymised and expiring.
"""
