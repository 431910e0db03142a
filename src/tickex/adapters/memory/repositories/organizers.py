"""Organizers and organizer requests in memory."""

from __future__ import annotations

from typing import Any

from tickex.adapters.memory.repositories.base import _Repo, by_creation
from tickex.domain.errors import Conflict
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.ports.repository import OrganizerRepository, OrganizerRequestRepository


class _Organizers(_Repo[Organizer], OrganizerRepository):
    table = "organizers"

    def add(self, organizer: Organizer) -> None:
        self._add(organizer)

    def get(self, organizer_id: str) -> Organizer | None:
        return self._get(organizer_id)

    def save(self, organizer: Organizer) -> None:
        self._save_versioned(organizer)


class _OrganizerRequests(_Repo[OrganizerRequest], OrganizerRequestRepository):
    table = "organizer_requests"

    def add(self, request: OrganizerRequest) -> None:
        self._add_unique(
            request,
            lambda r: request.is_pending and r.user_id == request.user_id and r.is_pending,
            Conflict("this user already has a pending organizer request", field="user_id"),
        )

    def get(self, request_id: str) -> OrganizerRequest | None:
        return self._get(request_id)

    def list_by_user(self, user_id: str) -> list[OrganizerRequest]:
        return self._sorted(lambda r: r.user_id == user_id, by_creation, reverse=True)

    def list_by_status(
        self, status: OrganizerRequestStatus, limit: int, offset: int
    ) -> list[OrganizerRequest]:
        found = self._sorted(lambda r: r.status is status, by_creation)
        return found[offset : offset + limit]

    def save(self, request: OrganizerRequest) -> None:
        self._save_versioned(request)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "organizers": _Organizers,
    "organizer_requests": _OrganizerRequests,
}
