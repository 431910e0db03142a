"""Check-ins and staff credentials in memory."""

from __future__ import annotations

from typing import Any

from tickex.adapters.memory.repositories.base import (
    Unique,
    _Gettable,
    _Insertable,
    _Repo,
    by_creation,
)
from tickex.adapters.memory.repositories.identity import _Revocable
from tickex.domain.check_in import CheckIn
from tickex.domain.identity import StaffCredential
from tickex.ports.repository import CheckInRepository, StaffCredentialRepository


class _CheckIns(_Insertable[CheckIn], CheckInRepository):
    table = "check_ins"
    unique = (Unique(("event_id", "nonce"), "this scan nonce was already recorded"),)

    def get_by_nonce(self, event_id: str, nonce: str) -> CheckIn | None:
        return self._first(lambda c: c.event_id == event_id and c.nonce == nonce)

    def list_by_ticket(self, ticket_id: str) -> list[CheckIn]:
        return self._sorted(lambda c: c.ticket_id == ticket_id, lambda c: (c.recorded_at, c.id))


class _StaffCredentials(
    _Revocable[StaffCredential], _Gettable[StaffCredential], StaffCredentialRepository
):
    table = "staff_credentials"

    def list_by_event(self, event_id: str) -> list[StaffCredential]:
        return self._sorted(lambda c: c.event_id == event_id, by_creation)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "check_ins": _CheckIns,
    "staff_credentials": _StaffCredentials,
}
