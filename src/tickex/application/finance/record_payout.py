"""record_payout: money paid out to an organizer (reported by the provider). Idempotent by
the provider's payout reference; never more than the organizer's payable balance."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tickex.application.command import Command, Currency, Id
from tickex.application.finance.balances import payable_balance
from tickex.application.finance.bookkeeping import post_payout
from tickex.application.services import Core
from tickex.domain.errors import NotFound, ValidationFailed
from tickex.domain.money import Money
from tickex.ports.unit_of_work import UnitOfWork


class RecordPayout(Command):
    organizer_id: Id
    amount_minor: Annotated[int, Field(gt=0, le=100_000_000_00)]
    currency: Currency
    reference: Annotated[str, Field(min_length=1, max_length=255)]


def record_payout(services: Core, command: RecordPayout) -> bool:
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
        post_payout(uow, services.ids, command.organizer_id, amount, command.reference, now)
        return True

    return services.transaction(work)
