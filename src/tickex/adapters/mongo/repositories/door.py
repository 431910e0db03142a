"""Check-ins and staff credentials on MongoDB."""

from __future__ import annotations

from typing import Any

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import door as m
from tickex.adapters.mongo.mapping.common import text, time_sort
from tickex.adapters.mongo.repositories.base import Gettable, Insertable, Taken, _Repo, by_creation
from tickex.adapters.mongo.repositories.identity import _RevocableCredentials
from tickex.domain.check_in import CheckIn
from tickex.domain.identity import StaffCredential
from tickex.ports.repository import CheckInRepository, StaffCredentialRepository


class MongoCheckInRepository(Insertable[CheckIn], CheckInRepository):
    name = Collections.CHECK_INS
    kind = "check-in"
    spec = m.CHECK_IN
    taken = Taken("this scan nonce was already recorded")

    def get_by_nonce(self, event_id: str, nonce: str) -> CheckIn | None:
        return self._first({"event_id": text(event_id, "event_id"), "nonce": text(nonce, "nonce")})

    def list_by_ticket(self, ticket_id: str) -> list[CheckIn]:
        return self._list_by("ticket_id", ticket_id, [*time_sort("recorded_at"), ("_id", 1)])


class MongoStaffCredentialRepository(
    _RevocableCredentials[StaffCredential],
    Gettable[StaffCredential],
    StaffCredentialRepository,
):
    name = Collections.STAFF_CREDENTIALS
    kind = "staff credential"
    spec = m.STAFF_CREDENTIAL

    def list_by_event(self, event_id: str) -> list[StaffCredential]:
        return self._list_by("event_id", event_id, by_creation())


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "check_ins": MongoCheckInRepository,
    "staff_credentials": MongoStaffCredentialRepository,
}
