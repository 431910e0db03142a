"""An admin's decision on an organizer request, the part that approving and rejecting
share: only an admin decides, on a request that exists, in one unit of work that retries
when another decision raced it, and the applicant is told by email through the outbox
(both emails are written here, ``_tell``)."""

from __future__ import annotations

from collections.abc import Callable

from tickex.application.command import Command, Id
from tickex.application.delivery.outbox import notify
from tickex.application.identity.admin import require_admin
from tickex.application.organizers.organizer_request_view import OrganizerRequestView, view_with
from tickex.application.services import NeedsDelivery
from tickex.domain.errors import NotFound
from tickex.domain.identity import Principal, User
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.ports.unit_of_work import UnitOfWork


class RequestDecision(Command):
    """An admin's decision on one organizer request."""

    actor: Principal
    request_id: Id


#: what a decision does in its unit of work, given the request and the deciding admin's
#: id: it returns the applicant it read (``None``: the account is gone, and nobody is told)
Decide = Callable[[UnitOfWork, OrganizerRequest, str], User | None]


def decide(
    services: NeedsDelivery, command: RequestDecision, verb: str, decision: Decide
) -> OrganizerRequestView:
    """Run ``decision`` on the request (``verb``: what a non-admin is told they may not do
    to organizer requests) and tell the applicant; ``NotFound`` for an unknown request."""
    admin_id = require_admin(command.actor, f"{verb} organizer requests")

    def work(uow: UnitOfWork) -> OrganizerRequestView:
        request = uow.organizer_requests.get(command.request_id)
        if request is None:
            raise NotFound("organizer request not found")
        applicant = decision(uow, request, admin_id)
        if applicant is not None:
            _tell(services, uow, request, applicant)
        return view_with(request, applicant)

    return services.transaction(work)


def _tell(services: NeedsDelivery, uow: UnitOfWork, request: OrganizerRequest, user: User) -> None:
    """The applicant's email about the decision, once per request and outcome."""
    if request.status is OrganizerRequestStatus.APPROVED:
        subject = "You can run events on TickEx now"
        outcome = (
            f"was approved. Sign in at {services.delivery.links.home()} to create your first event."
        )
    else:
        subject = "Your TickEx organizer request"
        outcome = (
            f"was not approved:\n\n{request.reason}\n\nYou may send a new request at any time."
        )
    notify(
        services, uow, f"organizer-request-{request.status.value}:{request.id}", user.email,
        subject,
        f"Hello {user.name},\n\nyour request to run events as {request.organizer_name} {outcome}",
    )  # fmt: skip
