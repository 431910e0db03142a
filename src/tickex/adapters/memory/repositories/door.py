"""Check-ins and staff credentials in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickex.adapters.memory.repositories.base import _Repo, by_creation
from tickex.adapters.memory.repositories.identity import _ByHash
from tickex.domain.check_in import CheckIn
from tickex.domain.errors import Conflict
from tickex.domain.identity import StaffCredential
from tickex.ports.repository import CheckInRepository, StaffCredentialRepository


class _CheckIns(_Repo[CheckIn], CheckInRepository):
    table = "check_ins"

    def add(self, check_in: CheckIn) -> None:
        self._add_unique(
            check_in,
            lambda c: c.event_id == check_in.event_id and c.nonce == check_in.nonce,
            Conflict("this scan nonce was already recorded"),
        )

    def get_by_nonce(self, event_id: str, nonce: str) -> CheckIn | None:
        return self._first(lambda c: c.event_id == event_id and c.nonce == nonce)

    def list_by_ticket(self, ticket_id: str) -> list[CheckIn]:
        return self._sorted(lambda c: c.ticket_id == ticket_id, lambda c: (c.recorded_at, c.id))


class _StaffCredentials(_ByHash[StaffCredential], StaffCredentialRepository):
    table = "staff_credentials"

    def add(self, credential: StaffCredential) -> None:
        self._add_credential(credential)

    def get(self, credential_id: str) -> StaffCredential | None:
        return self._get(credential_id)

    def get_by_hash(self, token_hash: str) -> StaffCredential | None:
        return self._by_hash(token_hash)

    def list_by_event(self, event_id: str) -> list[StaffCredential]:
        return self._sorted(lambda c: c.event_id == event_id, by_creation)

    def revoke(self, credential_id: str, now: datetime) -> bool:
        return self._revoke(credential_id, now)

    def touch(self, credential_id: str, now: datetime) -> None:
        self._touch(credential_id, now)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "check_ins": _CheckIns,
    "staff_credentials": _StaffCredentials,
}
