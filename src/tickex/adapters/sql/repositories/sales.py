"""Sales repositories: holds (ended exactly once), orders, tickets, the provider events
already processed (a payment webhook is applied once), and the payments flagged for an
admin's review."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Executable, bindparam, func, select, update

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping import sales as mapping
from tickex.adapters.sql.repositories.base import Gettable, SqlRepository, Unique, Versioned
from tickex.domain.hold import Hold, HoldStatus
from tickex.domain.order import Order, OrderStatus
from tickex.domain.payment_review import PaymentReview, PaymentReviewStatus
from tickex.domain.ticket import Ticket, TicketStatus
from tickex.ports.repository import (
    HoldRepository,
    OrderRepository,
    PaymentReviewRepository,
    ProcessedEventRepository,
    TicketRepository,
)

_ACTIVE = str(HoldStatus.ACTIVE)


@cache
def _end() -> Executable:
    c = s.holds.c
    return (
        update(s.holds)
        .where(c.id == bindparam("b_id"), c.status == _ACTIVE)
        .values(status=bindparam("b_status"))
    )


@cache
def _attach() -> Executable:
    c = s.orders.c
    return (
        update(s.orders)
        .where(
            c.id == bindparam("b_id"),
            c.status == str(OrderStatus.PENDING),
            c.payment_reference.is_(None),
        )
        .values(
            payment_reference=bindparam("reference"),
            payment_url=bindparam("url"),
            version=c.version + 1,
        )
    )


class Holds(Gettable[Hold], HoldRepository):
    table = s.holds
    load = mapping.hold_from_row
    dump = mapping.hold_row
    conflict = "hold {id} already exists"

    def end(self, hold_id: str, status: HoldStatus) -> bool:
        """``UPDATE holds SET status = :s WHERE id = :id AND status = 'active'``: a hold ends
        exactly once, whoever races to end it."""
        return self._uow.write(_end(), {"b_id": hold_id, "b_status": str(status)}).rowcount == 1

    def list_expired(self, now: datetime, limit: int) -> list[Hold]:
        c = self.table.c
        return self._list(
            c.status == _ACTIVE, c.expires_at <= now, order_by=(c.expires_at, c.id), limit=limit
        )


class Orders(Versioned[Order], OrderRepository):
    table = s.orders
    load = mapping.order_from_row
    dump = mapping.order_row
    # No lookup tells the two unique keys apart: the message names both.
    conflict = "order {id} or order code {code} exists"

    def get_by_code(self, code: str) -> Order | None:
        return self._first(self.table.c.code == code)

    def attach_payment(self, order_id: str, reference: str, url: str) -> bool:
        """One statement: ``UPDATE orders SET payment_reference, payment_url, version + 1
        WHERE id AND status = 'pending' AND payment_reference IS NULL`` (prebuilt)."""
        if self._uow.write(_attach(), {"b_id": order_id, "reference": reference,
                                       "url": url}).rowcount == 1:  # fmt: skip
            return True
        found = self.get(order_id)  # not pending any more, or attached already
        return (
            found is not None
            and found.payment_reference == reference
            and (found.status is OrderStatus.PENDING)
        )

    def get_by_payment_reference(self, reference: str) -> Order | None:
        c = self.table.c
        found = self._list(c.payment_reference == reference, order_by=(c.created_at, c.id), limit=1)
        return found[0] if found else None

    def list_by_event(self, event_id: str) -> list[Order]:
        c = self.table.c
        return self._list(c.event_id == event_id, order_by=(c.created_at.desc(), c.id.desc()))

    def list_by_customer(self, event_id: str, customer_email: str) -> list[Order]:
        c = self.table.c
        return self._list(
            c.event_id == event_id,
            c.customer_email_key == customer_email.lower(),
            order_by=(c.created_at, c.id),
        )


class Tickets(Versioned[Ticket], TicketRepository):
    table = s.tickets
    load = mapping.ticket_from_row
    dump = mapping.ticket_row
    unique = (Unique(("secret",), "ticket secret collision"),)

    def get_by_secret(self, secret: str) -> Ticket | None:
        return self._first(self.table.c.secret == secret)

    def list_by_order(self, order_id: str) -> list[Ticket]:
        c = self.table.c
        return self._list(c.order_id == order_id, order_by=(c.id,))

    def count_by_status(self, event_id: str) -> dict[TicketStatus, int]:
        c = self.table.c
        stmt = select(c.status, func.count()).where(c.event_id == event_id).group_by(c.status)
        counts = dict.fromkeys(TicketStatus, 0)
        for row in self._uow.read(stmt):
            counts[TicketStatus(row[0])] = int(row[1])
        return counts


class ProcessedEvents(SqlRepository[None], ProcessedEventRepository):
    table = s.processed_events

    def record(self, provider: str, event_id: str, now: datetime) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING: a concurrent duplicate waits for the first
        writer and then inserts nothing."""
        return self._insert_unique({"provider": provider, "event_id": event_id, "recorded_at": now})


class PaymentReviews(Versioned[PaymentReview], PaymentReviewRepository):
    table = s.payment_reviews
    load = mapping.payment_review_from_row
    dump = mapping.payment_review_row
    conflict = "payment review {id} already exists"
    unique = (Unique(("provider", "event_id"), "a review of {provider} event {event_id} exists"),)

    def list_by_status(
        self, status: PaymentReviewStatus, limit: int, offset: int
    ) -> list[PaymentReview]:
        c = self.table.c
        return self._list(
            c.status == PaymentReviewStatus(status).value,
            order_by=(c.flagged_at.desc(), c.id.desc()),
            limit=limit,
            offset=offset,
        )
