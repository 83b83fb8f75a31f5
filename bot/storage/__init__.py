"""What the bot remembers: feedback, settings, FAQ proposals, the pseudonymised question log,
conversation state; and what several instances share: the update queue, the send budget,
locks, published builds.

Beside the pipeline, not in it: imports only the shared modules.

Entry points:
- `bot.storage.store.Store`: the store, in SQLite (WAL, the default) or PostgreSQL
  (`[storage] url` / DATABASE_URL); parents' calls never raise.
- `bot.storage.db`: one SQL interface over both; `bot.storage.schema`: the versioned schemas,
  applied by `bot.storage.migrations`.
- `bot.storage.admin`: FAQ proposals, `/stats` and `/unanswered` queries over the store.
- `bot.storage.conversations`: each chat's conversation state, pseudonymised and expiring.
- `bot.storage.queue.UpdateQueue`: the durable update queue and the record of replies sent.
- `bot.storage.budget.SharedBudget`, `bot.storage.locks.SessionLock`,
  `bot.storage.published`: PostgreSQL only (the send budget, advisory locks, shared builds).
- `bot.storage.logins`: the console's one-time links and sessions; `bot.storage.reports`:
  the console's overview figures over the question log.
- `bot.storage.transfer`: copying a SQLite store into PostgreSQL.
"""
