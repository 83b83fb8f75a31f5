"""Who may do what: parents, staff and admins, decided by Telegram user id alone.

Shared by both front ends. Each checks rights in one place that calls `Roles.allows`:
`bot.telegram.state.requires` for Telegram and `bot.console.auth.requires` for the web
console (tests/telegram/test_security.py and tests/console/test_security.py hold them to it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.config import TelegramSettings


class Role(enum.IntEnum):
    PARENT = 0
    STAFF = 1
    ADMIN = 2


@dataclass(frozen=True)
class Roles:
    """Admins and staff by user id (admins count as staff)."""

    admin_ids: frozenset[int] = frozenset()
    staff_ids: frozenset[int] = frozenset()

    @classmethod
    def from_settings(cls, settings: TelegramSettings) -> Roles:
        return cls(settings.admin_ids, settings.staff_ids)

    def of(self, user_id: int | None) -> Role:
        if user_id is None:
            return Role.PARENT
        if user_id in self.admin_ids:
            return Role.ADMIN
        if user_id in self.staff_ids:
            return Role.STAFF
        return Role.PARENT

    def allows(self, user_id: int | None, needed: Role) -> bool:
        return self.of(user_id) >= needed
