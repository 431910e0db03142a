"""Organizers and organizer requests on MongoDB."""

from __future__ import annotations

from typing import Any

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import organizers as m
from tickex.adapters.mongo.repositories.base import Taken, Versioned, _Repo, by_creation
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.ports.repository import OrganizerRepository, OrganizerRequestRepository


class MongoOrganizerRepository(Versioned[Organizer], OrganizerRepository):
    name = Collections.ORGANIZERS
    kind = "organizer"
    spec = m.ORGANIZER

    def get_by_payment_account(self, account_id: str) -> Organizer | None:
        return self._by("payment_account_id", account_id, "account_id")


class MongoOrganizerRequestRepository(Versioned[OrganizerRequest], OrganizerRequestRepository):
    """The partial unique index ``pending_user_unique`` (see :mod:`indexes`) refuses a
    second pending request of a user, atomically in the server."""

    name = Collections.ORGANIZER_REQUESTS
    kind = "organizer request"
    spec = m.ORGANIZER_REQUEST
    id_name = "request_id"
    taken = Taken("this user already has a pending organizer request", field="user_id")

    def list_by_user(self, user_id: str) -> list[OrganizerRequest]:
        return self._list_by("user_id", user_id, by_creation(-1))

    def list_by_status(
        self, status: OrganizerRequestStatus, limit: int, offset: int
    ) -> list[OrganizerRequest]:
        query = {"status": OrganizerRequestStatus(status).value}
        return self._page(query, by_creation(), limit, offset)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "organizers": MongoOrganizerRepository,
    "organizer_requests": MongoOrganizerRequestRepository,
}
