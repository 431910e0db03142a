"""Check-ins and staff credentials on MongoDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import door as m
from tickex.adapters.mongo.mapping.common import text, time_sort
from tickex.adapters.mongo.repositories.base import _Repo, by_creation
from tickex.adapters.mongo.repositories.identity import _Credentials
from tickex.domain.check_in import CheckIn
from tickex.domain.errors import Conflict
from tickex.domain.identity import StaffCredential
from tickex.ports.repository import CheckInRepository, StaffCredentialRepository


class MongoCheckInRepository(_Repo[CheckIn], CheckInRepository):
    name = Collections.CHECK_INS
    kind = "check-in"
    _load = staticmethod(m.check_in)

    def add(self, check_in: CheckIn) -> None:
        self._add(m.check_in_doc(check_in), Conflict("this scan nonce was already recorded"))

    def get_by_nonce(self, event_id: str, nonce: str) -> CheckIn | None:
        doc = self._one({"event_id": text(event_id, "event_id"), "nonce": text(nonce, "nonce")})
        return None if doc is None else m.check_in(doc)

    def list_by_ticket(self, ticket_id: str) -> list[CheckIn]:
        return self._list(
            {"ticket_id": text(ticket_id, "ticket_id")}, [*time_sort("recorded_at"), ("_id", 1)]
        )


class MongoStaffCredentialRepository(_Credentials[StaffCredential], StaffCredentialRepository):
    name = Collections.STAFF_CREDENTIALS
    kind = "staff credential"
    _load = staticmethod(m.staff_credential)

    def add(self, credential: StaffCredential) -> None:
        self._add_credential(m.staff_credential_doc(credential))

    def get(self, credential_id: str) -> StaffCredential | None:
        return self._by("_id", credential_id, "credential_id")

    def get_by_hash(self, token_hash: str) -> StaffCredential | None:
        return self._by_hash(token_hash)

    def list_by_event(self, event_id: str) -> list[StaffCredential]:
        return self._list({"event_id": text(event_id, "event_id")}, by_creation())

    def revoke(self, credential_id: str, now: datetime) -> bool:
        return self._revoke("credential_id", credential_id, now)

    def touch(self, credential_id: str, now: datetime) -> None:
        self._touch("credential_id", credential_id, now)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "check_ins": MongoCheckInRepository,
    "staff_credentials": MongoStaffCredentialRepository,
}
