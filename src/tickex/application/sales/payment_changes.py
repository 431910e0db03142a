"""What becomes of a paid order's payment at the provider afterwards, kept in step with
the provider's own state: the charge (its fee, refunds made in the provider's dashboard,
the platform fee returned with refunds) and disputes (chargebacks).

Each takes the object *as the provider holds it now* (the caller re-reads it: an event
only says which object changed) and books the change from what the ledger and the order
already say, in one unit of work with the provider's event id. So an event seen twice,
events out of order, or a state already booked by an earlier event change nothing, and
the ledger ends exact to the cent with the provider's books:

- the processor fee is the charge's balance transaction's fee (the platform's cost);
- a refund beyond what TickEx recorded was made at the provider (its dashboard): it is
  recorded as refunded there (nothing asked of the provider again), the buyer is told,
  and when it returns everything the tickets are revoked and their seats go back on sale;
- the platform fee returned is the provider's own figure for the application fee's
  refunds (its rounding of each refund's share, which TickEx's estimate may miss by a
  minor unit) and replaces the estimate booked when the refund was asked;
- a dispute withdraws its amount at the organizer's cost and its fee at the platform's,
  as its balance transactions say; while it is open the order's tickets are frozen (they
  do not admit), won they are reinstated, lost they are revoked (seats back on sale).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from tickex.application.delivery.outbox import queue_order_messages
from tickex.application.finance.bookkeeping import (
    booked,
    post_dispute,
    post_fee_returned,
    post_processor_fee,
    post_refund,
)
from tickex.application.sales.inventory import revoke_tickets
from tickex.application.services import Core
from tickex.domain.ledger import DISPUTE_FEES, PROCESSOR_FEES, TransactionKind, organizer_payable
from tickex.domain.money import Money
from tickex.domain.order import Order
from tickex.domain.ticket import Ticket, TicketStatus
from tickex.ports.payment import ChargeState, DisputeOutcome, DisputeState, PaymentNotification
from tickex.ports.unit_of_work import UnitOfWork

REFUNDED_AT_PROVIDER = "refunded at the payment provider"


class Change(StrEnum):
    REFUND_RECORDED = "refund_recorded"  # a refund made at the provider is now booked
    FEES_SETTLED = "fees_settled"  # the provider's fee or fee returned was booked
    UNCHANGED = "unchanged"  # the ledger already said all of it
    DISPUTE_OPEN = "dispute_open"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"
    DUPLICATE = "duplicate"


def _once(
    services: Core, event: PaymentNotification, order_id: str,
    settle: Callable[[UnitOfWork, Order, datetime], Change],
) -> Change:  # fmt: skip
    """``settle`` the paid order in one unit of work with the provider's event id (a
    duplicate of the event changes nothing)."""

    def work(uow: UnitOfWork) -> Change:
        now = services.clock.now()
        if not uow.processed_events.record(event.provider, event.event_id, now):
            return Change.DUPLICATE
        order = uow.orders.get(order_id)
        assert order is not None  # the caller read it: orders are never deleted ...
        assert order.is_paid  # ... and a paid order stays paid
        return settle(uow, order, now)

    return services.transaction(work)


def settle_charge(
    services: Core, event: PaymentNotification, order_id: str, charge: ChargeState
) -> Change:
    """Book what the charge says (see the module's notes) for the paid order."""

    def settle(uow: UnitOfWork, order: Order, now: datetime) -> Change:
        changed = False
        if charge.processor_fee is not None:
            change = charge.processor_fee - booked(uow, order, PROCESSOR_FEES)
            post_processor_fee(uow, services.ids, order, change, charge.charge_id, now)
            changed = not change.is_zero
        extra = charge.refunded - order.refunded_amount
        if extra.amount_minor > 0:
            _refunded_at_provider(services, uow, order, extra, charge)
        if charge.platform_fee_returned is not None:
            change = order.settle_fee_returned(charge.platform_fee_returned)
            post_fee_returned(uow, services.ids, order, change, charge.charge_id, now)
            changed = changed or not change.is_zero
        queue_order_messages(services, uow, order)  # a refund at the provider: tell the buyer
        uow.orders.save(order)
        if extra.amount_minor > 0:
            return Change.REFUND_RECORDED
        return Change.FEES_SETTLED if changed else Change.UNCHANGED

    return _once(services, event, order_id, settle)


def _refunded_at_provider(
    services: Core, uow: UnitOfWork, order: Order, amount: Money, charge: ChargeState
) -> None:
    now = services.clock.now()
    complete = order.refunded_amount + amount == order.total
    event = uow.events.get(order.event_id)
    if charge.platform_fee_returned is not None:  # the provider's own figure follows
        fee_part = Money.zero(order.currency)
    elif event is not None and event.settings.refund_policy.refund_platform_fee:
        fee_part = order.fee_to_reverse(amount)
    else:
        fee_part = Money.zero(order.currency)
    order.record_refund(now, amount, fee_part, REFUNDED_AT_PROVIDER, complete=complete,
                        at_provider=True)  # fmt: skip
    if complete:
        _revoke(uow, uow.tickets.list_by_order(order.id), (TicketStatus.ACTIVE,))
    post_refund(uow, services.ids, order, amount, fee_part, now)


def settle_dispute(
    services: Core, event: PaymentNotification, order_id: str, dispute: DisputeState
) -> Change:
    """Book the dispute's money and set the order's tickets by its outcome."""

    def settle(uow: UnitOfWork, order: Order, now: datetime) -> Change:
        payable, ref = organizer_payable(order.organizer_id), dispute.dispute_id
        kind = TransactionKind.DISPUTE
        withdrawn = dispute.withdrawn - booked(uow, order, payable, kind=kind, reference=ref)
        fee = dispute.fee - booked(uow, order, DISPUTE_FEES, kind=kind, reference=ref)
        post_dispute(uow, services.ids, order, ref, withdrawn, fee, now)
        tickets = uow.tickets.list_by_order(order.id)
        if dispute.outcome is DisputeOutcome.OPEN:
            for ticket in tickets:
                if ticket.status is TicketStatus.ACTIVE:
                    ticket.freeze()
                    uow.tickets.save(ticket)
            return Change.DISPUTE_OPEN
        if dispute.outcome is DisputeOutcome.WON:
            for ticket in tickets:
                if ticket.status is TicketStatus.FROZEN:
                    ticket.reinstate()
                    uow.tickets.save(ticket)
            return Change.DISPUTE_WON
        _revoke(uow, tickets, (TicketStatus.ACTIVE, TicketStatus.FROZEN))
        return Change.DISPUTE_LOST

    return _once(services, event, order_id, settle)


def disputed(uow: UnitOfWork, order: Order) -> bool:
    """Whether the order's payment was ever disputed (its money then moves only through
    the dispute: the provider refuses a refund of a disputed charge)."""
    return any(tx.kind is TransactionKind.DISPUTE for tx in uow.ledger.list_for_order(order.id))


def _revoke(uow: UnitOfWork, tickets: list[Ticket], statuses: tuple[TicketStatus, ...]) -> None:
    revoke_tickets(uow, [t for t in tickets if t.status in statuses])
