"""request_organizer_role: a signed-in customer asks for the organizer role; an admin
decides (``approve_organizer_request`` / ``reject_organizer_request``).

Refused for a disabled account (``Forbidden``), for a user who already is an organizer and
while an earlier request is pending (``Conflict``); storage refuses a second pending
request atomically as well, so two racing asks cannot both go in."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from tickex.application.command import MULTILINE, Command, Name
from tickex.application.services import Core
from tickex.domain.errors import Conflict, Forbidden
from tickex.domain.identity import Principal, Role
from tickex.domain.organizer_request import MAX_NOTE, OrganizerRequest
from tickex.ports.unit_of_work import UnitOfWork

Note = Annotated[str, StringConstraints(max_length=MAX_NOTE), MULTILINE]


class RequestOrganizerRole(Command):
    actor: Principal
    organizer_name: Name | None = None  # default: the user's name
    note: Note | None = None  # what the user tells the admins


def request_organizer_role(services: Core, command: RequestOrganizerRole) -> OrganizerRequest:
    user_id = command.actor.user_id
    if user_id is None:  # a staff device or an API key: not an account
        raise Forbidden("this needs a user's access token")

    def work(uow: UnitOfWork) -> OrganizerRequest:
        user = uow.users.get(user_id)
        if user is None or not user.is_active:
            raise Forbidden("this account cannot ask for the organizer role")
        if user.has_role(Role.ORGANIZER):
            raise Conflict("this account is already an organizer")
        if any(r.is_pending for r in uow.organizer_requests.list_by_user(user.id)):
            raise Conflict("an organizer request of this account is already pending")
        request = OrganizerRequest(
            id=services.ids.new_id(),
            user_id=user.id,
            organizer_name=command.organizer_name or user.name,
            created_at=services.clock.now(),
            note=command.note or None,
        )
        uow.organizer_requests.add(request)  # Conflict if a racing ask went in first
        return request

    return services.transaction(work)
