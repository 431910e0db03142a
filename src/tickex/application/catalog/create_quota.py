"""create_quota / resize_quota: shared pools of capacity (a "VIP area", a room)."""

from __future__ import annotations

from tickex.application.catalog.ticket_type_input import Quantity
from tickex.application.command import Command, EventCommand, Id, Name
from tickex.application.services import Core, owned_event
from tickex.domain.errors import NotFound, ValidationFailed
from tickex.domain.quota import Quota
from tickex.ports.unit_of_work import UnitOfWork


class CreateQuota(EventCommand):
    name: Name
    size: Quantity


class ResizeQuota(Command):
    organizer_id: Id
    quota_id: Id
    size: Quantity


def create_quota(services: Core, command: CreateQuota) -> Quota:
    def work(uow: UnitOfWork) -> Quota:
        event = owned_event(uow, command.event_id, command.organizer_id)
        quota = Quota(
            id=services.ids.new_id(), event_id=event.id, name=command.name, size=command.size
        )
        uow.quotas.add(quota)
        return quota

    return services.transaction(work)


def resize_quota(services: Core, command: ResizeQuota) -> Quota:
    def work(uow: UnitOfWork) -> Quota:
        quota = uow.quotas.get(command.quota_id)
        if quota is None:
            raise NotFound("quota not found")
        owned_event(uow, quota.event_id, command.organizer_id)
        if not uow.quotas.resize(quota.id, command.size):
            raise ValidationFailed("a quota cannot be smaller than what is sold or held")
        resized = uow.quotas.get(quota.id)
        assert resized is not None
        return resized

    return services.transaction(work)
