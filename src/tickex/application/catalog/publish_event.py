"""publish_event: draft -> published (it needs at least one ticket type)."""

from __future__ import annotations

from tickex.application.command import EventCommand
from tickex.application.services import Core, owned_event
from tickex.domain.errors import InvalidTransition
from tickex.domain.event import Event
from tickex.ports.unit_of_work import UnitOfWork


class PublishEvent(EventCommand):
    """Put the draft event on sale."""


def publish_event(services: Core, command: PublishEvent) -> Event:
    def work(uow: UnitOfWork) -> Event:
        event = owned_event(uow, command.event_id, command.organizer_id)
        if not uow.ticket_types.list_by_event(event.id):
            raise InvalidTransition("add a ticket type before publishing")
        event.publish(services.clock.now())
        uow.events.save(event)
        return event

    return services.transaction(work)
