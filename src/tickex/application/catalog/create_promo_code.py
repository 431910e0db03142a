"""create_promo_code: a percent or fixed discount for one event."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tickex.application.catalog.event_input import Moment
from tickex.application.command import EventCommand, Id, MinorUnits
from tickex.application.services import Services, owned_event
from tickex.domain.errors import NotFound
from tickex.domain.money import Money
from tickex.domain.promo_code import DiscountKind, PromoCode
from tickex.ports.unit_of_work import UnitOfWork


class CreatePromoCode(EventCommand):
    code: Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
    kind: DiscountKind
    percent_bp: Annotated[int, Field(ge=0, le=10_000)] = 0
    fixed_minor: MinorUnits | None = None
    max_uses: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    ticket_type_ids: Annotated[list[Id], Field(max_length=100)] = []
    unlocks_hidden: bool = False


def create_promo_code(services: Services, command: CreatePromoCode) -> PromoCode:
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
