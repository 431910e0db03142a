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
    check_schema,
    get_time,
    money,
    money_doc,
    need_time,
    new_document,
    optional_money,
    optional_money_doc,
    put_time,
    text,
)
from tickex.domain.hold import Hold, HoldItem, HoldStatus
from tickex.domain.order import Order, OrderStatus
from tickex.domain.pricing import OrderLine, OrderTotals
from tickex.domain.ticket import Ticket, TicketStatus


def hold_doc(h: Hold) -> Document:
    doc = new_document(h.id) | {
        "order_id": h.order_id,
        "event_id": h.event_id,
        "items": [{"quota_id": i.quota_id, "quantity": i.quantity} for i in h.items],
        "promo_code_id": h.promo_code_id,
        "status": HoldStatus(h.status).value,
    }
    put_time(doc, "expires_at", h.expires_at)
    return doc


def hold(doc: Mapping[str, Any]) -> Hold:
    check_schema(doc)
    return Hold(
        id=doc["_id"],
        order_id=doc["order_id"],
        event_id=doc["event_id"],
        items=tuple(HoldItem(i["quota_id"], i["quantity"]) for i in doc["items"]),
        expires_at=need_time(doc, "expires_at"),
        promo_code_id=doc.get("promo_code_id"),
        status=HoldStatus(doc["status"]),
    )


def order_doc(o: Order) -> Document:
    t = o.totals
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
        "totals": {
            "subtotal": money_doc(t.subtotal),
            "discount": money_doc(t.discount),
            "tax": money_doc(t.tax),
            "platform_fee": money_doc(t.platform_fee),
            "total": money_doc(t.total),
        },
        "customer_id": o.customer_id,
        "customer_name": o.customer_name,
        "promo_code_id": o.promo_code_id,
        "hold_id": o.hold_id,
        "status": OrderStatus(o.status).value,
        "payment_reference": o.payment_reference,
        "payment_url": o.payment_url,
        "refunded": optional_money_doc(o.refunded),
        "fee_refunded": optional_money_doc(o.fee_refunded),
        "status_reason": o.status_reason,
        "version": o.version,
    }
    put_time(doc, "created_at", o.created_at)
    put_time(doc, "expires_at", o.expires_at)
    put_time(doc, "paid_at", o.paid_at)
    return doc


def order(doc: Mapping[str, Any]) -> Order:
    check_schema(doc)
    t = doc["totals"]
    return Order(
        id=doc["_id"],
        code=doc["code"],
        event_id=doc["event_id"],
        organizer_id=doc["organizer_id"],
        customer_email=doc["customer_email"],
        lines=tuple(
            OrderLine(
                line["ticket_type_id"],
                line["quantity"],
                money(line["unit_price"]),
                money(line["discount"]),
            )
            for line in doc["lines"]
        ),
        totals=OrderTotals(
            money(t["subtotal"]),
            money(t["discount"]),
            money(t["tax"]),
            money(t["platform_fee"]),
            money(t["total"]),
        ),
        created_at=need_time(doc, "created_at"),
        expires_at=need_time(doc, "expires_at"),
        customer_id=doc.get("customer_id"),
        customer_name=doc["customer_name"],
        promo_code_id=doc.get("promo_code_id"),
        hold_id=doc.get("hold_id"),
        status=OrderStatus(doc["status"]),
        payment_reference=doc.get("payment_reference"),
        payment_url=doc.get("payment_url"),
        paid_at=get_time(doc, "paid_at"),
        refunded=optional_money(doc.get("refunded")),
        fee_refunded=optional_money(doc.get("fee_refunded")),
        status_reason=doc["status_reason"],
        version=doc["version"],
    )


def ticket_doc(t: Ticket) -> Document:
    doc = new_document(t.id) | {
        "order_id": t.order_id,
        "event_id": t.event_id,
        "ticket_type_id": t.ticket_type_id,
        "secret": text(t.secret, "secret"),
        "price_paid": money_doc(t.price_paid),
        "attendee_name": t.attendee_name,
        "attendee_email": t.attendee_email,
        "status": TicketStatus(t.status).value,
        "checked_in_by": t.checked_in_by,
        "version": t.version,
    }
    put_time(doc, "issued_at", t.issued_at)
    put_time(doc, "checked_in_at", t.checked_in_at)
    return doc


def ticket(doc: Mapping[str, Any]) -> Ticket:
    check_schema(doc)
    return Ticket(
        id=doc["_id"],
        order_id=doc["order_id"],
        event_id=doc["event_id"],
        ticket_type_id=doc["ticket_type_id"],
        secret=doc["secret"],
        price_paid=money(doc["price_paid"]),
        issued_at=need_time(doc, "issued_at"),
        attendee_name=doc["attendee_name"],
        attendee_email=doc["attendee_email"],
        status=TicketStatus(doc["status"]),
        checked_in_at=get_time(doc, "checked_in_at"),
        checked_in_by=doc["checked_in_by"],
        version=doc["version"],
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
