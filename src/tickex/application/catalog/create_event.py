"""create_event: a draft event, optionally with a venue capacity shared by its types."""

from __future__ import annotations

from tickex.application.catalog.event_input import EventDetails
from tickex.application.command import OrganizerCommand
from tickex.application.date_bounds import EVENT_DATES
from tickex.application.services import Core
from tickex.domain.errors import NotFound
from tickex.domain.event import Event
from tickex.domain.quota import Quota
from tickex.ports.unit_of_work import UnitOfWork


class CreateEvent(EventDetails, OrganizerCommand):
    """A draft event of the organizer's."""


def create_event(services: Core, command: CreateEvent) -> Event:
    now = services.clock.now()
    EVENT_DATES.check(now, command.starts_at, command.ends_at)
    event_id = services.ids.new_id()
    capacity_quota = None
    if command.capacity is not None:
        capacity_quota = Quota(
            id=services.ids.new_id(), event_id=event_id, name="Venue capacity",
            size=command.capacity,
        )  # fmt: skip
    event = Event(
        id=event_id,
        organizer_id=command.organizer_id,
        title=command.title,
        slug=command.slug,
        starts_at=command.starts_at,
        ends_at=command.ends_at,
        venue=command.venue.to_domain(),
        settings=command.settings.to_domain(),
        description=command.description,
        created_at=now,
        capacity_quota_id=capacity_quota.id if capacity_quota else None,
    )

    def work(uow: UnitOfWork) -> Event:
        if uow.organizers.get(command.organizer_id) is None:
            raise NotFound("organizer not found")
        uow.events.add(event)
        if capacity_quota is not None:
            uow.quotas.add(capacity_quota)
        return event

    return services.transaction(work)
