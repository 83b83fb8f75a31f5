"""The Telegram front end over `bot.service.Service` and `bot.storage`.

A top layer: it may import everything below it, and nothing below imports it.

Entry points:
- `bot.telegram.app.build_application(config, token)` / `run_bot(config)`: all wiring in one place.
- `bot.telegram.handlers`: parents' handlers; `bot.telegram.admin`: staff and admin commands.
- `bot.telegram.render.render_answer(...)`: an `Answer` as safe Telegram HTML.
- `bot.roles.Roles` (re-exported by `bot.telegram.guard`): who may do what, checked in one place (`state.requires`).
- `bot.telegram.limiter.Limiter`: one send budget (shared through PostgreSQL), replies sent once.
- `bot.telegram.webhook` and `bot.telegram.queue_worker`: the listener (webhook, /healthz,
  /readyz, /metrics), the durable queue's worker and the polling leader.
"""
