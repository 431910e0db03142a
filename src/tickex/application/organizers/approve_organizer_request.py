"""approve_organizer_request: an admin approves a pending request. In one unit of work: a
new Organizer (the requested name, the user's email), the organizer role for it on the
user, the request marked approved, and an email to the user through the outbox.

The user's signed-in sessions get the role at once: ``authenticate`` reads roles from
storage on every request. Approving twice is ``InvalidTransition``; two admins approving
at once race on the request's version and the loser's unit (organizer included) rolls
back, retries and finds the request decided. An admin may not approve their own request
(``SelfDecision``, 403): another admin has to."""

from __future__ import annotations

from tickex.application.identity.admin import refuse_own_account
from tickex.application.organizers.decision import RequestDecision, decide
from tickex.application.organizers.organizer_request_view import OrganizerRequestView
from tickex.application.services import NeedsDelivery
from tickex.domain.errors import Conflict, InvalidTransition
from tickex.domain.identity import Role, User
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest
from tickex.ports.unit_of_work import UnitOfWork


class ApproveOrganizerRequest(RequestDecision):
    """An admin's approval of a pending organizer request."""


def approve_organizer_request(
    services: NeedsDelivery, command: ApproveOrganizerRequest
) -> OrganizerRequestView:
    def approve(uow: UnitOfWork, request: OrganizerRequest, admin_id: str) -> User:
        refuse_own_account(admin_id, request.user_id, "approve the organizer request of")
        if not request.is_pending:
            raise InvalidTransition(f"the request was already {request.status.value}")
        now = services.clock.now()
        organizer_id = services.ids.new_id()
        request.approve(admin_id, organizer_id, now)
        # The contended row first, before anything else is read: a racing decision makes
        # this save fail, and the retry finds the request decided. (Reading the user first
        # could see the winner's role on PostgreSQL -- each statement reads the newest
        # commit -- and answer "already an organizer" for a request decided meanwhile.)
        uow.organizer_requests.save(request)
        user = uow.users.get(request.user_id)
        if user is None or not user.is_active:
            raise InvalidTransition("the account that asked is gone or disabled")
        if user.has_role(Role.ORGANIZER):
            raise Conflict("this account is already an organizer")
        uow.organizers.add(
            Organizer(id=organizer_id, name=request.organizer_name, email=user.email,
                      created_at=now)
        )  # fmt: skip
        user.grant(Role.ORGANIZER, organizer_id)
        uow.users.save(user)
        return user

    return decide(services, command, "approve", approve)
