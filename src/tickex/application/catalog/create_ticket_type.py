"""create_ticket_type: a ticket type with its own quota (``quantity_total``), drawing also
from the event's venue capacity and any shared quotas named."""

from __future__ import annotations

from tickex.application.catalog.ticket_type_input import TicketTypeDetails
from tickex.application.command import EventCommand
from tickex.application.date_bounds import SALES_WINDOW
from tickex.application.services import Core, owned_event
from tickex.domain.errors import InvalidTransition, NotFound
from tickex.domain.event import EventStatus
from tickex.domain.money import Money
from tickex.domain.quota import Quota
from tickex.domain.ticket_type import TicketType
from tickex.ports.unit_of_work import UnitOfWork


class CreateTicketType(TicketTypeDetails, EventCommand):
    """A ticket type for one of the organizer's events."""


#: the fields of the command a ticket type does not take as they are
_NOT_AS_GIVEN = {"organizer_id", "event_id", "price_minor", "quantity_total", "shared_quota_ids"}


def create_ticket_type(services: Core, command: CreateTicketType) -> TicketType:
    SALES_WINDOW.check(services.clock.now(), command.sales_start, command.sales_end)

    def work(uow: UnitOfWork) -> TicketType:
        event = owned_event(uow, command.event_id, command.organizer_id)
        if event.status in (EventStatus.CANCELLED, EventStatus.ENDED):
            raise InvalidTransition(f"cannot add ticket types to a {event.status} event")
        shared = set(command.shared_quota_ids)
        if event.capacity_quota_id:
            shared.add(event.capacity_quota_id)
        for quota_id in shared:
            quota = uow.quotas.get(quota_id)
            if quota is None or quota.event_id != event.id:
                raise NotFound("quota not found", quota_id=quota_id)
        own = Quota(
            id=services.ids.new_id(), event_id=event.id, name=command.name,
            size=command.quantity_total,
        )  # fmt: skip
        ticket_type = TicketType(
            id=services.ids.new_id(),
            event_id=event.id,
            price=Money(command.price_minor, event.currency),
            quota_id=own.id,
            shared_quota_ids=tuple(sorted(shared)),
            **command.model_dump(exclude=_NOT_AS_GIVEN),  # name, description, sales window ...
        )
        uow.quotas.add(own)
        uow.ticket_types.add(ticket_type)
        return ticket_type

    return services.transaction(work)
