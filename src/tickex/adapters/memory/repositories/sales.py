"""Holds, orders, tickets and processed payment events in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tickex.adapters.memory.repositories.base import _Repo
from tickex.domain.errors import Conflict
from tickex.domain.hold import Hold, HoldStatus
from tickex.domain.order import Order
from tickex.domain.ticket import Ticket, TicketStatus
from tickex.ports.repository import (
    HoldRepository,
    OrderRepository,
    ProcessedEventRepository,
    TicketRepository,
)


class _Holds(_Repo, HoldRepository):
    table = "holds"

    def add(self, hold: Hold) -> None:
        self._insert(hold.id, hold)

    def get(self, hold_id: str) -> Hold | None:
        return self._get(hold_id)  # type: ignore[no-any-return]

    def end(self, hold_id: str, status: HoldStatus) -> bool:
        stored: Hold | None = self._uow.read(self.table, hold_id)
        if stored is None or stored.status is not HoldStatus.ACTIVE:
            return False
        self._uow.write(self.table, hold_id, replace(stored, status=status))
        return True

    def list_expired(self, now: datetime, limit: int) -> list[Hold]:
        found = self._find(lambda h: h.status is HoldStatus.ACTIVE and h.expires_at <= now)
        return sorted(found, key=lambda h: (h.expires_at, h.id))[:limit]


class _Orders(_Repo, OrderRepository):
    table = "orders"

    def add(self, order: Order) -> None:
        if self.get_by_code(order.code) is not None:
            raise Conflict(f"order code {order.code} exists")
        self._insert(order.id, order)

    def get(self, order_id: str) -> Order | None:
        return self._get(order_id)  # type: ignore[no-any-return]

    def get_by_code(self, code: str) -> Order | None:
        found = self._find(lambda o: o.code == code)
        return found[0] if found else None

    def get_by_payment_reference(self, reference: str) -> Order | None:
        found = self._find(lambda o: o.payment_reference == reference)
        return found[0] if found else None

    def save(self, order: Order) -> None:
        self._save_versioned(order)

    def list_by_event(self, event_id: str) -> list[Order]:
        found = self._find(lambda o: o.event_id == event_id)
        return sorted(found, key=lambda o: (o.created_at, o.id), reverse=True)

    def list_by_customer(self, event_id: str, customer_email: str) -> list[Order]:
        email = customer_email.lower()
        found = self._find(lambda o: o.event_id == event_id and o.customer_email.lower() == email)
        return sorted(found, key=lambda o: (o.created_at, o.id))


class _Tickets(_Repo, TicketRepository):
    table = "tickets"

    def add(self, ticket: Ticket) -> None:
        if self.get_by_secret(ticket.secret) is not None:
            raise Conflict("ticket secret collision")
        self._insert(ticket.id, ticket)

    def get(self, ticket_id: str) -> Ticket | None:
        return self._get(ticket_id)  # type: ignore[no-any-return]

    def get_by_secret(self, secret: str) -> Ticket | None:
        found = self._find(lambda t: t.secret == secret)
        return found[0] if found else None

    def list_by_order(self, order_id: str) -> list[Ticket]:
        return sorted(self._find(lambda t: t.order_id == order_id), key=lambda t: t.id)

    def save(self, ticket: Ticket) -> None:
        self._save_versioned(ticket)

    def count_by_status(self, event_id: str) -> dict[TicketStatus, int]:
        counts = dict.fromkeys(TicketStatus, 0)
        for t in self._uow.scan(self.table):
            if t.event_id == event_id:
                counts[t.status] += 1
        return counts


class _ProcessedEvents(_Repo, ProcessedEventRepository):
    table = "processed_events"

    def record(self, provider: str, event_id: str, now: datetime) -> bool:
        key = f"{provider}:{event_id}"
        if self._uow.read(self.table, key) is not None:
            return False
        self._uow.write(self.table, key, now)
        return True


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo]] = {
    "holds": _Holds,
    "orders": _Orders,
    "tickets": _Tickets,
    "processed_events": _ProcessedEvents,
}
