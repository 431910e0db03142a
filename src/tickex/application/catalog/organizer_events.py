"""organizer_events: the organizer's own events -- all of them, drafts included, and one
event with every ticket type (hidden ones too), its quotas and its promo codes. A foreign
event is indistinguishable from a missing one."""

from __future__ import annotations

from dataclasses import dataclass

from tickex.application.command import Command, EventCommand, Id
from tickex.application.services import Core, owned_event
from tickex.domain.errors import NotFound
from tickex.domain.event import Event
from tickex.domain.promo_code import PromoCode
from tickex.domain.quota import Quota
from tickex.domain.ticket_type import TicketType
from tickex.ports.unit_of_work import UnitOfWork


class ListOrganizerEvents(Command):
    organizer_id: Id


class GetOrganizerEvent(EventCommand):
    """One of the organizer's events, with all it sells."""


@dataclass(frozen=True, slots=True)
class OrganizerEvent:
    event: Event
    ticket_types: tuple[TicketType, ...]
    quotas: tuple[Quota, ...]
    promo_codes: tuple[PromoCode, ...]


def list_organizer_events(services: Core, command: ListOrganizerEvents) -> tuple[Event, ...]:
    def work(uow: UnitOfWork) -> tuple[Event, ...]:
        if uow.organizers.get(command.organizer_id) is None:
            raise NotFound("organizer not found")
        return tuple(uow.events.list_by_organizer(command.organizer_id))

    return services.read(work)


def get_organizer_event(services: Core, command: GetOrganizerEvent) -> OrganizerEvent:
    def work(uow: UnitOfWork) -> OrganizerEvent:
        event = owned_event(uow, command.event_id, command.organizer_id)
        return OrganizerEvent(
            event,
            tuple(uow.ticket_types.list_by_event(event.id)),
            tuple(uow.quotas.list_by_event(event.id)),
            tuple(uow.promo_codes.list_by_event(event.id)),
        )

    return services.read(work)
