"""The outbox in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickex.adapters.memory.repositories.base import Unique, _clone, _Gettable, _Repo
from tickex.domain.outbox import OutboxMessage, OutboxStatus
from tickex.ports.repository import OutboxRepository


def _by_delivery(m: OutboxMessage) -> tuple[datetime, datetime, str]:
    """Due and dead messages, oldest first."""
    return (m.available_at, m.created_at, m.id)


class _Outbox(_Gettable[OutboxMessage], OutboxRepository):
    table = "outbox"
    unique = (Unique(("idempotency_key",), "outbox idempotency key {idempotency_key} exists"),)

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        found = self._sorted(
            lambda m: m.status is OutboxStatus.PENDING and m.available_at <= now, _by_delivery
        )
        return found[:limit]

    def save(self, message: OutboxMessage) -> None:
        self._uow.write(self.table, message.id, _clone(message))

    def pending_count(self) -> int:
        return self._count(OutboxStatus.PENDING)

    def dead(self, limit: int) -> list[OutboxMessage]:
        return self._sorted(lambda m: m.status is OutboxStatus.DEAD, _by_delivery)[:limit]

    def dead_count(self) -> int:
        return self._count(OutboxStatus.DEAD)

    def _count(self, status: OutboxStatus) -> int:
        return sum(1 for m in self._uow.scan(self.table) if m.status is status)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "outbox": _Outbox,
}
