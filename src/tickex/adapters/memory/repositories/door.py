"""Check-ins and staff credentials in memory."""

from __future__ import annotations

from datetime import datetime

from tickex.adapters.memory.repositories.base import _Repo
from tickex.adapters.memory.repositories.identity import _ByHash
from tickex.domain.check_in import CheckIn
from tickex.domain.errors import Conflict
from tickex.domain.identity import StaffCredential
from tickex.ports.repository import CheckInRepository, StaffCredentialRepository


class _CheckIns(_Repo, CheckInRepository):
    table = "check_ins"

    def add(self, check_in: CheckIn) -> None:
        if self.get_by_nonce(check_in.event_id, check_in.nonce) is not None:
            raise Conflict("this scan nonce was already recorded")
        self._insert(check_in.id, check_in)

    def get_by_nonce(self, event_id: str, nonce: str) -> CheckIn | None:
        found = self._find(lambda c: c.event_id == event_id and c.nonce == nonce)
        return found[0] if found else None

    def list_by_ticket(self, ticket_id: str) -> list[CheckIn]:
        found = self._find(lambda c: c.ticket_id == ticket_id)
        return sorted(found, key=lambda c: (c.recorded_at, c.id))


class _StaffCredentials(_ByHash, StaffCredentialRepository):
    table = "staff_credentials"

    def add(self, credential: StaffCredential) -> None:
        self._insert_unique_hash(credential)

    def get(self, credential_id: str) -> StaffCredential | None:
        return self._get(credential_id)  # type: ignore[no-any-return]

    def get_by_hash(self, token_hash: str) -> StaffCredential | None:
        return self._by_hash(token_hash)  # type: ignore[no-any-return]

    def list_by_event(self, event_id: str) -> list[StaffCredential]:
        found = self._find(lambda c: c.event_id == event_id)
        return sorted(found, key=lambda c: (c.created_at, c.id))

    def revoke(self, credential_id: str, now: datetime) -> bool:
        return self._update(credential_id, lambda c: c.revoked_at is None, revoked_at=now)

    def touch(self, credential_id: str, now: datetime) -> None:
        self._update(credential_id, lambda _: True, last_used_at=now)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo]] = {
    "check_ins": _CheckIns,
    "staff_credentials": _StaffCredentials,
}
