"""The outbox in memory."""

from __future__ import annotations

from datetime import datetime

from tickex.adapters.memory.repositories.base import _clone, _Repo
from tickex.domain.errors import Conflict
from tickex.domain.outbox import OutboxMessage, OutboxStatus
from tickex.ports.repository import OutboxRepository


class _Outbox(_Repo, OutboxRepository):
    table = "outbox"

    def add(self, message: OutboxMessage) -> None:
        key = message.idempotency_key
        if any(m.idempotency_key == key for m in self._uow.scan(self.table)):
            raise Conflict(f"outbox idempotency key {key} exists")
        self._insert(message.id, message)

    def get(self, message_id: str) -> OutboxMessage | None:
        return self._get(message_id)  # type: ignore[no-any-return]

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        found = self._find(lambda m: m.status is OutboxStatus.PENDING and m.available_at <= now)
        return sorted(found, key=lambda m: (m.available_at, m.created_at, m.id))[:limit]

    def save(self, message: OutboxMessage) -> None:
        self._uow.write(self.table, message.id, _clone(message))

    def pending_count(self) -> int:
        return sum(1 for m in self._uow.scan(self.table) if m.status is OutboxStatus.PENDING)

    def dead(self, limit: int) -> list[OutboxMessage]:
        found = self._find(lambda m: m.status is OutboxStatus.DEAD)
        return sorted(found, key=lambda m: (m.available_at, m.created_at, m.id))[:limit]

    def dead_count(self) -> int:
        return sum(1 for m in self._uow.scan(self.table) if m.status is OutboxStatus.DEAD)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo]] = {
    "outbox": _Outbox,
}
