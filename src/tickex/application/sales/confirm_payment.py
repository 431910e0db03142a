"""confirm_payment: the provider says an order was paid.

Idempotent twice over: by the provider's event id (recorded in the same unit of work as
the effect) and by the order's state (a paid order stays paid). A payment that arrives
after the hold ended re-acquires the inventory if it can; otherwise the buyer is refunded
automatically and told so. A ticket is never issued that inventory cannot cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from tickex.application.command import Command, Currency, Id, MinorUnits
from tickex.application.delivery.outbox import enqueue
from tickex.application.finance.bookkeeping import post_refund, post_sale
from tickex.application.sales.fulfilment import fulfil
from tickex.application.sales.inventory import convert_hold, reacquire, release_hold
from tickex.application.services import Core
from tickex.domain.errors import ConcurrencyConflict, NotFound
from tickex.domain.event import EventStatus
from tickex.domain.hold import HoldStatus
from tickex.domain.money import Money
from tickex.domain.order import Order, OrderStatus
from tickex.domain.outbox import MessageKind
from tickex.ports.unit_of_work import OrderForPayment, UnitOfWork

LATE_SOLD_OUT = "late_payment_sold_out"
EVENT_CANCELLED = "event_cancelled"


class ConfirmPayment(Command):
    provider: Annotated[str, Field(min_length=1, max_length=40)]
    # the provider's event, by which a redelivery does nothing; None: the provider sends
    # no events (the local page), and the order's own state makes paying it once
    provider_event_id: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    order_id: Id | None = None
    payment_reference: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    # what was paid; None (both): the order's total, for a provider that charges nothing
    # else (the local one's page pays the order it shows)
    amount_minor: MinorUnits | None = None
    currency: Currency | None = None
    processor_fee_minor: MinorUnits = 0

    @model_validator(mode="after")
    def _identifies_order(self) -> ConfirmPayment:
        if self.order_id is None and self.payment_reference is None:
            raise ValueError("give order_id or payment_reference")
        if (self.amount_minor is None) != (self.currency is None):
            raise ValueError("give amount_minor and currency together")
        return self


class Outcome(StrEnum):
    PAID = "paid"
    LATE_PAID = "late_paid"  # the hold had ended but the inventory was re-acquired
    LATE_REFUNDED = "late_refunded"  # sold out or event cancelled: the payment is returned
    ALREADY_PAID = "already_paid"  # another event already confirmed this order
    DUPLICATE = "duplicate"  # this very provider event was seen before


@dataclass(frozen=True, slots=True)
class PaymentConfirmation:
    order_id: str
    order_code: str
    total: Money
    status: OrderStatus
    outcome: Outcome
    ticket_ids: tuple[str, ...] = ()


def _find(uow: UnitOfWork, command: ConfirmPayment) -> OrderForPayment:
    found = uow.order_for_payment(order_id=command.order_id, reference=command.payment_reference)
    if found is None:
        raise NotFound("order not found")
    return found


def confirm_payment(services: Core, command: ConfirmPayment) -> PaymentConfirmation:
    def work(uow: UnitOfWork) -> PaymentConfirmation:
        now = services.clock.now()
        found = _find(uow, command)  # the order, its hold and its event: one read
        order, event, hold = found.order, found.event, found.hold
        event_id = command.provider_event_id
        first = event_id is None or uow.processed_events.record(command.provider, event_id, now)
        if not first or order.is_paid:
            outcome = Outcome.ALREADY_PAID if first else Outcome.DUPLICATE
            return PaymentConfirmation(order.id, order.code, order.total, order.status, outcome)
        paid = order.total
        if command.amount_minor is not None and command.currency is not None:
            paid = Money(command.amount_minor, command.currency)
        fee = Money(command.processor_fee_minor, paid.currency)
        active = hold is not None and hold.status is HoldStatus.ACTIVE
        reason = ""
        if event is None or event.status is EventStatus.CANCELLED:
            if hold is not None and active:
                release_hold(uow, hold)
            outcome, reason = Outcome.LATE_REFUNDED, EVENT_CANCELLED
        elif hold is not None and active:
            # Still held (even past expires_at, if the sweeper has not run): sold below,
            # as the last write, so the contended quota rows stay locked for the shortest time.
            outcome = Outcome.PAID if order.status is OrderStatus.PENDING else Outcome.LATE_PAID
        elif hold is not None and reacquire(uow, hold.items, hold.promo_code_id):
            outcome = Outcome.LATE_PAID
        else:
            outcome, reason = Outcome.LATE_REFUNDED, LATE_SOLD_OUT
        order.mark_paid(now, paid)
        ticket_ids: list[str] = []
        if outcome is Outcome.LATE_REFUNDED:
            _refund_at_once(services, uow, order, fee, reason)
        else:
            ticket_ids = fulfil(services, uow, order, now, fee)
        # Rows are locked in one order by every use case: hold, quotas, then the order.
        selling_hold = outcome is not Outcome.LATE_REFUNDED and active
        if selling_hold and hold is not None and not convert_hold(uow, hold):
            # another unit ended the hold since we read it: start again
            raise ConcurrencyConflict("the order's hold ended concurrently")
        uow.orders.save(order)
        return PaymentConfirmation(order.id, order.code, order.total, order.status, outcome,
                                   tuple(ticket_ids))  # fmt: skip

    return services.transaction(work)


_EXPLANATIONS = {
    LATE_SOLD_OUT: "arrived after your reservation expired and the tickets were sold out",
    EVENT_CANCELLED: "arrived after the event was cancelled",
}


def _refund_at_once(services: Core, uow: UnitOfWork, order: Order, fee: Money, reason: str) -> None:
    """Book the sale and its full refund (no platform fee is kept), return the money
    through the outbox and tell the buyer why."""
    now = services.clock.now()
    post_sale(uow, services.ids, order, now, fee)
    amount = order.total
    fee_part = order.totals.platform_fee
    order.record_refund(now, amount, fee_part, reason, complete=True)
    post_refund(uow, services.ids, order, amount, fee_part, now)
    enqueue(
        services, uow, MessageKind.REFUND_PAYMENT, f"refund:{order.id}:at-once",
        {"order_id": order.id, "payment_reference": order.payment_reference or "",
         "amount_minor": amount.amount_minor, "currency": amount.currency,
         "fee_minor": fee_part.amount_minor, "reason": reason},
    )  # fmt: skip
    enqueue(
        services, uow, MessageKind.NOTIFY_CUSTOMER, f"notify:{order.id}:refunded-at-once",
        {"to": order.customer_email,
         "subject": f"Order {order.code}: your payment is refunded",
         "text": (f"Your payment for order {order.code} {_EXPLANATIONS[reason]}. "
                  f"{amount} is on its way back to you; nothing else is needed from you.")},
    )  # fmt: skip
