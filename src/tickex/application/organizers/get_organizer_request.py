"""get_organizer_request: the signed-in user's latest organizer request, pending or
decided (``NotFound`` if they never asked)."""

from __future__ import annotations

from tickex.application.command import Command
from tickex.application.services import Core
from tickex.domain.errors import Forbidden, NotFound
from tickex.domain.identity import Principal
from tickex.domain.organizer_request import OrganizerRequest
from tickex.ports.unit_of_work import UnitOfWork


class GetOrganizerRequest(Command):
    actor: Principal


def get_organizer_request(services: Core, command: GetOrganizerRequest) -> OrganizerRequest:
    user_id = command.actor.user_id
    if user_id is None:
        raise Forbidden("this needs a user's access token")

    def query(uow: UnitOfWork) -> OrganizerRequest:
        found = uow.organizer_requests.list_by_user(user_id)
        if not found:
            raise NotFound("no organizer request")
        return found[0]

    return services.read(query)
