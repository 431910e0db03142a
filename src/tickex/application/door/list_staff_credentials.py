"""list_staff_credentials: the door-scanner tokens of one of the organizer's events."""

from __future__ import annotations

from tickex.application.command import EventCommand
from tickex.application.services import Core, owned_event
from tickex.domain.identity import StaffCredential
from tickex.ports.unit_of_work import UnitOfWork


class ListStaffCredentials(EventCommand):
    """The event's door-scanner credentials."""


def list_staff_credentials(
    services: Core, command: ListStaffCredentials
) -> tuple[StaffCredential, ...]:
    def query(uow: UnitOfWork) -> tuple[StaffCredential, ...]:
        event = owned_event(uow, command.event_id, command.organizer_id)
        return tuple(uow.staff_credentials.list_by_event(event.id))

    return services.read(query)
