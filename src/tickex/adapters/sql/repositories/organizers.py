"""Organizer repositories: organizers and the requests for the organizer role."""

from __future__ import annotations

from typing import Any

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping import organizers as mapping
from tickex.adapters.sql.repositories.base import Versioned
from tickex.domain.errors import Conflict
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.ports.repository import OrganizerRepository, OrganizerRequestRepository


class Organizers(Versioned[Organizer], OrganizerRepository):
    table = s.organizers
    load = mapping.organizer_from_row
    dump = mapping.organizer_row
    conflict = "organizer {id} already exists"

    def get_by_payment_account(self, account_id: str) -> Organizer | None:
        return self._get_by("payment_account_id", account_id)


class OrganizerRequests(Versioned[OrganizerRequest], OrganizerRequestRepository):
    table = s.organizer_requests
    load = mapping.organizer_request_from_row
    dump = mapping.organizer_request_row
    conflict = "organizer request {id} already exists"

    def _taken(self, row: dict[str, Any]) -> Conflict:
        """The partial unique index over pending requests refuses a second one for the
        user, also against a concurrent unit (on PostgreSQL the second insert waits for the
        first to commit, then inserts nothing): when the id is free, that was the clash."""
        if self._row_by("id", row["id"]) is not None:
            return super()._taken(row)
        return Conflict("this user already has a pending organizer request", field="user_id")

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
