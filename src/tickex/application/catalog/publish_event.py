"""publish_event: draft -> published (it needs at least one ticket type, and a paid one an
organizer whose payment account can take charges: ``require_charges_enabled``)."""

from __future__ import annotations

from tickex.application.command import EventCommand
from tickex.application.organizers.payment_account import require_charges_enabled
from tickex.application.services import NeedsSales, owned_event
from tickex.domain.errors import InvalidTransition
from tickex.domain.event import Event
from tickex.ports.unit_of_work import UnitOfWork


class PublishEvent(EventCommand):
    """Put the draft event on sale."""


def publish_event(services: NeedsSales, command: PublishEvent) -> Event:
    def work(uow: UnitOfWork) -> Event:
        event = owned_event(uow, command.event_id, command.organizer_id)
        types = uow.ticket_types.list_by_event(event.id)
        if not types:
            raise InvalidTransition("add a ticket type before publishing")
        if any(not t.price.is_zero for t in types):
            require_charges_enabled(services.sales.payments, uow.organizers.get(event.organizer_id))
        event.publish(services.clock.now())
        uow.events.save(event)
        return event

    return services.transaction(work)
