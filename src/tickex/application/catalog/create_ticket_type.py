"""create_ticket_type: a ticket type with its own quota (``quantity_total``), drawing also
from the event's venue capacity and any shared quotas named."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tickex.application.catalog.event_input import Moment
from tickex.application.catalog.ticket_type_input import PerOrder, Price, Quantity
from tickex.application.command import EventCommand, Id, Name, Text
from tickex.application.services import Services, owned_event
from tickex.domain.errors import InvalidTransition, NotFound
from tickex.domain.event import EventStatus
from tickex.domain.money import Money
from tickex.domain.quota import Quota
from tickex.domain.ticket_type import TicketType
from tickex.ports.unit_of_work import UnitOfWork


class CreateTicketType(EventCommand):
    name: Name
    price_minor: Price
    quantity_total: Quantity
    description: Text = ""
    shared_quota_ids: Annotated[list[Id], Field(max_length=10)] = []
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    min_per_order: PerOrder = 1
    max_per_order: PerOrder = 10
    max_per_customer: PerOrder | None = None
    hidden: bool = False
    position: Annotated[int, Field(ge=0, le=10_000)] = 0


def create_ticket_type(services: Services, command: CreateTicketType) -> TicketType:
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
            name=command.name,
            description=command.description,
            price=Money(command.price_minor, event.currency),
            quota_id=own.id,
            shared_quota_ids=tuple(sorted(shared)),
            sales_start=command.sales_start,
            sales_end=command.sales_end,
            min_per_order=command.min_per_order,
            max_per_order=command.max_per_order,
            max_per_customer=command.max_per_customer,
            hidden=command.hidden,
            position=command.position,
        )
        uow.quotas.add(own)
        uow.ticket_types.add(ticket_type)
        return ticket_type

    return services.transaction(work)
