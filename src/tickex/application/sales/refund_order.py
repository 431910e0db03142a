"""refund_order: return money to the buyer -- the whole order, chosen tickets, or an amount.

Refunded tickets are revoked and their capacity goes back on sale; the ledger records the
refund (and the returned platform fee, per the event's policy) in the same unit of work,
and the provider is asked to pay out through the outbox. Never more than what was paid.

The organizer refunds an order of theirs (``RefundOrder``: another organizer's order is
not found, like an unknown one); an admin refunds any organizer's order
(``AdminRefundOrder``, with the same terms), and the reason recorded on the order -- the
one the provider is given -- says which admin did. One implementation serves both.
``refund_order_idempotently`` does it under the caller's idempotency key (the
organizer's, or the admin's own: ``application/idempotency.py``), storing the answer in
the refund's own unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, model_validator

from tickex.application.command import Command, Id, MinorUnits, Reason
from tickex.application.delivery.outbox import queue_order_messages
from tickex.application.finance.bookkeeping import post_refund
from tickex.application.idempotency import (
    Claim,
    IdempotentAnswer,
    Operation,
    run_idempotently,
    scope_of,
)
from tickex.application.identity.admin import require_admin
from tickex.application.sales.inventory import revoke_tickets
from tickex.application.sales.payment_changes import disputed
from tickex.application.services import Core
from tickex.domain.errors import NotFound, RefundNotAllowed
from tickex.domain.identity import Principal
from tickex.domain.money import Money
from tickex.domain.order import Order
from tickex.domain.ticket import Ticket, TicketStatus
from tickex.ports.unit_of_work import UnitOfWork

#: how a refund says what it refunds, in words (the error's and the OpenAPI document's)
ONE_MODE = "refund either ticket_ids or an amount, not both"


class RefundTerms(Command):
    """What is refunded of an order: nothing named, all of it; ``ticket_ids``, those
    tickets; ``amount_minor``, a part of the money (the tickets stay valid). Never both."""

    order_id: Id
    ticket_ids: Annotated[list[Id], Field(min_length=1, max_length=500)] | None = None
    amount_minor: Annotated[MinorUnits, Field(gt=0)] | None = None  # goodwill, keeps tickets
    reason: Reason = ""

    @model_validator(mode="after")
    def _one_mode(self) -> RefundTerms:
        if self.ticket_ids is not None and self.amount_minor is not None:
            raise ValueError(ONE_MODE)
        return self

    def terms(self) -> RefundTerms:
        """The terms alone (without who asks): what a retry under a key must repeat."""
        return RefundTerms(order_id=self.order_id, ticket_ids=self.ticket_ids,
                           amount_minor=self.amount_minor, reason=self.reason)  # fmt: skip


class RefundOrder(RefundTerms):
    """The organizer refunds an order of one of their events."""

    organizer_id: Id


class AdminRefundOrder(RefundTerms):
    """An admin refunds an order of any organizer's."""

    actor: Principal


@dataclass(frozen=True, slots=True)
class _Refunder:
    """Who refunds: an organizer (``organizer_id``: their orders only) or an admin
    (``admin_id``: any order, and the reason recorded names them); ``scope``: their
    idempotency keys."""

    scope: str
    organizer_id: str | None = None
    admin_id: str | None = None

    def may_refund(self, order: Order) -> bool:
        return self.admin_id is not None or order.organizer_id == self.organizer_id

    def reason(self, given: str) -> str:
        if self.admin_id is None:
            return given
        return f"refunded by admin {self.admin_id}" + (f": {given}" if given else "")


def _refunder(command: RefundOrder | AdminRefundOrder) -> _Refunder:
    if isinstance(command, AdminRefundOrder):
        admin_id = require_admin(command.actor, "refund another organizer's order")
        return _Refunder(scope_of("admin", admin_id), admin_id=admin_id)
    return _Refunder(scope_of("organizer", command.organizer_id), organizer_id=command.organizer_id)


def refund_order(services: Core, command: RefundOrder | AdminRefundOrder) -> Order:
    return _refund_order(services, command, _refunder(command), None)


def refund_order_idempotently(
    services: Core, command: RefundOrder | AdminRefundOrder, key: str,
    render: Callable[[Order], str],
) -> IdempotentAnswer:  # fmt: skip
    """``refund_order`` under the caller's idempotency ``key`` (the organizer's, or the
    admin's); ``render`` gives the answer stored (with the refund) and replayed. The same
    key repeats the same terms: the caller is the key's scope."""
    refunder = _refunder(command)
    return run_idempotently(
        services,
        key,
        Operation(
            name="refund_order",
            scope=refunder.scope,
            command=command.terms(),
            run=lambda claim: _refund_order(services, command, refunder, claim),
            render=render,
        ),
    )


def _refund_order(
    services: Core, command: RefundTerms, refunder: _Refunder, claim: Claim[Order] | None
) -> Order:
    def work(uow: UnitOfWork) -> Order:
        now = services.clock.now()
        order = uow.orders.get(command.order_id)
        if order is None or not refunder.may_refund(order):
            raise NotFound("order not found")
        event = uow.events.get(order.event_id)
        assert event is not None
        if disputed(uow, order):
            raise RefundNotAllowed(
                "the payment was disputed: its money moves only through the dispute"
            )
        tickets = uow.tickets.list_by_order(order.id)
        active = [t for t in tickets if t.status is TicketStatus.ACTIVE]
        used = [t for t in tickets if t.status is TicketStatus.CHECKED_IN]
        if command.ticket_ids is not None:
            by_id = {t.id: t for t in tickets}
            to_revoke: list[Ticket] = []
            for ticket_id in sorted(set(command.ticket_ids)):
                ticket = by_id.get(ticket_id)
                if ticket is None:
                    raise NotFound("ticket not found in this order", ticket_id=ticket_id)
                if ticket.status is not TicketStatus.ACTIVE:
                    raise RefundNotAllowed(f"ticket {ticket_id} is {ticket.status}")
                to_revoke.append(ticket)
            amount = Money.sum((t.price_paid for t in to_revoke), order.currency)
            amount = amount.min(order.refundable)
            complete = len(to_revoke) == len(active) and not used
            if amount == order.refundable and not order.total.is_zero and not complete:
                raise RefundNotAllowed(
                    "refunding these tickets returns everything paid: refund the whole order"
                )
        else:
            amount = (
                Money(command.amount_minor, order.currency)
                if command.amount_minor is not None
                else order.refundable
            )
            complete = amount == order.refundable
            to_revoke = active if complete else []
            if complete and used:
                raise RefundNotAllowed(
                    "the order has checked-in tickets: refund chosen tickets or a part"
                )
        fee_part = (
            order.fee_to_reverse(amount)
            if event.settings.refund_policy.refund_platform_fee
            else Money.zero(order.currency)
        )
        order.record_refund(now, amount, fee_part, refunder.reason(command.reason),
                            complete=complete)  # fmt: skip
        revoke_tickets(uow, to_revoke)
        post_refund(uow, services.ids, order, amount, fee_part, now)
        queue_order_messages(services, uow, order)  # OrderRefunded: tell the provider
        uow.orders.save(order)
        if claim is not None:
            claim.bind(uow, order.id, order)  # the answer commits with the refund
        return order

    return services.transaction(work)
