"""Transport schemas of sales: a buyer's orders (``/v1/orders``), the organizer's refunds
(``/v1/organizer/orders/{order_id}/refund``) and the payments flagged for the admins'
review (``/v1/admin/payment-reviews``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from annotated_types import Gt, Len
from pydantic import Field, StringConstraints, model_validator

from tickex.application.command import (
    MULTILINE,
    Email,
    Id,
    MinorUnits,
    OrderCode,
    Reason,
    Slug,
)
from tickex.application.sales.get_order import OrderDetails
from tickex.application.sales.list_payment_reviews import PaymentReviewList
from tickex.application.sales.place_order import ONE_EVENT, PlacedOrder
from tickex.application.sales.refund_order import ONE_MODE
from tickex.domain.order import Order, OrderStatus
from tickex.domain.payment_review import MAX_RESOLUTION_NOTE, PaymentReview
from tickex.domain.pricing import OrderTotals
from tickex.entrypoints.http.schemas import Input, MoneyOut, Output, money, next_offset


class OrderItemInput(Input):
    ticket_type_id: Id
    quantity: Annotated[int, Field(ge=1, le=500)]


class PlaceOrderInput(Input):
    """Give the event by ``event_slug`` or by ``event_id`` (exactly one)."""

    rule = ONE_EVENT

    event_slug: Slug | None = None
    event_id: Id | None = None
    items: Annotated[list[OrderItemInput], Field(min_length=1, max_length=50)]
    customer_email: Email
    customer_name: Annotated[str, Field(max_length=200)] = ""
    promo_code: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    expected_total_minor: MinorUnits | None = Field(
        default=None, description="the total the buyer confirmed; a different total is refused"
    )

    @model_validator(mode="after")
    def _one_event(self) -> PlaceOrderInput:
        if (self.event_slug is None) == (self.event_id is None):
            raise ValueError(ONE_EVENT)
        return self


class CancelOrderInput(Input):
    email: Email = Field(description="the email the order was placed with")
    reason: Reason = ""


class FindOrderInput(Input):
    order_code: OrderCode = Field(
        description="the order's code as placeOrder answered it (and the emails print it), "
        "in any case"
    )
    email: Email = Field(description="the email the order was placed with")


class RefundOrderInput(Input):
    """Nothing: the whole order. ``ticket_ids``: those tickets. ``amount_minor``: a part
    of the money, the tickets stay valid. Never both."""

    rule = (
        f"{ONE_MODE}: neither refunds the whole order, ticket_ids those tickets, amount_minor "
        "a part of the money (the tickets stay valid)"
    )

    ticket_ids: Annotated[list[Id], Len(1, 500)] | None = None
    amount_minor: Annotated[MinorUnits, Gt(0)] | None = None
    reason: Reason = ""

    @model_validator(mode="after")
    def _one_mode(self) -> RefundOrderInput:
        if self.ticket_ids is not None and self.amount_minor is not None:
            raise ValueError(ONE_MODE)
        return self


class TotalsOut(Output):
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    platform_fee: MoneyOut
    total: MoneyOut


class PlacedOrderOut(Output):
    order_id: str
    order_code: str
    status: str
    totals: TotalsOut
    expires_at: datetime
    payment_url: str | None
    ticket_ids: list[str]


class OrderLineOut(Output):
    ticket_type_id: str
    quantity: int
    unit_price: MoneyOut
    discount: MoneyOut


class TicketOut(Output):
    id: str
    ticket_type_id: str
    status: str
    attendee_name: str
    token: str = Field(description="signed token for the ticket's QR code")


class OrderOut(Output):
    id: str
    code: str
    status: str
    event_id: str
    customer_name: str
    lines: list[OrderLineOut]
    totals: TotalsOut
    refunded: MoneyOut
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    payment_url: str | None = Field(description="set while the order waits for payment")
    tickets: list[TicketOut]


def totals(value: OrderTotals) -> TotalsOut:
    return TotalsOut(
        subtotal=money(value.subtotal), discount=money(value.discount), tax=money(value.tax),
        platform_fee=money(value.platform_fee), total=money(value.total),
    )  # fmt: skip


def placed_order(placed: PlacedOrder) -> PlacedOrderOut:
    return PlacedOrderOut(
        order_id=placed.order_id, order_code=placed.order_code, status=str(placed.status),
        totals=totals(placed.totals), expires_at=placed.expires_at,
        payment_url=placed.payment_url, ticket_ids=list(placed.ticket_ids),
    )  # fmt: skip


def order(details: OrderDetails) -> OrderOut:
    return order_without_tickets(details.order).model_copy(
        update={
            "tickets": [
                TicketOut(id=t.id, ticket_type_id=t.ticket_type_id, status=str(t.status),
                          attendee_name=t.attendee_name, token=details.tokens[t.id])
                for t in details.tickets
            ]
        }
    )  # fmt: skip


def order_without_tickets(value: Order) -> OrderOut:
    pending = value.status is OrderStatus.PENDING
    return OrderOut(
        id=value.id, code=value.code, status=str(value.status), event_id=value.event_id,
        customer_name=value.customer_name,
        lines=[OrderLineOut(ticket_type_id=line.ticket_type_id, quantity=line.quantity,
                            unit_price=money(line.unit_price), discount=money(line.discount))
               for line in value.lines],
        totals=totals(value.totals), refunded=money(value.refunded_amount),
        created_at=value.created_at, expires_at=value.expires_at, paid_at=value.paid_at,
        payment_url=value.payment_url if pending else None, tickets=[],
    )  # fmt: skip


# -- payments flagged for review (``/v1/admin/payment-reviews``) ---------------------------
ReviewStatusName = Literal["open", "resolved"]


class ResolvePaymentReviewInput(Input):
    note: Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_RESOLUTION_NOTE), MULTILINE
    ] = Field(description="what was done about the payment (refunded at the provider, ...)")


class PaymentReviewOut(Output):
    id: str
    status: ReviewStatusName
    provider: str
    event_id: str = Field(description="the provider's event that reported the payment")
    event_type: str
    order_id: str | None = Field(description="the order the payment was for")
    payment_reference: str | None = Field(description="the provider's checkout session")
    amount_paid: MoneyOut | None = Field(description="as the provider reported it")
    problem: str = Field(description="why it was not fulfilled")
    flagged_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None = Field(description="the admin's user id")
    resolution_note: str | None


class PaymentReviewListOut(Output):
    items: list[PaymentReviewOut]
    limit: int
    offset: int
    next_offset: int | None


def payment_review(value: PaymentReview) -> PaymentReviewOut:
    paid = value.amount_paid
    return PaymentReviewOut(
        id=value.id, status=value.status.value, provider=value.provider,
        event_id=value.event_id, event_type=value.event_type, order_id=value.order_id,
        payment_reference=value.payment_reference,
        amount_paid=None if paid is None else money(paid), problem=value.problem,
        flagged_at=value.flagged_at, resolved_at=value.resolved_at,
        resolved_by=value.resolved_by, resolution_note=value.resolution_note,
    )  # fmt: skip


def payment_review_list(found: PaymentReviewList) -> PaymentReviewListOut:
    return PaymentReviewListOut(
        items=[payment_review(review) for review in found.items],
        limit=found.limit,
        offset=found.offset,
        next_offset=next_offset(found.offset, found.limit, found.has_more),
    )
