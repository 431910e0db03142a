"""The outbox: messages the worker delivers after the unit of work that wrote them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping import delivery as mapping
from tickex.adapters.sql.repositories.base import Gettable
from tickex.domain.outbox import OutboxMessage, OutboxStatus
from tickex.ports.repository import OutboxRepository

_PENDING = str(OutboxStatus.PENDING)
_DEAD = str(OutboxStatus.DEAD)


class Outbox(Gettable[OutboxMessage], OutboxRepository):
    table = s.outbox
    load = mapping.outbox_from_row
    dump = mapping.outbox_row
    # The idempotency key is what a caller repeats; the message names it for any clash.
    conflict = "outbox idempotency key {idempotency_key} exists"

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        c = self.table.c
        return self._list(
            c.status == _PENDING,
            c.available_at <= now,
            order_by=(c.available_at, c.created_at, c.id),
            limit=limit,
        )

    def dead(self, limit: int) -> list[OutboxMessage]:
        c = self.table.c
        return self._list(
            c.status == _DEAD, order_by=(c.available_at, c.created_at, c.id), limit=limit
        )

    def save(self, message: OutboxMessage) -> None:
        """Not versioned, as in the reference: the worker owns a message while sending.
        Like the reference it stores a message that was never added."""
        values = mapping.outbox_row(message)
        values.pop("id")
        stmt = update(self.table).where(self.table.c.id == message.id).values(**values)
        if self._uow.write(stmt).rowcount != 1:
            self.add(message)

    def pending_count(self) -> int:
        return self._count(_PENDING)

    def dead_count(self) -> int:
        return self._count(_DEAD)

    def _count(self, status: str) -> int:
        stmt = select(func.count()).select_from(self.table).where(self.table.c.status == status)
        return int(self._uow.read(stmt)[0][0])
