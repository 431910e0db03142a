"""Organizers and organizer requests on MongoDB."""

from __future__ import annotations

from typing import Any

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import organizers as m
from tickex.adapters.mongo.mapping.common import Document, count, text
from tickex.adapters.mongo.repositories.base import Session, _Repo, by_creation
from tickex.domain.errors import Conflict
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.ports.repository import OrganizerRepository, OrganizerRequestRepository


class MongoOrganizerRepository(_Repo[Organizer], OrganizerRepository):
    name = Collections.ORGANIZERS
    kind = "organizer"
    _load = staticmethod(m.organizer)

    def add(self, organizer: Organizer) -> None:
        self._add(m.organizer_doc(organizer))

    def get(self, organizer_id: str) -> Organizer | None:
        return self._by("_id", organizer_id, "organizer_id")

    def save(self, organizer: Organizer) -> None:
        self._save_versioned(organizer, m.organizer_doc(organizer))


class MongoOrganizerRequestRepository(_Repo[OrganizerRequest], OrganizerRequestRepository):
    """The partial unique index ``pending_user_unique`` (see :mod:`indexes`) refuses a
    second pending request of a user, atomically in the server."""

    name = Collections.ORGANIZER_REQUESTS
    kind = "organizer request"
    _load = staticmethod(m.organizer_request)

    def add(self, request: OrganizerRequest) -> None:
        self._add(
            m.organizer_request_doc(request),
            Conflict("this user already has a pending organizer request", field="user_id"),
        )

    def get(self, request_id: str) -> OrganizerRequest | None:
        return self._by("_id", request_id, "request_id")

    def list_by_user(self, user_id: str) -> list[OrganizerRequest]:
        return self._list({"user_id": text(user_id, "user_id")}, by_creation(-1))

    def list_by_status(
        self, status: OrganizerRequestStatus, limit: int, offset: int
    ) -> list[OrganizerRequest]:
        query = {"status": OrganizerRequestStatus(status).value}
        sort = by_creation()
        skip, limit = count(offset, "offset"), count(limit, "limit")
        if limit == 0:  # to MongoDB, a limit of 0 means none
            return []

        def run(s: Session) -> list[Document]:
            return list(self._c.find(query, sort=sort, skip=skip, limit=limit, session=s))

        return [m.organizer_request(d) for d in self._w.read(run)]

    def save(self, request: OrganizerRequest) -> None:
        self._save_versioned(request, m.organizer_request_doc(request))


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "organizers": MongoOrganizerRepository,
    "organizer_requests": MongoOrganizerRequestRepository,
}
