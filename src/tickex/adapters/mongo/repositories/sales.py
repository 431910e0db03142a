"""Holds, orders, tickets, processed payment events and payment reviews on MongoDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import sales as m
from tickex.adapters.mongo.mapping.common import Document, split_time, text, time_sort
from tickex.adapters.mongo.repositories.base import Gettable, Taken, Versioned, _Repo, by_creation
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


class MongoHoldRepository(Gettable[Hold], HoldRepository):
    name = Collections.HOLDS
    kind = "hold"
    spec = m.HOLD

    def end(self, hold_id: str, status: HoldStatus) -> bool:
        key, new = text(hold_id, "hold_id"), HoldStatus(status).value
        active = HoldStatus.ACTIVE.value
        if self._update({"_id": key, "status": active}, {"$set": {"status": new}}) is None:
            return False
        self._undo(
            f"end of hold {key!r}", {"_id": key, "status": new}, {"$set": {"status": active}}
        )
        return True

    def list_expired(self, now: datetime, limit: int) -> list[Hold]:
        # Dates are stored to the millisecond: select up to now's millisecond, then compare
        # exactly. Sorted by the exact time, the exact matches are a prefix of the result.
        cutoff, _ = split_time(now, "now")
        found = self._list(
            {"status": HoldStatus.ACTIVE.value, "expires_at": {"$lte": cutoff}},
            [*time_sort("expires_at"), ("_id", 1)],
            limit,
        )
        return [h for h in found if h.expires_at <= now][:limit]


class MongoOrderRepository(Versioned[Order], OrderRepository):
    name = Collections.ORDERS
    kind = "order"
    spec = m.ORDER
    taken = Taken("order code {code} exists")

    def get_by_code(self, code: str) -> Order | None:
        return self._by("code", code, "code")

    def get_by_payment_reference(self, reference: str) -> Order | None:
        return self._by("payment_reference", reference, "payment_reference")

    def list_by_event(self, event_id: str) -> list[Order]:
        return self._list_by("event_id", event_id, by_creation(-1))

    def list_by_customer(self, event_id: str, customer_email: str) -> list[Order]:
        return self._list(
            {
                "event_id": text(event_id, "event_id"),
                "customer_email_lower": text(customer_email, "customer_email").lower(),
            },
            by_creation(),
        )


class MongoTicketRepository(Versioned[Ticket], TicketRepository):
    name = Collections.TICKETS
    kind = "ticket"
    spec = m.TICKET
    taken = Taken("ticket secret collision")

    def get_by_secret(self, secret: str) -> Ticket | None:
        return self._by("secret", secret, "secret")

    def list_by_order(self, order_id: str) -> list[Ticket]:
        return self._list_by("order_id", order_id, [("_id", 1)])

    def count_by_status(self, event_id: str) -> dict[TicketStatus, int]:
        pipeline: list[Document] = [
            {"$match": {"event_id": text(event_id, "event_id")}},
            {"$group": {"_id": "$status", "n": {"$sum": 1}}},
        ]
        rows = self._w.read(lambda s: list(self._c.aggregate(pipeline, session=s)))
        counts = dict.fromkeys(TicketStatus, 0)
        for row in rows:
            counts[TicketStatus(row["_id"])] = int(row["n"])
        return counts


class MongoProcessedEventRepository(_Repo[None], ProcessedEventRepository):
    name = Collections.PROCESSED_EVENTS
    kind = "processed event"

    def record(self, provider: str, event_id: str, now: datetime) -> bool:
        doc = m.processed_event_doc(provider, event_id, now)
        return self._insert_once(doc, ("provider", "event_id"), "provider event")


class MongoPaymentReviewRepository(Versioned[PaymentReview], PaymentReviewRepository):
    name = Collections.PAYMENT_REVIEWS
    kind = "payment review"
    spec = m.PAYMENT_REVIEW
    id_name = "review_id"
    taken = Taken("a review of {provider} event {event_id} exists")

    def list_by_status(
        self, status: PaymentReviewStatus, limit: int, offset: int
    ) -> list[PaymentReview]:
        query = {"status": PaymentReviewStatus(status).value}
        return self._page(query, [*time_sort("flagged_at", -1), ("_id", -1)], limit, offset)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "holds": MongoHoldRepository,
    "orders": MongoOrderRepository,
    "tickets": MongoTicketRepository,
    "processed_events": MongoProcessedEventRepository,
    "payment_reviews": MongoPaymentReviewRepository,
}
