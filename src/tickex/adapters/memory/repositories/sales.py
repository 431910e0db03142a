"""Holds, orders, tickets and processed payment events in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickex.adapters.memory.repositories.base import _Repo, by_creation
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


class _Holds(_Repo[Hold], HoldRepository):
    table = "holds"

    def add(self, hold: Hold) -> None:
        self._add(hold)

    def get(self, hold_id: str) -> Hold | None:
        return self._get(hold_id)

    def end(self, hold_id: str, status: HoldStatus) -> bool:
        return self._update(hold_id, lambda h: h.status is HoldStatus.ACTIVE, status=status)

    def list_expired(self, now: datetime, limit: int) -> list[Hold]:
        found = self._sorted(
            lambda h: h.status is HoldStatus.ACTIVE and h.expires_at <= now,
            lambda h: (h.expires_at, h.id),
        )
        return found[:limit]


class _Orders(_Repo[Order], OrderRepository):
    table = "orders"

    def add(self, order: Order) -> None:
        taken = Conflict(f"order code {order.code} exists")
        self._add_unique(order, lambda o: o.code == order.code, taken)

    def get(self, order_id: str) -> Order | None:
        return self._get(order_id)

    def get_by_code(self, code: str) -> Order | None:
        return self._first(lambda o: o.code == code)

    def get_by_payment_reference(self, reference: str) -> Order | None:
        return self._first(lambda o: o.payment_reference == reference)

    def save(self, order: Order) -> None:
        self._save_versioned(order)

    def list_by_event(self, event_id: str) -> list[Order]:
        return self._sorted(lambda o: o.event_id == event_id, by_creation, reverse=True)

    def list_by_customer(self, event_id: str, customer_email: str) -> list[Order]:
        email = customer_email.lower()
        return self._sorted(
            lambda o: o.event_id == event_id and o.customer_email.lower() == email, by_creation
        )


class _Tickets(_Repo[Ticket], TicketRepository):
    table = "tickets"

    def add(self, ticket: Ticket) -> None:
        taken = Conflict("ticket secret collision")
        self._add_unique(ticket, lambda t: t.secret == ticket.secret, taken)

    def get(self, ticket_id: str) -> Ticket | None:
        return self._get(ticket_id)

    def get_by_secret(self, secret: str) -> Ticket | None:
        return self._first(lambda t: t.secret == secret)

    def list_by_order(self, order_id: str) -> list[Ticket]:
        return self._sorted(lambda t: t.order_id == order_id, lambda t: t.id)

    def save(self, ticket: Ticket) -> None:
        self._save_versioned(ticket)

    def count_by_status(self, event_id: str) -> dict[TicketStatus, int]:
        counts = dict.fromkeys(TicketStatus, 0)
        for t in self._uow.scan(self.table):
            if t.event_id == event_id:
                counts[t.status] += 1
        return counts


class _ProcessedEvents(_Repo[Any], ProcessedEventRepository):
    table = "processed_events"

    def record(self, provider: str, event_id: str, now: datetime) -> bool:
        key = f"{provider}:{event_id}"
        if self._uow.read(self.table, key) is not None:
            return False
        self._uow.write(self.table, key, now)
        return True


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "holds": _Holds,
    "orders": _Orders,
    "tickets": _Tickets,
    "processed_events": _ProcessedEvents,
}
