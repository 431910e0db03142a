"""record_payout: money paid out to an organizer. Idempotent by the provider's payout
reference.

``record_payout`` is an operator recording a payout made outside TickEx: never more than
the organizer's payable balance. ``record_reported_payout`` is the provider reporting one
(Stripe's ``payout.paid`` of an organizer's connected account): a fact, recorded as it is
even when the events that fill the balance have not all arrived yet.

``record_failed_payout`` is the provider reporting that a payout did not reach the bank
(Stripe's ``payout.failed``, which may come days after ``paid``, or ``payout.canceled``):
the money is back in the account, so a payout that was booked is reversed
(``post_payout_reversal``), and one that was not is never booked. Two keys of
``processed_events`` per payout make that independent of the order the events arrive
in, each taken in the unit of work of its effect: ``payout:<id>`` is taken by whichever
comes first, the booking or the failure (so a ``paid`` after the failure books nothing),
and ``payout-failed:<id>`` by the first failure (so only one reverses, and only what was
booked)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from tickex.application.command import Command, Currency, Id
from tickex.application.finance.balances import payable_balance
from tickex.application.finance.bookkeeping import post_payout, post_payout_reversal
from tickex.application.services import Core
from tickex.domain.errors import NotFound, ValidationFailed
from tickex.domain.money import Money
from tickex.ports.payment import PaymentNotification, PayoutState
from tickex.ports.unit_of_work import UnitOfWork

_BOOKED, _FAILED = "payout", "payout-failed"  # processed_events keys, with the payout id


class RecordPayout(Command):
    organizer_id: Id
    amount_minor: Annotated[int, Field(gt=0, le=100_000_000_00)]
    currency: Currency
    reference: Annotated[str, Field(min_length=1, max_length=255)]


def record_payout(services: Core, command: RecordPayout) -> bool:
    """True when recorded, False when this reference was recorded before."""

    def work(uow: UnitOfWork) -> bool:
        if uow.organizers.get(command.organizer_id) is None:
            raise NotFound("organizer not found")
        amount = Money(command.amount_minor, command.currency)
        return _record(services, uow, command.organizer_id, amount, command.reference,
                       checked=True)  # fmt: skip

    return services.transaction(work)


class ReportedPayout(StrEnum):
    RECORDED = "recorded"
    REVERSED = "reversed"  # booked, then failed: the reversal is booked
    FAILED = "failed"  # failed before it was booked: nothing is, nor will be
    DUPLICATE = "duplicate"  # this event, or this payout (paid or failed), was recorded before
    UNKNOWN = "unknown"  # no organizer is paid through that account


def record_reported_payout(
    services: Core, event: PaymentNotification, payout: PayoutState
) -> ReportedPayout:
    """The provider paid an organizer's connected account out (``payout.account_id``)."""

    def work(uow: UnitOfWork) -> ReportedPayout:
        if not uow.processed_events.record(event.provider, event.event_id, services.clock.now()):
            return ReportedPayout.DUPLICATE
        organizer = uow.organizers.get_by_payment_account(payout.account_id or "")
        if organizer is None:
            return ReportedPayout.UNKNOWN
        if not _record(services, uow, organizer.id, payout.amount, payout.payout_id,
                       checked=False):  # fmt: skip
            return ReportedPayout.DUPLICATE
        return ReportedPayout.RECORDED

    return services.transaction(work)


def record_failed_payout(
    services: Core, event: PaymentNotification, payout: PayoutState
) -> ReportedPayout:
    """The provider says an organizer's payout failed or was cancelled (see the module's
    notes)."""

    def work(uow: UnitOfWork) -> ReportedPayout:
        now = services.clock.now()
        if not uow.processed_events.record(event.provider, event.event_id, now):
            return ReportedPayout.DUPLICATE
        organizer = uow.organizers.get_by_payment_account(payout.account_id or "")
        if organizer is None:
            return ReportedPayout.UNKNOWN
        unbooked = uow.processed_events.record(_BOOKED, payout.payout_id, now)  # and never
        if not uow.processed_events.record(_FAILED, payout.payout_id, now):
            return ReportedPayout.DUPLICATE  # another event said it failed
        if unbooked:
            return ReportedPayout.FAILED
        post_payout_reversal(uow, services.ids, organizer.id, payout.amount, payout.payout_id,
                             now)  # fmt: skip
        return ReportedPayout.REVERSED

    return services.transaction(work)


def _record(
    services: Core, uow: UnitOfWork, organizer_id: str, amount: Money, reference: str, *,
    checked: bool,
) -> bool:  # fmt: skip
    """Book the payout once per reference: False when it was booked, or failed, before."""
    now = services.clock.now()
    if not uow.processed_events.record(_BOOKED, reference, now):
        return False
    if checked:
        available = payable_balance(uow, organizer_id, amount.currency)
        if amount > available:
            raise ValidationFailed(f"payout of {amount} exceeds the balance of {available}")
    post_payout(uow, organizer_id, amount, reference, now)
    return True
