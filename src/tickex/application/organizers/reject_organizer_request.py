"""reject_organizer_request: an admin turns a pending request down with a reason, which
the user is told by email (through the outbox) and sees on their request. The user may
ask again afterwards."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from tickex.application.command import MULTILINE
from tickex.application.organizers.decision import RequestDecision, decide
from tickex.application.organizers.organizer_request_view import OrganizerRequestView
from tickex.application.services import NeedsDelivery
from tickex.domain.identity import User
from tickex.domain.organizer_request import MAX_REASON, OrganizerRequest
from tickex.ports.unit_of_work import UnitOfWork

Reason = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REASON), MULTILINE]


class RejectOrganizerRequest(RequestDecision):
    """An admin's rejection of a pending organizer request, with the reason."""

    reason: Reason


def reject_organizer_request(
    services: NeedsDelivery, command: RejectOrganizerRequest
) -> OrganizerRequestView:
    def reject(uow: UnitOfWork, request: OrganizerRequest, admin_id: str) -> User | None:
        request.reject(admin_id, command.reason, services.clock.now())  # only when pending
        uow.organizer_requests.save(request)
        return uow.users.get(request.user_id)

    return decide(services, command, "reject", reject)
