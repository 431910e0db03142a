"""Organizers and organizer requests on MongoDB."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import organizers as m
from tickex.adapters.mongo.mapping.common import Document, count, text, time_sort
from tickex.adapters.mongo.repositories.base import Session, _Repo, duplicate_of
from tickex.domain.errors import Conflict
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.ports.repository import OrganizerRepository, OrganizerRequestRepository


class MongoOrganizerRepository(_Repo, OrganizerRepository):
    name = Collections.ORGANIZERS

    def add(self, organizer: Organizer) -> None:
        self._insert(
            m.organizer_doc(organizer),
            lambda _: Conflict(f"organizer {organizer.id} already exists"),
        )

    def get(self, organizer_id: str) -> Organizer | None:
        doc = self._one({"_id": text(organizer_id, "organizer_id")})
        return None if doc is None else m.organizer(doc)

    def save(self, organizer: Organizer) -> None:
        self._save_versioned(organizer, m.organizer_doc(organizer))


class MongoOrganizerRequestRepository(_Repo, OrganizerRequestRepository):
    """The partial unique index ``pending_user_unique`` (see :mod:`indexes`) refuses a
    second pending request of a user, atomically in the server."""

    name = Collections.ORGANIZER_REQUESTS

    def add(self, request: OrganizerRequest) -> None:
        def conflict(exc: DuplicateKeyError) -> Conflict:
            if duplicate_of(exc) == {"_id"}:
                return Conflict(f"organizer request {request.id} already exists")
            return Conflict("this user already has a pending organizer request", field="user_id")

        self._insert(m.organizer_request_doc(request), conflict)

    def get(self, request_id: str) -> OrganizerRequest | None:
        doc = self._one({"_id": text(request_id, "request_id")})
        return None if doc is None else m.organizer_request(doc)

    def list_by_user(self, user_id: str) -> list[OrganizerRequest]:
        docs = self._many(
            {"user_id": text(user_id, "user_id")}, [*time_sort("created_at", -1), ("_id", -1)]
        )
        return [m.organizer_request(d) for d in docs]

    def list_by_status(
        self, status: OrganizerRequestStatus, limit: int, offset: int
    ) -> list[OrganizerRequest]:
        query = {"status": OrganizerRequestStatus(status).value}
        sort = [*time_sort("created_at"), ("_id", 1)]
        skip, limit = count(offset, "offset"), count(limit, "limit")
        if limit == 0:  # to MongoDB, a limit of 0 means none
            return []

        def run(s: Session) -> list[Document]:
            return list(self._c.find(query, sort=sort, skip=skip, limit=limit, session=s))

        return [m.organizer_request(d) for d in self._w.read(run)]

    def save(self, request: OrganizerRequest) -> None:
        self._save_versioned(request, m.organizer_request_doc(request))


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo]] = {
    "organizers": MongoOrganizerRepository,
    "organizer_requests": MongoOrganizerRequestRepository,
}
