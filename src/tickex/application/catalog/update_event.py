"""update_event: change an event's details (not its status)."""

from __future__ import annotations

from tickex.application.catalog.event_input import EventChanges
from tickex.application.command import EventCommand
from tickex.application.date_bounds import EVENT_DATES
from tickex.application.services import Core, owned_event
from tickex.domain.errors import InvalidTransition
from tickex.domain.event import Event
from tickex.ports.unit_of_work import UnitOfWork


class UpdateEvent(EventChanges, EventCommand):
    """Changes to one of the organizer's events."""


def update_event(services: Core, command: UpdateEvent) -> Event:
    now = services.clock.now()

    def work(uow: UnitOfWork) -> Event:
        event = owned_event(uow, command.event_id, command.organizer_id)
        if (
            command.settings is not None
            and command.settings.currency != event.currency
            and (
                uow.ticket_types.list_by_event(event.id) or uow.promo_codes.list_by_event(event.id)
            )
        ):
            raise InvalidTransition(
                "the currency cannot change once the event has ticket types or promo codes"
            )
        starts, ends = command.starts_at or event.starts_at, command.ends_at or event.ends_at
        EVENT_DATES.check(now, starts, ends, command.model_fields_set)
        event.update(
            title=command.title,
            description=command.description,
            starts_at=command.starts_at,
            ends_at=command.ends_at,
            venue=command.venue.to_domain() if command.venue else None,
            settings=command.settings.to_domain() if command.settings else None,
        )
        uow.events.save(event)
        return event

    return services.transaction(work)
