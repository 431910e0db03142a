"""Holds, orders, tickets, processed payment events and payment reviews in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickex.adapters.memory.repositories.base import (
    Unique,
    _Gettable,
    _Repo,
    _Versioned,
    by_creation,
)
from tickex.domain.hold import Hold, HoldStatus
from tickex.domain.order import Order
from tickex.domain.payment_review import PaymentReview, PaymentReviewStatus
from tickex.domain.ticket import Ticket, TicketStatus
from tickex.ports.repository import (
    HoldRepository,
    OrderRepository,
    PaymentReviewRepository,
    ProcessedEventRepository,
    TicketRepository,
)


class _Holds(_Gettable[Hold], HoldRepository):
    table = "holds"

    def end(self, hold_id: str, status: HoldStatus) -> bool:
        return self._update(hold_id, lambda h: h.status is HoldStatus.ACTIVE, status=status)

    def list_expired(self, now: datetime, limit: int) -> list[Hold]:
        found = self._sorted(
            lambda h: h.status is HoldStatus.ACTIVE and h.expires_at <= now,
            lambda h: (h.expires_at, h.id),
        )
        return found[:limit]


class _Orders(_Versioned[Order], OrderRepository):
    table = "orders"
    unique = (Unique(("code",), "order code {code} exists"),)

    def get_by_code(self, code: str) -> Order | None:
        return self._get_by("code", code)

    def get_by_payment_reference(self, reference: str) -> Order | None:
        return self._get_by("payment_reference", reference)

    def list_by_event(self, event_id: str) -> list[Order]:
        return self._sorted(lambda o: o.event_id == event_id, by_creation, reverse=True)

    def list_by_customer(self, event_id: str, customer_email: str) -> list[Order]:
        email = customer_email.lower()
        return self._sorted(
            lambda o: o.event_id == event_id and o.customer_email.lower() == email, by_creation
        )


class _Tickets(_Versioned[Ticket], TicketRepository):
    table = "tickets"
    unique = (Unique(("secret",), "ticket secret collision"),)

    def get_by_secret(self, secret: str) -> Ticket | None:
        return self._get_by("secret", secret)

    def list_by_order(self, order_id: str) -> list[Ticket]:
        return self._sorted(lambda t: t.order_id == order_id, lambda t: t.id)

    def count_by_status(self, event_id: str) -> dict[TicketStatus, int]:
        counts = dict.fromkeys(TicketStatus, 0)
        for t in self._uow.scan(self.table):
            if t.event_id == event_id:
                counts[t.status] += 1
        return counts


class _ProcessedEvents(_Repo[Any], ProcessedEventRepository):
    table = "processed_events"

    def record(self, provider: str, event_id: str, now: datetime) -> bool:
        return self._insert_new(f"{provider}:{event_id}", now)


class _PaymentReviews(_Versioned[PaymentReview], PaymentReviewRepository):
    table = "payment_reviews"
    unique = (Unique(("provider", "event_id"), "a review of {provider} event {event_id} exists"),)

    def list_by_status(
        self, status: PaymentReviewStatus, limit: int, offset: int
    ) -> list[PaymentReview]:
        found = self._sorted(
            lambda r: r.status is status, lambda r: (r.flagged_at, r.id), reverse=True
        )
        return found[offset : offset + limit]


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "holds": _Holds,
    "orders": _Orders,
    "tickets": _Tickets,
    "processed_events": _ProcessedEvents,
    "payment_reviews": _PaymentReviews,
}
