"""Sales rows: holds (items as JSON), orders (lines and totals as JSON), tickets, payment
reviews (the amount paid as two columns)."""

from __future__ import annotations

from typing import Any

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import (
    AnyRow,
    from_row,
    money,
    money_columns,
    money_from_json,
    money_json,
    to_row,
)
from tickex.domain.hold import Hold, HoldItem
from tickex.domain.money import Money
from tickex.domain.order import Order
from tickex.domain.payment_review import PaymentReview
from tickex.domain.pricing import OrderLine, OrderTotals
from tickex.domain.ticket import Ticket

_TOTAL_FIELDS = ("subtotal", "discount", "tax", "platform_fee", "total")


def _line_json(line: OrderLine) -> dict[str, Any]:
    return {
        "ticket_type_id": line.ticket_type_id,
        "quantity": line.quantity,
        "unit_price": money_json(line.unit_price),
        "discount": money_json(line.discount),
    }


def _line(d: dict[str, Any]) -> OrderLine:
    return OrderLine(
        d["ticket_type_id"],
        int(d["quantity"]),
        money_from_json(d["unit_price"]),
        money_from_json(d["discount"]),
    )


def hold_row(h: Hold) -> dict[str, Any]:
    items = [{"quota_id": i.quota_id, "quantity": i.quantity} for i in h.items]
    return to_row(s.holds, h, items=items)


def hold_from_row(r: AnyRow) -> Hold:
    items = tuple(HoldItem(i["quota_id"], int(i["quantity"])) for i in r.items)
    return from_row(Hold, r, items=items)


def order_row(o: Order) -> dict[str, Any]:
    total = o.totals.total
    return to_row(
        s.orders,
        o,
        customer_email_key=o.customer_email.lower(),  # the key of list_by_customer
        lines=[_line_json(line) for line in o.lines],
        totals={name: money_json(getattr(o.totals, name)) for name in _TOTAL_FIELDS},
        total_minor=total.amount_minor,
        currency=total.currency,
        **money_columns("refunded", o.refunded),
        **money_columns("fee_refunded", o.fee_refunded),
    )


def order_from_row(r: AnyRow) -> Order:
    return from_row(
        Order,
        r,
        lines=tuple(_line(x) for x in r.lines),
        totals=OrderTotals(*(money_from_json(r.totals[name]) for name in _TOTAL_FIELDS)),
        refunded=money(r.refunded_minor, r.refunded_currency),
        fee_refunded=money(r.fee_refunded_minor, r.fee_refunded_currency),
    )


def ticket_row(t: Ticket) -> dict[str, Any]:
    return to_row(s.tickets, t, **money_columns("price", t.price_paid))


def ticket_from_row(r: AnyRow) -> Ticket:
    price = Money(int(r.price_minor), r.price_currency)
    return from_row(Ticket, r, price_paid=price)


def payment_review_row(r: PaymentReview) -> dict[str, Any]:
    return to_row(s.payment_reviews, r, **money_columns("amount_paid", r.amount_paid))


def payment_review_from_row(r: AnyRow) -> PaymentReview:
    return from_row(
        PaymentReview, r, amount_paid=money(r.amount_paid_minor, r.amount_paid_currency)
    )
