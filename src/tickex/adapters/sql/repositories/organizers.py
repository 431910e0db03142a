"""Organizer repositories: organizers and the requests for the organizer role."""

from __future__ import annotations

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping import organizers as mapping
from tickex.adapters.sql.repositories.base import SqlRepository
from tickex.domain.errors import Conflict
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.ports.repository import OrganizerRepository, OrganizerRequestRepository


class Organizers(SqlRepository[Organizer], OrganizerRepository):
    table = s.organizers
    load = mapping.organizer_from_row

    def add(self, organizer: Organizer) -> None:
        self._insert(mapping.organizer_row(organizer), f"organizer {organizer.id}")

    def get(self, organizer_id: str) -> Organizer | None:
        return self._get(organizer_id)

    def save(self, organizer: Organizer) -> None:
        self._save_versioned(organizer, mapping.organizer_row(organizer))


class OrganizerRequests(SqlRepository[OrganizerRequest], OrganizerRequestRepository):
    table = s.organizer_requests
    load = mapping.organizer_request_from_row

    def add(self, request: OrganizerRequest) -> None:
        """INSERT ... ON CONFLICT DO NOTHING: the partial unique index over pending
        requests refuses a second one for the user, also against a concurrent unit (on
        PostgreSQL the second insert waits for the first to commit, then inserts nothing)."""
        if not self._insert_unique(mapping.organizer_request_row(request)):
            if self._row_by("id", request.id) is not None:
                raise Conflict(f"organizer request {request.id} already exists")
            raise Conflict("this user already has a pending organizer request", field="user_id")

    def get(self, request_id: str) -> OrganizerRequest | None:
        return self._get(request_id)

    def list_by_user(self, user_id: str) -> list[OrganizerRequest]:
        c = self.table.c
        return self._list(c.user_id == user_id, order_by=(c.created_at.desc(), c.id.desc()))

    def list_by_status(
        self, status: OrganizerRequestStatus, limit: int, offset: int
    ) -> list[OrganizerRequest]:
        c = self.table.c
        return self._list(
            c.status == OrganizerRequestStatus(status).value,
            order_by=(c.created_at, c.id),
            limit=limit,
            offset=offset,
        )

    def save(self, request: OrganizerRequest) -> None:
        self._save_versioned(request, mapping.organizer_request_row(request))
