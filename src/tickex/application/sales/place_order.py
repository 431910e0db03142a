"""place_order: validate, price, hold inventory atomically, create the pending order, and
ask the payment provider for a checkout session (outside the unit of work).

``place_order_idempotently`` does the same under a caller's idempotency key
(``application/idempotency.py``): the key is bound to the order in the order's own unit of
work, so a retry after a crash finishes that order (its checkout) instead of placing
another."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Protocol

from pydantic import Field, model_validator

from tickex.application.command import Command, Email, Id, MinorUnits, Slug
from tickex.application.idempotency import (
    Claim,
    IdempotentAnswer,
    Operation,
    run_idempotently,
    scope_of,
)
from tickex.application.organizers.payment_account import require_charges_enabled
from tickex.application.sales.expire_holds import ExpireHolds, expire_holds
from tickex.application.sales.fulfilment import fulfil
from tickex.application.sales.inventory import convert_hold, quota_demand, release_hold, reserve
from tickex.application.services import NeedsDelivery, NeedsSales
from tickex.domain.errors import (
    DomainError,
    NotFound,
    NotOnSale,
    OrderLimitExceeded,
    PromoCodeExhausted,
    PromoCodeInvalid,
    SoldOut,
    TotalChanged,
)
from tickex.domain.event import Event, EventStatus, FeePolicy, TaxMode
from tickex.domain.hold import Hold
from tickex.domain.money import Money
from tickex.domain.order import PAID_STATES, Order, OrderStatus
from tickex.domain.organizer import Organizer
from tickex.domain.pricing import OrderTotals, compute_totals, price_lines
from tickex.domain.promo_code import PromoCode
from tickex.domain.ticket_type import TicketType
from tickex.ports.payment import CheckoutLine, CheckoutRequest, PaymentError
from tickex.ports.unit_of_work import UnitOfWork

logger = logging.getLogger("tickex.payments")
DRAFT = EventStatus.DRAFT


class _NeedsSalesDelivery(NeedsSales, NeedsDelivery, Protocol):
    """The payment provider, and the pages its checkout returns the buyer to."""


class PaymentUnavailable(DomainError):
    code = "payment_unavailable"


class PaymentRefused(DomainError):
    """The provider refused to start the payment for good (not an outage: retrying the
    same request is refused again). Logged with the provider's reason; the buyer is told
    no more than that."""

    code = "payment_refused"


class OrderItem(Command):
    ticket_type_id: Id
    quantity: Annotated[int, Field(ge=1, le=500)]


#: how an order names its event, in words (the error's and the OpenAPI document's)
ONE_EVENT = "give exactly one of event_slug and event_id"


class PlaceOrder(Command):
    """The event by ``event_id`` or by its public ``event_slug`` (exactly one); the slug is
    resolved inside the order's own unit of work, like a draft's id it finds nothing."""

    event_id: Id | None = None
    event_slug: Slug | None = None
    items: Annotated[list[OrderItem], Field(min_length=1, max_length=50)]
    customer_email: Email
    customer_name: Annotated[str, Field(max_length=200)] = ""
    customer_id: Id | None = None
    promo_code: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    expected_total_minor: MinorUnits | None = None  # the total the buyer confirmed

    @model_validator(mode="after")
    def _distinct_types(self) -> PlaceOrder:
        if (self.event_slug is None) == (self.event_id is None):
            raise ValueError(ONE_EVENT)
        types = [item.ticket_type_id for item in self.items]
        if len(set(types)) != len(types):
            raise ValueError("each ticket type may appear only once in items")
        return self


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order_id: str
    order_code: str
    status: OrderStatus
    totals: OrderTotals
    expires_at: datetime
    payment_url: str | None
    ticket_ids: tuple[str, ...] = ()  # free orders are paid at once


def _check_request(
    uow: UnitOfWork, command: PlaceOrder, now: datetime
) -> tuple[Event, dict[str, TicketType], PromoCode | None, Organizer | None]:
    found = uow.event_for_sale(event_id=command.event_id, slug=command.event_slug)
    if command.event_slug is not None and (found is None or found.event.status is DRAFT):
        raise NotFound("event not found", slug=command.event_slug)  # as the public page
    if found is None:
        raise NotFound("event not found")
    event = found.event
    offered = {tt.id: tt for tt in found.ticket_types}
    if not event.is_on_sale(now):
        raise NotOnSale("this event is not on sale")
    promo: PromoCode | None = None
    if command.promo_code is not None:
        promo = uow.promo_codes.get_by_code(event.id, command.promo_code)
        if promo is None:
            raise PromoCodeInvalid("unknown promo code")
        promo.check_valid(now)
    types: dict[str, TicketType] = {}
    for item in command.items:
        tt = offered.get(item.ticket_type_id)
        if tt is None or (tt.hidden and not (promo and promo.unlocks(tt.id))):
            raise NotFound("ticket type not found", ticket_type_id=item.ticket_type_id)
        if not tt.sales_window_open(now):
            raise NotOnSale(f"{tt.name} is not on sale now", ticket_type_id=tt.id)
        if not tt.min_per_order <= item.quantity <= tt.max_per_order:
            raise OrderLimitExceeded(
                f"{tt.name}: between {tt.min_per_order} and {tt.max_per_order} per order",
                ticket_type_id=tt.id,
            )
        types[tt.id] = tt
    if promo is not None and not any(promo.applies_to(t) for t in types):
        raise PromoCodeInvalid("this promo code does not apply to the tickets chosen")
    if sum(i.quantity for i in command.items) > event.settings.max_tickets_per_order:
        raise OrderLimitExceeded(
            f"at most {event.settings.max_tickets_per_order} tickets per order"
        )
    limited = {i.ticket_type_id: i.quantity for i in command.items
               if types[i.ticket_type_id].max_per_customer is not None}  # fmt: skip
    if limited:
        for order in uow.orders.list_by_customer(event.id, command.customer_email):
            # pending orders whose hold expired by time no longer count
            if order.status in PAID_STATES or (
                order.status is OrderStatus.PENDING and order.expires_at > now
            ):
                for type_id, qty in order.quantities_by_type().items():
                    if type_id in limited:
                        limited[type_id] += qty
        for type_id, qty in limited.items():
            cap = types[type_id].max_per_customer
            if cap is not None and qty > cap:
                raise OrderLimitExceeded(
                    f"{types[type_id].name}: at most {cap} per customer", ticket_type_id=type_id
                )
    return event, types, promo, found.organizer


def place_order(services: _NeedsSalesDelivery, command: PlaceOrder) -> PlacedOrder:
    return _place_order(services, command, None)


def place_order_idempotently(
    services: _NeedsSalesDelivery,
    command: PlaceOrder,
    key: str,
    render: Callable[[PlacedOrder], str],
) -> IdempotentAnswer:
    """``place_order`` under the caller's idempotency ``key`` (scoped to the signed-in
    customer, or anonymous); ``render`` gives the answer stored and replayed."""
    return run_idempotently(
        services,
        key,
        Operation(
            name="place_order",
            scope=scope_of("customer", command.customer_id),
            command=command,
            run=lambda claim: _place_order(services, command, claim),
            render=render,
            resume=lambda order_id: _resume(services, order_id),
        ),
    )


def _place_order(
    services: _NeedsSalesDelivery, command: PlaceOrder, claim: Claim[PlacedOrder] | None
) -> PlacedOrder:
    def place(uow: UnitOfWork) -> tuple[PlacedOrder, CheckoutRequest | None]:
        return _place(services, uow, command, claim)

    try:
        try:
            placed, checkout = services.transaction(place)
        except (SoldOut, PromoCodeExhausted):
            # Holds expire by time; the sweeper may simply not have run yet. Tidy, retry.
            if expire_holds(services, ExpireHolds(limit=500)).released == 0:
                raise
            placed, checkout = services.transaction(place)
    except PaymentError as exc:  # an in-process provider refused: nothing was written
        raise _provider_failed(exc, "-") from exc
    if checkout is None:
        return placed
    return _start_payment(services, placed, checkout)


def _place(
    services: _NeedsSalesDelivery,
    uow: UnitOfWork,
    command: PlaceOrder,
    claim: Claim[PlacedOrder] | None,
) -> tuple[PlacedOrder, CheckoutRequest | None]:
    now = services.clock.now()
    event, types, promo, organizer = _check_request(uow, command, now)
    requested = [(types[i.ticket_type_id], i.quantity) for i in command.items]
    lines = price_lines(requested, promo)
    totals = compute_totals(lines, event.settings, services.sales.platform_fee)
    if (
        command.expected_total_minor is not None
        and command.expected_total_minor != totals.total.amount_minor
    ):
        raise TotalChanged(
            f"the total is now {totals.total}", total_minor=totals.total.amount_minor
        )
    items = quota_demand(types, {i.ticket_type_id: i.quantity for i in command.items})
    expires_at = now + timedelta(minutes=event.settings.hold_minutes)
    order_id = services.ids.new_id()
    hold = Hold(
        id=services.ids.new_id(), order_id=order_id, event_id=event.id, items=items,
        expires_at=expires_at, promo_code_id=promo.id if promo else None,
    )  # fmt: skip
    order = Order.place(
        id=order_id,
        code=services.secrets.order_code(),
        event_id=event.id,
        organizer_id=event.organizer_id,
        customer_email=command.customer_email.lower(),
        customer_name=command.customer_name,
        customer_id=command.customer_id,
        lines=lines,
        totals=totals,
        now=now,
        expires_at=expires_at,
        promo_code_id=promo.id if promo else None,
        hold_id=hold.id,
    )
    free = totals.total.is_zero  # nothing to pay: issue at once
    payments = services.sales.payments
    checkout = None
    if free:
        order.mark_paid(now, totals.total)
    else:
        require_charges_enabled(payments, organizer)
        checkout = _checkout_request(services, event, organizer, order, types)
    uow.holds.add(hold)
    if claim is not None and not free:
        claim.bind(uow, order.id)  # the recovery point: committed with the order, or not at all
    # The guards come late, the order last: a contended quota row stays locked only for
    # the order's insert and the commit (rows are locked hold, quotas, then the order).
    reserve(uow, items, promo.id if promo else None, types.values())
    if checkout is not None and payments.in_process:  # no remote call: made with the order
        session = payments.create_checkout(checkout)
        order.attach_payment(session.reference, session.url)
        checkout = None
    uow.orders.add(order)
    placed = PlacedOrder(order.id, order.code, order.status, totals, expires_at,
                         order.payment_url)  # fmt: skip
    if free:
        convert_hold(uow, hold)
        ticket_ids = fulfil(services, uow, order, now, Money.zero(order.currency))
        placed = replace(placed, ticket_ids=tuple(ticket_ids))
        if claim is not None:
            claim.bind(uow, order.id, placed)  # complete already: the answer goes with it
        return placed, None
    return placed, checkout


def _checkout_request(
    services: _NeedsSalesDelivery,
    event: Event,
    organizer: Organizer | None,
    order: Order,
    types: dict[str, TicketType],
) -> CheckoutRequest:
    links = services.delivery.links
    return CheckoutRequest(
        order_id=order.id,
        order_code=order.code,
        amount=order.total,
        platform_fee=order.totals.platform_fee,
        description=f"{event.title} - order {order.code}",
        customer_email=order.customer_email,
        expires_at=order.expires_at,
        organizer_account_id=organizer.payment_account_id if organizer else None,
        lines=checkout_lines(order, event, types),
        success_url=links.payment_succeeded(order.id, order.customer_email),
        cancel_url=links.payment_cancelled(order.id, order.customer_email),
    )


def _resume(services: _NeedsSalesDelivery, order_id: str) -> PlacedOrder:
    """The answer for the order an interrupted attempt placed (its unit of work committed,
    its answer was never stored): the order as it stands, once its checkout is started if
    the attempt stopped before that. An order whose checkout failed answers as it did."""
    now = services.clock.now()

    def read(uow: UnitOfWork) -> tuple[PlacedOrder, CheckoutRequest | None]:
        order = uow.orders.get(order_id)
        assert order is not None  # bound to the key in the unit of work that added it
        event = uow.events.get(order.event_id)
        assert event is not None
        tickets = tuple(t.id for t in uow.tickets.list_by_order(order.id))
        placed = PlacedOrder(order.id, order.code, order.status, order.totals,
                             order.expires_at, order.payment_url, tickets)  # fmt: skip
        unstarted = order.status is OrderStatus.PENDING and order.payment_reference is None
        if not unstarted or order.expires_at <= now:
            return placed, None
        types = {tt.id: tt for line in order.lines
                 if (tt := uow.ticket_types.get(line.ticket_type_id))}  # fmt: skip
        organizer = uow.organizers.get(event.organizer_id)
        return placed, _checkout_request(services, event, organizer, order, types)

    placed, checkout = services.read(read)
    if placed.status is OrderStatus.FAILED:
        raise PaymentUnavailable("the payment provider is unavailable, please retry")
    return placed if checkout is None else _start_payment(services, placed, checkout)


def checkout_lines(
    order: Order, event: Event, types: dict[str, TicketType]
) -> tuple[CheckoutLine, ...]:
    """What the buyer sees on the provider's page: a line per ticket type (its discount
    taken off), then the tax and the service fee when they come on top of the tickets.
    The lines add up to the order's total (``compute_totals``)."""
    lines = [CheckoutLine(types[line.ticket_type_id].name, line.quantity, line.net,
                          discount=line.discount) for line in order.lines]  # fmt: skip
    totals = order.totals
    if event.settings.tax_mode is TaxMode.EXCLUSIVE and not totals.tax.is_zero:
        lines.append(CheckoutLine("Tax", 1, totals.tax))
    if event.settings.fee_policy is FeePolicy.PASS_ON and not totals.platform_fee.is_zero:
        lines.append(CheckoutLine("Service fee", 1, totals.platform_fee))
    return tuple(lines)


def _provider_failed(exc: PaymentError, order_id: str) -> DomainError:
    """What the buyer is told when the provider would not make the checkout: an outage
    (retry) or a refusal for good (logged with the provider's reason)."""
    if exc.retryable:
        return PaymentUnavailable("the payment provider is unavailable, please retry")
    logger.error("the payment provider refused a checkout for order %s: %s", order_id, exc)
    return PaymentRefused(
        "the payment provider refused to start this payment: the order is not placed"
    )


def _start_payment(
    services: _NeedsSalesDelivery, placed: PlacedOrder, checkout: CheckoutRequest
) -> PlacedOrder:
    order_id = placed.order_id
    try:
        session = services.sales.payments.create_checkout(checkout)
    except PaymentError as exc:
        problem = str(exc)

        def give_back(uow: UnitOfWork) -> None:
            current = uow.orders.get(order_id)
            if current is None or current.status is not OrderStatus.PENDING:
                return
            current.fail(f"payment provider unavailable: {problem}")
            hold = uow.holds.get(current.hold_id or "")
            if hold is not None:
                release_hold(uow, hold)
            uow.orders.save(current)

        services.transaction(give_back)
        raise _provider_failed(exc, order_id) from exc

    def attach(uow: UnitOfWork) -> str | None:  # one short statement, no row read first
        attached = uow.orders.attach_payment(order_id, session.reference, session.url)
        return session.url if attached else None

    return replace(placed, payment_url=services.transaction(attach))
