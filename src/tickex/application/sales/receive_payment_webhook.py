"""receive_payment_webhook: the payment provider reports what became of a checkout.

The provider's gateway verifies the request first (the signature on the raw body, its
age, the account's mode); a request it rejects is refused (``webhook_rejected``) before
anything is read or written. A verified event is then handled by the *state* of the
checkout session it carries, not by its type nor by the order in which events arrive:

- complete and paid: the order is paid through ``confirm_payment`` (tickets, ledger,
  delivery), with the provider's event id recorded in the same unit of work as the effect,
  so a redelivered or concurrent duplicate does nothing; a second event for an order
  already paid does nothing either;
- complete, unpaid, and the event says the delayed payment failed: the pending order fails,
  its hold is released and the buyer is told;
- complete and unpaid otherwise: a delayed payment method is under way; nothing yet (the
  hold keeps running: a payment that settles after it ended is a late payment);
- expired: a pending order expires and its hold is released; a paid order is left as it is;
- open, or a session TickEx did not make: nothing.

``account.updated`` (an organizer's connected account changed) keeps the account's state
on the organizer (``record_account_update``: newer states only, the event id recorded).

After the payment, an event only says which object changed: a charge (refunded, in part
or in the provider's dashboard, or its fee settled) or a dispute (opened, decided, its
funds moved). Its state now is read back from the provider and booked as the change from
what the ledger says (``payment_changes``). Such an event for an order still pending (it
arrived before ``completed``) first reads the order's checkout back and pays the order
from it, so the end is the same in any order. ``payout.paid`` of an organizer's account
books the payout (``record_reported_payout``); ``payout.failed`` (or ``canceled``)
reverses it if it was booked and keeps it from being booked if not
(``record_failed_payout``), so either order ends the same. The provider's fee for a payment is read
back when the order is paid (the charge's balance transaction), so the platform's net is
exact; a provider that cannot be read answers 503 and the provider retries.

A paid session whose amount, currency or order does not match the order is not fulfilled:
it is kept for an admin's review (``flag_payment``: a ``PaymentReview`` and the event id in
one unit of work, and a warning on ``tickex.payments`` with ids and amounts, never a secret
or an email) and acknowledged, so the provider stops sending it. Event types TickEx does
not act on are acknowledged and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from tickex.application.command import Command
from tickex.application.delivery.outbox import notify
from tickex.application.finance.record_payout import (
    ReportedPayout,
    record_failed_payout,
    record_reported_payout,
)
from tickex.application.organizers.payment_account import AccountUpdate, record_account_update
from tickex.application.sales.confirm_payment import ConfirmPayment, Outcome, confirm_payment
from tickex.application.sales.inventory import release_hold
from tickex.application.sales.payment_changes import settle_charge, settle_dispute
from tickex.application.sales.payment_review import flag_payment
from tickex.application.sales.place_order import PaymentUnavailable
from tickex.application.services import Core, NeedsSales
from tickex.domain.errors import DomainError
from tickex.domain.order import Order, OrderStatus
from tickex.ports.payment import (
    CheckoutState,
    CheckoutStatus,
    NotificationKind,
    PaymentError,
    PaymentNotification,
    PaymentStatus,
    WebhookRejected,
)
from tickex.ports.unit_of_work import UnitOfWork

MAX_PAYLOAD = 1024 * 1024


class InvalidWebhook(DomainError):
    """Not the provider's request, or not for this account (the reason is in ``detail``)."""

    code = "webhook_rejected"


class ReceivePaymentWebhook(Command):
    payload: Annotated[bytes, Field(max_length=MAX_PAYLOAD, repr=False)]  # exactly as sent
    signature: Annotated[str, Field(max_length=MAX_PAYLOAD)] | None = Field(None, repr=False)


class WebhookOutcome(StrEnum):
    PAID = "paid"
    LATE_PAID = "late_paid"
    LATE_REFUNDED = "late_refunded"
    ALREADY_PAID = "already_paid"
    DUPLICATE = "duplicate"  # this very event was handled before
    AWAITING_PAYMENT = "awaiting_payment"  # a delayed payment method has not settled
    PAYMENT_FAILED = "payment_failed"
    EXPIRED = "expired"
    FLAGGED = "flagged"  # paid, but not as the order says: left for review
    IGNORED = "ignored"  # nothing to do (another type, another session, a settled order)
    ACCOUNT_UPDATED = "account_updated"  # an organizer's payment account state was kept
    STALE = "stale"  # an account's state older than the one kept
    REFUND_RECORDED = "refund_recorded"  # a refund made at the provider is booked
    FEES_SETTLED = "fees_settled"  # the provider's fee, or the fee it returned, is booked
    UNCHANGED = "unchanged"  # the charge or dispute says nothing the ledger does not
    DISPUTE_OPEN = "dispute_open"  # the tickets are frozen
    DISPUTE_WON = "dispute_won"  # the tickets are reinstated
    DISPUTE_LOST = "dispute_lost"  # the tickets are revoked
    PAYOUT_RECORDED = "payout_recorded"
    PAYOUT_REVERSED = "payout_reversed"  # a payout booked, then failed: the money is back
    PAYOUT_FAILED = "payout_failed"  # failed before it was booked: nothing is, nor will be


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    event_id: str
    event_type: str
    outcome: WebhookOutcome
    order_id: str | None = None


_CONFIRMED = {
    Outcome.PAID: WebhookOutcome.PAID,
    Outcome.LATE_PAID: WebhookOutcome.LATE_PAID,
    Outcome.LATE_REFUNDED: WebhookOutcome.LATE_REFUNDED,
    Outcome.ALREADY_PAID: WebhookOutcome.ALREADY_PAID,
    Outcome.DUPLICATE: WebhookOutcome.DUPLICATE,
}


_PAYOUT = {
    ReportedPayout.RECORDED: WebhookOutcome.PAYOUT_RECORDED,
    ReportedPayout.REVERSED: WebhookOutcome.PAYOUT_REVERSED,
    ReportedPayout.FAILED: WebhookOutcome.PAYOUT_FAILED,
    ReportedPayout.DUPLICATE: WebhookOutcome.DUPLICATE,
    ReportedPayout.UNKNOWN: WebhookOutcome.IGNORED,
}
_AFTER_PAYMENT = frozenset({NotificationKind.CHARGE_CHANGED, NotificationKind.DISPUTE_CHANGED})
_PAYOUTS = {
    NotificationKind.PAYOUT_PAID: record_reported_payout,
    NotificationKind.PAYOUT_FAILED: record_failed_payout,
}


_ACCOUNT = {
    AccountUpdate.KEPT: WebhookOutcome.ACCOUNT_UPDATED,
    AccountUpdate.DUPLICATE: WebhookOutcome.DUPLICATE,
    AccountUpdate.STALE: WebhookOutcome.STALE,
    AccountUpdate.UNKNOWN: WebhookOutcome.IGNORED,
}


def receive_payment_webhook(services: NeedsSales, command: ReceivePaymentWebhook) -> WebhookReceipt:
    try:
        event = services.sales.payments.parse_webhook(command.payload, command.signature)
    except WebhookRejected as exc:
        raise InvalidWebhook(f"webhook rejected: {exc}") from None
    try:
        return _receive(services, event)
    except PaymentError as exc:
        if not exc.missing:  # the provider did not answer (or refused the key): retry later
            raise PaymentUnavailable("the payment provider is unavailable, please retry") from exc
        # The provider says what the event is about does not exist (another account's
        # object, a test-mode id): no retry will change that, and an endpoint that keeps
        # failing is disabled by the provider. Acknowledge it and leave it for review.
        problem = f"the event's object could not be read back: {exc}"
        flagged = flag_payment(services, event, None, None, None, problem)
        outcome = WebhookOutcome.FLAGGED if flagged else WebhookOutcome.DUPLICATE
        return WebhookReceipt(event.event_id, event.event_type, outcome)


def _receive(services: NeedsSales, event: PaymentNotification) -> WebhookReceipt:
    if event.kind is NotificationKind.ACCOUNT_UPDATED and event.account is not None:
        update = record_account_update(services, event, event.account)
        return WebhookReceipt(event.event_id, event.event_type, _ACCOUNT[update])
    if event.kind in _PAYOUTS and event.payout is not None:
        record = _PAYOUTS[event.kind]
        outcome = (_PAYOUT[record(services, event, event.payout)]
                   if event.payout.account_id else WebhookOutcome.IGNORED)  # fmt: skip
        return WebhookReceipt(event.event_id, event.event_type, outcome)
    if event.kind in _AFTER_PAYMENT:
        return _after_payment(services, event)
    state = event.checkout
    if event.kind is NotificationKind.OTHER or state is None:
        return WebhookReceipt(event.event_id, event.event_type, WebhookOutcome.IGNORED)
    order = services.read(lambda uow: uow.orders.get_by_payment_reference(state.reference))
    if order is None:
        return _not_ours(services, event, state)
    receipt = _handle(services, event, state, order)
    return WebhookReceipt(event.event_id, event.event_type, receipt, order.id)


def _after_payment(services: NeedsSales, event: PaymentNotification) -> WebhookReceipt:
    """A charge or a dispute changed: book its state now (see the module's notes)."""
    payments = services.sales.payments
    dispute = payments.dispute(event.dispute.dispute_id) if event.dispute else None
    charge_id = dispute.charge_id if dispute else event.charge.charge_id if event.charge else ""
    charge = payments.charge(charge_id)
    order_id = charge.order_id
    order = services.read(lambda uow: uow.orders.get(order_id)) if order_id else None
    if order is None:  # not a charge of TickEx's
        return WebhookReceipt(event.event_id, event.event_type, WebhookOutcome.IGNORED)
    if not order.is_paid and order.payment_reference:  # it came before ``completed``
        state = payments.checkout_state(order.payment_reference)
        _handle(services, replace(event, event_id=f"{event.event_id}:checkout"), state, order)
        order = services.read(lambda uow: uow.orders.get(order_id)) if order_id else None
        assert order is not None  # orders are never deleted
    if not order.is_paid or charge.amount.currency != order.currency:
        return WebhookReceipt(event.event_id, event.event_type, WebhookOutcome.IGNORED, order.id)
    change = (settle_dispute(services, event, order.id, dispute) if dispute
              else settle_charge(services, event, order.id, charge))  # fmt: skip
    return WebhookReceipt(event.event_id, event.event_type, WebhookOutcome(change.value), order.id)


def _handle(
    services: NeedsSales, event: PaymentNotification, state: CheckoutState, order: Order
) -> WebhookOutcome:
    if state.status is CheckoutStatus.EXPIRED:
        return _close(services, event, order.id, failed=False)
    if state.status is not CheckoutStatus.COMPLETE:
        return WebhookOutcome.IGNORED
    if state.payment_status is PaymentStatus.UNPAID:
        if event.kind is NotificationKind.ASYNC_PAYMENT_FAILED:
            return _close(services, event, order.id, failed=True)
        return WebhookOutcome.AWAITING_PAYMENT
    problem = _mismatch(state, order)
    if problem is not None:
        return _flag(services, event, state, order.id, problem)
    assert state.amount is not None  # _mismatch refuses a session without one
    charge = services.sales.payments.payment_charge(state.payment_id) if state.payment_id else None
    fee = charge.processor_fee if charge is not None else None
    confirmed = confirm_payment(
        services,
        ConfirmPayment(
            provider=event.provider,
            provider_event_id=event.event_id,
            order_id=order.id,
            amount_minor=state.amount.amount_minor,
            currency=state.amount.currency,
            processor_fee_minor=fee.amount_minor if fee is not None else 0,
        ),
    )
    return _CONFIRMED[confirmed.outcome]


def _mismatch(state: CheckoutState, order: Order) -> str | None:
    """Why a paid session cannot pay this order, or None when it can."""
    if state.order_id is not None and state.order_id != order.id:
        return f"the session names order {state.order_id}"
    if state.amount is None:
        return "the session says no amount"
    if state.amount.currency != order.currency:
        return f"paid in {state.amount.currency}, the order is in {order.currency}"
    if state.amount != order.total:
        return f"paid {state.amount}, the order's total is {order.total}"
    return None


def _flag(
    services: Core, event: PaymentNotification, state: CheckoutState, order_id: str, problem: str
) -> WebhookOutcome:
    """Not fulfilled: kept for an admin's review (once per event)."""
    flagged = flag_payment(services, event, order_id, state.reference, state.amount, problem)
    return WebhookOutcome.FLAGGED if flagged else WebhookOutcome.DUPLICATE


def _not_ours(services: Core, event: PaymentNotification, state: CheckoutState) -> WebhookReceipt:
    """A session no order holds: another integration's, or a paid one that claims one of
    our orders (flagged: someone paid, and nothing was issued)."""
    claimed = state.order_id
    paid = state.payment_status is PaymentStatus.PAID
    if paid and claimed and services.read(lambda uow: uow.orders.get(claimed)) is not None:
        problem = f"paid session {state.reference} is not the order's checkout"
        outcome = _flag(services, event, state, claimed, problem)
        return WebhookReceipt(event.event_id, event.event_type, outcome, claimed)
    return WebhookReceipt(event.event_id, event.event_type, WebhookOutcome.IGNORED)


def _close(
    services: Core, event: PaymentNotification, order_id: str, *, failed: bool
) -> WebhookOutcome:
    """The session can no longer be paid: a pending order fails (its delayed payment
    failed) or expires, and gives its hold back. Anything else is left as it is."""

    def work(uow: UnitOfWork) -> WebhookOutcome:
        now = services.clock.now()
        order = uow.orders.get(order_id)
        assert order is not None  # orders are never deleted
        if not uow.processed_events.record(event.provider, event.event_id, now):
            return WebhookOutcome.DUPLICATE
        if order.status is not OrderStatus.PENDING:
            return WebhookOutcome.IGNORED  # paid, or already expired or cancelled
        hold = uow.holds.get(order.hold_id or "")
        if hold is not None:  # rows in the one order: the hold, its quotas, then the order
            release_hold(uow, hold)
        if failed:
            order.fail("the payment failed")
            notify(
                services, uow, f"notify:{order.id}:payment-failed", order.customer_email,
                f"Order {order.code}: your payment did not go through",
                f"Your payment for order {order.code} did not go through, so the tickets "
                "are released. Nothing was charged; you are welcome to order again.",
            )  # fmt: skip
        else:
            order.expire()
        uow.orders.save(order)
        return WebhookOutcome.PAYMENT_FAILED if failed else WebhookOutcome.EXPIRED

    return services.transaction(work)
