"""update_ticket_type: change a ticket type. A new ``quantity_total`` resizes its quota
atomically and is refused below what is already sold or held."""

from __future__ import annotations

from dataclasses import replace

from tickex.application.catalog.ticket_type_input import TicketTypeChanges
from tickex.application.command import Id, OrganizerCommand
from tickex.application.date_bounds import SALES_WINDOW
from tickex.application.services import Core
from tickex.domain.errors import NotFound, ValidationFailed
from tickex.domain.money import Money
from tickex.domain.ticket_type import TicketType
from tickex.ports.unit_of_work import UnitOfWork

CLEARABLE = frozenset({"sales_start", "sales_end", "max_per_customer"})


class _TicketTypeCommand(OrganizerCommand):
    """A command about one of the organizer's ticket types (its ids come first)."""

    ticket_type_id: Id


class UpdateTicketType(TicketTypeChanges, _TicketTypeCommand):
    """Changes to one of the organizer's ticket types."""


def update_ticket_type(services: Core, command: UpdateTicketType) -> TicketType:
    now = services.clock.now()

    def work(uow: UnitOfWork) -> TicketType:
        current = uow.ticket_types.get(command.ticket_type_id)
        event = uow.events.get(current.event_id) if current is not None else None
        if current is None or event is None or event.organizer_id != command.organizer_id:
            raise NotFound("ticket type not found")  # a foreign one exactly like a missing one
        given = command.model_dump(
            exclude_unset=True,
            exclude={"organizer_id", "ticket_type_id", "price_minor", "quantity_total"},
        )
        # null clears the optional fields and leaves every other field unchanged
        changes = {k: v for k, v in given.items() if v is not None or k in CLEARABLE}
        if command.price_minor is not None:
            changes["price"] = Money(command.price_minor, event.currency)
        start = changes.get("sales_start", current.sales_start)
        SALES_WINDOW.check(now, start, changes.get("sales_end", current.sales_end), changes)
        updated = replace(current, **changes)  # __post_init__ validates the result
        if command.quantity_total is not None and not uow.quotas.resize(
            current.quota_id, command.quantity_total
        ):
            raise ValidationFailed(
                "quantity_total cannot be lower than what is sold or held",
                field="quantity_total",
            )
        if command.name is not None:
            uow.quotas.rename(current.quota_id, command.name)
        uow.ticket_types.save(updated)
        return updated

    return services.transaction(work)
