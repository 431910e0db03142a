"""create_organizer: register an organizer (the owner of events)."""

from __future__ import annotations

from tickex.application.command import Command, Email, Name
from tickex.application.services import Core
from tickex.domain.organizer import Organizer
from tickex.ports.unit_of_work import UnitOfWork


class CreateOrganizer(Command):
    name: Name
    email: Email
    payment_account_id: str | None = None


def create_organizer(services: Core, command: CreateOrganizer) -> Organizer:
    organizer = Organizer(
        id=services.ids.new_id(),
        name=command.name,
        email=command.email.lower(),
        created_at=services.clock.now(),
        payment_account_id=command.payment_account_id,
    )

    def work(uow: UnitOfWork) -> Organizer:
        uow.organizers.add(organizer)
        return organizer

    return services.transaction(work)
