"""What an admin sees of an organizer request: the request and who asked (their email
and name as stored now), so that a decision is never made on a bare user id."""

from __future__ import annotations

from dataclasses import dataclass

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
