"""Holds, orders, tickets, processed payment events and payment reviews <-> documents."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId

from tickex.adapters.mongo.mapping.common import (
    KEY,
    SCHEMA_FIELD,
    SCHEMA_VERSION,
    Aggregate,
    Derived,
    Document,
    put_time,
    text,
)
from tickex.domain.hold import Hold
from tickex.domain.order import Order
from tickex.domain.payment_review import PaymentReview
from tickex.domain.ticket import Ticket

HOLD = Aggregate(Hold)
ORDER = Aggregate(
    Order,
    # lookups by customer are case-insensitive: a lower-cased copy serves the index
    Derived("customer_email_lower", "customer_email", str.lower),
    code=KEY,
    customer_email=KEY,
)
TICKET = Aggregate(Ticket, secret=KEY)
# (provider, event_id) is a unique index's key
PAYMENT_REVIEW = Aggregate(PaymentReview, provider=KEY, event_id=KEY)


def processed_event_doc(provider: str, event_id: str, now: datetime) -> Document:
    # Separate fields under a unique index: ("a:b", "c") and ("a", "b:c") stay different.
    doc: Document = {
        "_id": ObjectId(),
        SCHEMA_FIELD: SCHEMA_VERSION,
        "provider": text(provider, "provider"),
        "event_id": text(event_id, "event_id"),
    }
    put_time(doc, "recorded_at", now)
    return doc
