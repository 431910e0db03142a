"""reject_organizer_request: an admin turns a pending request down with a reason, which
the user is told by email (through the outbox) and sees on their request. The user may
ask again afterwards."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from tickex.application.command import Command, Id
from tickex.application.delivery.outbox import notify
from tickex.application.identity.admin import require_admin
from tickex.application.organizers.organizer_request_view import (
    OrganizerRequestView,
    request_to_decide,
    view_with,
)
from tickex.application.services import Services
from tickex.domain.identity import Principal
from tickex.domain.organizer_request import MAX_REASON
from tickex.ports.unit_of_work import UnitOfWork

Reason = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REASON)]


class RejectOrganizerRequest(Command):
    actor: Principal
    request_id: Id
    reason: Reason


def reject_organizer_request(
    services: Services, command: RejectOrganizerRequest
) -> OrganizerRequestView:
    admin_id = require_admin(command.actor, "reject organizer requests")

    def work(uow: UnitOfWork) -> OrganizerRequestView:
        request = request_to_decide(uow, command.request_id)
        request.reject(admin_id, command.reason, services.clock.now())  # only when pending
        uow.organizer_requests.save(request)
        user = uow.users.get(request.user_id)
        if user is not None:
            notify(
                services, uow, f"organizer-request-rejected:{request.id}", user.email,
                "Your TickEx organizer request",
                f"Hello {user.name},\n\nyour request to run events as {request.organizer_name} "
                f"was not approved:\n\n{request.reason}\n\nYou may send a new request at any "
                "time.",
            )  # fmt: skip
        return view_with(request, user)

    return services.transaction(work)
