"""Organizers and organizer requests in memory."""

from __future__ import annotations

from typing import Any

from tickex.adapters.memory.repositories.base import _Repo, _Versioned, by_creation
from tickex.domain.errors import Conflict
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.ports.repository import OrganizerRepository, OrganizerRequestRepository


class _Organizers(_Versioned[Organizer], OrganizerRepository):
    table = "organizers"

    def get_by_payment_account(self, account_id: str) -> Organizer | None:
        return self._get_by("payment_account_id", account_id)


class _OrganizerRequests(_Versioned[OrganizerRequest], OrganizerRequestRepository):
    table = "organizer_requests"

    def add(self, request: OrganizerRequest) -> None:
        """At most one pending request per user (a partial unique index elsewhere)."""
        self._add_unique(
            request,
            lambda r: request.is_pending and r.user_id == request.user_id and r.is_pending,
            Conflict("this user already has a pending organizer request", field="user_id"),
        )

    def list_by_user(self, user_id: str) -> list[OrganizerRequest]:
        return self._sorted(lambda r: r.user_id == user_id, by_creation, reverse=True)

    def list_by_status(
        self, status: OrganizerRequestStatus, limit: int, offset: int
    ) -> list[OrganizerRequest]:
        found = self._sorted(lambda r: r.status is status, by_creation)
        return found[offset : offset + limit]


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "organizers": _Organizers,
    "organizer_requests": _OrganizerRequests,
}
