"""record_payout: money paid out to an organizer (reported by the provider). Idempotent by
the provider's payout reference; never more than the organizer's payable balance."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tickex.application.command import Command, Currency, Id
from tickex.application.services import Services
from tickex.domain.errors import NotFound, ValidationFailed
from tickex.domain.ledger import CLEARING, TransactionKind, organizer_payable, transfer
from tickex.domain.money import Money
from tickex.ports.unit_of_work import UnitOfWork


class RecordPayout(Command):
    organizer_id: Id
    amount_minor: Annotated[int, Field(gt=0, le=100_000_000_00)]
    currency: Currency
    reference: Annotated[str, Field(min_length=1, max_length=255)]


def payable_balance(uow: UnitOfWork, organizer_id: str, currency: str) -> Money:
    """What TickEx owes the organizer (the payable account is credit-normal)."""
    totals = uow.ledger.account_totals(organizer_payable(organizer_id))
    return Money(-sum(v for (_, c), v in totals.items() if c == currency), currency)


def record_payout(services: Services, command: RecordPayout) -> bool:
    """True when recorded, False when this reference was recorded before."""

    def work(uow: UnitOfWork) -> bool:
        now = services.clock.now()
        if uow.organizers.get(command.organizer_id) is None:
            raise NotFound("organizer not found")
        if not uow.processed_events.record("payout", command.reference, now):
            return False
        amount = Money(command.amount_minor, command.currency)
        available = payable_balance(uow, command.organizer_id, command.currency)
        if amount > available:
            raise ValidationFailed(f"payout of {amount} exceeds the balance of {available}")
        uow.ledger.append(
            transfer(
                id=services.ids.new_id(), kind=TransactionKind.PAYOUT,
                debit=organizer_payable(command.organizer_id), credit=CLEARING,
                amount=amount, now=now, description=f"payout {command.reference}",
                organizer_id=command.organizer_id, reference=command.reference,
            )
        )  # fmt: skip
        return True

    return services.transaction(work)
