"""list_organizer_requests: the admins' queue of organizer requests by status (pending by
default), oldest first, one page at a time, with who asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from tickex.application.command import Command
from tickex.application.identity.admin import require_admin
from tickex.application.organizers.organizer_request_view import OrganizerRequestView, view_of
from tickex.application.services import Services
from tickex.domain.identity import Principal
from tickex.domain.organizer_request import OrganizerRequestStatus
from tickex.ports.unit_of_work import UnitOfWork

MAX_PAGE = 100
MAX_OFFSET = 10_000


class ListOrganizerRequests(Command):
    actor: Principal
    status: OrganizerRequestStatus = OrganizerRequestStatus.PENDING
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 20
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


@dataclass(frozen=True, slots=True)
class OrganizerRequestList:
    items: tuple[OrganizerRequestView, ...]
    limit: int
    offset: int
    has_more: bool


def list_organizer_requests(
    services: Services, command: ListOrganizerRequests
) -> OrganizerRequestList:
    require_admin(command.actor, "review organizer requests")

    def query(uow: UnitOfWork) -> OrganizerRequestList:
        # one more than asked tells whether another page follows
        found = uow.organizer_requests.list_by_status(
            command.status, command.limit + 1, command.offset
        )
        items = tuple(view_of(uow, r) for r in found[: command.limit])
        return OrganizerRequestList(items, command.limit, command.offset,
                                    len(found) > command.limit)  # fmt: skip

    return services.read(query)
