"""What an admin sees of an organizer request: the request and who asked (their email
and name as stored now), so that a decision is never made on a bare user id."""

from __future__ import annotations

from dataclasses import dataclass

from tickex.domain.errors import NotFound
from tickex.domain.identity import User
from tickex.domain.organizer_request import OrganizerRequest
from tickex.ports.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class OrganizerRequestView:
    request: OrganizerRequest
    applicant_email: str  # empty when the account is gone
    applicant_name: str


def view_of(uow: UnitOfWork, request: OrganizerRequest) -> OrganizerRequestView:
    return view_with(request, uow.users.get(request.user_id))


def view_with(request: OrganizerRequest, user: User | None) -> OrganizerRequestView:
    """The view when the applicant was read already (a decision reads them anyway)."""
    if user is None:
        return OrganizerRequestView(request, "", "")
    return OrganizerRequestView(request, user.email, user.name)


def request_to_decide(uow: UnitOfWork, request_id: str) -> OrganizerRequest:
    """The request an admin decides; ``NotFound`` for an unknown id."""
    request = uow.organizer_requests.get(request_id)
    if request is None:
        raise NotFound("organizer request not found")
    return request
