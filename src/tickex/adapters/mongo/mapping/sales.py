"""Holds, orders, tickets and processed payment events <-> documents."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId

from tickex.adapters.mongo.mapping.common import (
    SCHEMA_FIELD,
    SCHEMA_VERSION,
    Document,
    fields,
    money,
    money_doc,
    need_time,
    new_document,
    optional_money,
    optional_money_doc,
    put_time,
    read,
    text,
    with_times,
)
from tickex.domain.hold import Hold, HoldItem, HoldStatus
from tickex.domain.order import Order, OrderStatus
from tickex.domain.pricing import OrderLine, OrderTotals
from tickex.domain.ticket import Ticket, TicketStatus

#: An order's totals, in the order ``OrderTotals`` takes them.
_TOTALS = ("subtotal", "discount", "tax", "platform_fee", "total")
_PAYMENT = ("payment_reference", "payment_url")


def hold_doc(h: Hold) -> Document:
    doc = (
        new_document(h.id)
        | fields(h, "order_id", "event_id")
        | {
            "items": [{"quota_id": i.quota_id, "quantity": i.quantity} for i in h.items],
            "promo_code_id": h.promo_code_id,
            "status": HoldStatus(h.status).value,
        }
    )
    return with_times(doc, h, "expires_at")


def hold(doc: Mapping[str, Any]) -> Hold:
    return Hold(
        **read(doc, "order_id", "event_id", optional=("promo_code_id",)),
        items=tuple(HoldItem(i["quota_id"], i["quantity"]) for i in doc["items"]),
        expires_at=need_time(doc, "expires_at"),
        status=HoldStatus(doc["status"]),
    )


def order_doc(o: Order) -> Document:
    doc = new_document(o.id) | {
        "code": text(o.code, "code"),
        "event_id": o.event_id,
        "organizer_id": o.organizer_id,
        "customer_email": text(o.customer_email, "customer_email"),
        # lookups by customer are case-insensitive: a lower-cased copy serves the index
        "customer_email_lower": o.customer_email.lower(),
        "lines": [
            {
                "ticket_type_id": line.ticket_type_id,
                "quantity": line.quantity,
                "unit_price": money_doc(line.unit_price),
                "discount": money_doc(line.discount),
            }
            for line in o.lines
        ],
        "totals": {name: money_doc(getattr(o.totals, name)) for name in _TOTALS},
        "status": OrderStatus(o.status).value,
        "refunded": optional_money_doc(o.refunded),
        "fee_refunded": optional_money_doc(o.fee_refunded),
    }
    doc |= fields(
        o,
        *("customer_id", "customer_name", "promo_code_id", "hold_id"),
        *_PAYMENT,
        *("status_reason", "version"),
    )
    return with_times(doc, o, "created_at", "expires_at", "paid_at")


def order(doc: Mapping[str, Any]) -> Order:
    return Order(
        **read(
            doc,
            *("code", "event_id", "organizer_id", "customer_email", "customer_name"),
            *("status_reason", "version"),
            optional=(
                "customer_id",
                "promo_code_id",
                "hold_id",
                "payment_reference",
                "payment_url",
            ),
            times=("created_at", "expires_at"),
            optional_times=("paid_at",),
        ),
        lines=tuple(
            OrderLine(
                line["ticket_type_id"],
                line["quantity"],
                money(line["unit_price"]),
                money(line["discount"]),
            )
            for line in doc["lines"]
        ),
        totals=OrderTotals(*(money(doc["totals"][name]) for name in _TOTALS)),
        status=OrderStatus(doc["status"]),
        refunded=optional_money(doc.get("refunded")),
        fee_refunded=optional_money(doc.get("fee_refunded")),
    )


def ticket_doc(t: Ticket) -> Document:
    doc = (
        new_document(t.id)
        | fields(t, "order_id", "event_id", "ticket_type_id")
        | {
            "secret": text(t.secret, "secret"),
            "price_paid": money_doc(t.price_paid),
            "attendee_name": t.attendee_name,
            "attendee_email": t.attendee_email,
            "status": TicketStatus(t.status).value,
            "checked_in_by": t.checked_in_by,
            "version": t.version,
        }
    )
    return with_times(doc, t, "issued_at", "checked_in_at")


def ticket(doc: Mapping[str, Any]) -> Ticket:
    return Ticket(
        **read(
            doc,
            *("order_id", "event_id", "ticket_type_id", "secret"),
            *("attendee_name", "attendee_email", "checked_in_by", "version"),
            times=("issued_at",),
            optional_times=("checked_in_at",),
        ),
        price_paid=money(doc["price_paid"]),
        status=TicketStatus(doc["status"]),
    )


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
