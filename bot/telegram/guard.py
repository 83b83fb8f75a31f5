"""Who may do what, and how often: roles by Telegram user id, the per-user question limit,
and the logging filter that keeps secrets (the bot token, the webhook secret, the log
salt) out of every log line, traceback and warning.

Roles are defined in `bot.roles` (shared with the web console) and applied in one place,
`bot.telegram.state.requires`, which every staff and admin handler is wrapped in.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.roles import Role, Roles  # noqa: F401  (re-exported: roles live in bot.roles, shared with the console)

REDACTED = "[REDACTED]"


@dataclass
class RateGuard:
    """At most `limit` questions per user in any `window` seconds.

    `check` says whether to answer; the first refusal in a burst is reported as
    `warn=True` so the user is told to slow down once, not once per message.
    """

    limit: int
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict[int, deque[float]] = field(default_factory=dict)
    _warned: dict[int, float] = field(default_factory=dict)

    def check(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, warn): warn is True for the first refused message of a burst."""
        now = self.clock()
        if len(self._seen) > 10_000:
            self.forget_idle()
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.pop(user_id, None)
            return True, False
        warned_at = self._warned.get(user_id)
        if warned_at is not None and now - warned_at < self.window:
            return False, False
        self._warned[user_id] = now
        return False, True

    def refund(self, user_id: int) -> None:
        """Take back the last allowed question (a photo that could not be read, whose caption is
        then asked as a question and checked again)."""
        times = self._seen.get(user_id)
        if times:
            times.pop()

    def forget_idle(self) -> None:
        """Drop users with no question inside the window (keeps memory flat)."""
        now = self.clock()
        for user_id in [u for u, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            self._seen.pop(user_id, None)
            self._warned.pop(user_id, None)


class RedactingFilter(logging.Filter):
    """Replaces secrets in a record's message, arguments, exception and stack text.

    Attach it to handlers (see `install_redaction`): a handler filter sees records
    from every logger, including python-telegram-bot's and httpx's.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= 6:
                forms |= {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote(secret)}
        # Case-insensitive: PTB capitalises API error texts ("Bad Request: ..." → lower case).
        ordered = sorted(forms, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None

    def redact(self, text: str) -> str:
        return self.pattern.sub(REDACTED, text) if self.pattern else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.pattern is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw text, still redacted
            message = str(record.msg)
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_redaction(secrets: Iterable[str], logger: logging.Logger | None = None) -> RedactingFilter:
    """Attach one RedactingFilter to every handler of `logger` (default: the root logger)."""
    logger = logger or logging.getLogger()
    redactor = RedactingFilter(secrets)
    if not logger.handlers:
        logger.addHandler(logging.StreamHandler())
    for handler in logger.handlers:
        handler.addFilter(redactor)
    return redactor


def log_uncaught_exceptions(logger: logging.Logger | None = None) -> None:
    """Send uncaught exceptions (main and worker threads) and warnings through logging, so
    the redacting filter sees them too instead of Python printing them raw to stderr."""
    logger = logger or logging.getLogger("bot")
    logging.captureWarnings(True)

    def main_hook(kind: type[BaseException], value: BaseException, tb: object) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)  # type: ignore[arg-type]
            return
        logger.critical("uncaught exception", exc_info=(kind, value, tb))  # type: ignore[arg-type]

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread else "?"
        logger.critical("uncaught exception in thread %s", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback))  # type: ignore[arg-type]

    sys.excepthook = main_hook
    threading.excepthook = thread_hook
