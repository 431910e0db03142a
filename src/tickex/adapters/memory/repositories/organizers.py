"""Organizers and organizer requests in memory."""

from __future__ import annotations

from tickex.adapters.memory.repositories.base import _Repo
from tickex.domain.errors import Conflict
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.ports.repository import OrganizerRepository, OrganizerRequestRepository


class _Organizers(_Repo, OrganizerRepository):
    table = "organizers"

    def add(self, organizer: Organizer) -> None:
        self._insert(organizer.id, organizer)

    def get(self, organizer_id: str) -> Organizer | None:
        return self._get(organizer_id)  # type: ignore[no-any-return]

    def save(self, organizer: Organizer) -> None:
        self._save_versioned(organizer)


class _OrganizerRequests(_Repo, OrganizerRequestRepository):
    table = "organizer_requests"

    def add(self, request: OrganizerRequest) -> None:
        if request.is_pending and any(
            r.user_id == request.user_id and r.is_pending for r in self._uow.scan(self.table)
        ):
            raise Conflict("this user already has a pending organizer request", field="user_id")
        self._insert(request.id, request)

    def get(self, request_id: str) -> OrganizerRequest | None:
        return self._get(request_id)  # type: ignore[no-any-return]

    def list_by_user(self, user_id: str) -> list[OrganizerRequest]:
        found = self._find(lambda r: r.user_id == user_id)
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)

    def list_by_status(
        self, status: OrganizerRequestStatus, limit: int, offset: int
    ) -> list[OrganizerRequest]:
        found = self._find(lambda r: r.status is status)
        return sorted(found, key=lambda r: (r.created_at, r.id))[offset : offset + limit]

    def save(self, request: OrganizerRequest) -> None:
        self._save_versioned(request)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo]] = {
    "organizers": _Organizers,
    "organizer_requests": _OrganizerRequests,
}
