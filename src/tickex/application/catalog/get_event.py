"""get_event: a public event page by slug -- the event, its ticket types and how many of
each are left. Drafts are invisible (indistinguishable from a missing slug); hidden ticket
types (unlocked by promo codes) are never listed."""

from __future__ import annotations

from dataclasses import dataclass

from tickex.application.command import Command, Slug
from tickex.application.services import Core
from tickex.domain.errors import NotFound
from tickex.domain.event import Event, EventStatus
from tickex.domain.quota import Availability, combined_availability
from tickex.domain.ticket_type import TicketType
from tickex.ports.unit_of_work import UnitOfWork


class GetEvent(Command):
    slug: Slug


@dataclass(frozen=True, slots=True)
class TicketTypeOffer:
    ticket_type: TicketType
    availability: Availability  # the worst of all its quotas
    on_sale: bool  # the event is on sale and the type's sales window is open now


@dataclass(frozen=True, slots=True)
class EventPage:
    event: Event
    on_sale: bool
    ticket_types: tuple[TicketTypeOffer, ...]


def get_event(services: Core, command: GetEvent) -> EventPage:
    def work(uow: UnitOfWork) -> EventPage:
        event = uow.events.get_by_slug(command.slug)
        if event is None or event.status is EventStatus.DRAFT:
            raise NotFound("event not found", slug=command.slug)
        now = services.clock.now()
        on_sale = event.is_on_sale(now)
        quotas = {q.id: q for q in uow.quotas.list_by_event(event.id)}
        offers = tuple(
            TicketTypeOffer(
                tt,
                combined_availability(quotas[q] for q in tt.quota_ids),
                on_sale and tt.sales_window_open(now),
            )
            for tt in uow.ticket_types.list_by_event(event.id)
            if not tt.hidden
        )
        return EventPage(event, on_sale, offers)

    return services.read(work)
