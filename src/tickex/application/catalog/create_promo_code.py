"""create_promo_code: a percent or fixed discount for one event."""

from __future__ import annotations

from tickex.application.catalog.promo_code_input import PromoCodeDetails
from tickex.application.command import EventCommand
from tickex.application.date_bounds import PROMO_VALIDITY
from tickex.application.services import Core, owned_event
from tickex.domain.errors import NotFound
from tickex.domain.money import Money
from tickex.domain.promo_code import PromoCode
from tickex.ports.unit_of_work import UnitOfWork


class CreatePromoCode(PromoCodeDetails, EventCommand):
    """A promo code for one of the organizer's events."""


def create_promo_code(services: Core, command: CreatePromoCode) -> PromoCode:
    PROMO_VALIDITY.check(services.clock.now(), command.valid_from, command.valid_until)

    def work(uow: UnitOfWork) -> PromoCode:
        event = owned_event(uow, command.event_id, command.organizer_id)
        for type_id in command.ticket_type_ids:
            tt = uow.ticket_types.get(type_id)
            if tt is None or tt.event_id != event.id:
                raise NotFound("ticket type not found", ticket_type_id=type_id)
        promo = PromoCode(
            id=services.ids.new_id(),
            event_id=event.id,
            code=command.code,
            kind=command.kind,
            percent_bp=command.percent_bp,
            fixed=(
                Money(command.fixed_minor, event.currency)
                if command.fixed_minor is not None
                else None
            ),
            max_uses=command.max_uses,
            valid_from=command.valid_from,
            valid_until=command.valid_until,
            ticket_type_ids=tuple(sorted(set(command.ticket_type_ids))),
            unlocks_hidden=command.unlocks_hidden,
        )
        uow.promo_codes.add(promo)
        return promo

    return services.transaction(work)
