"""list_organizer_requests: the admins' queue of organizer requests by status (pending by
default), oldest first, one page at a time, with who asked."""

from __future__ import annotations

from tickex.application.command import Choice, Command
from tickex.application.identity.admin import require_admin
from tickex.application.organizers.organizer_request_view import OrganizerRequestView, view_of
from tickex.application.paging import Limit, Offset, Page, fetch_page
from tickex.application.services import Core
from tickex.domain.identity import Principal
from tickex.domain.organizer_request import OrganizerRequestStatus
from tickex.ports.unit_of_work import UnitOfWork


class ListOrganizerRequests(Command):
    actor: Principal
    status: Choice[OrganizerRequestStatus] = OrganizerRequestStatus.PENDING
    limit: Limit = 20
    offset: Offset = 0


OrganizerRequestList = Page[OrganizerRequestView]


def list_organizer_requests(services: Core, command: ListOrganizerRequests) -> OrganizerRequestList:
    require_admin(command.actor, "review organizer requests")

    def query(uow: UnitOfWork) -> OrganizerRequestList:
        found = fetch_page(
            lambda count, offset: uow.organizer_requests.list_by_status(
                command.status, count, offset
            ),
            command.limit, command.offset,
        )  # fmt: skip
        return found.map(lambda request: view_of(uow, request))

    return services.read(query)
