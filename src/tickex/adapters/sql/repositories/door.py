"""Door repositories: check-ins (a scan nonce is recorded once) and staff credentials."""

from __future__ import annotations

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping import door as mapping
from tickex.adapters.sql.repositories.base import SqlRepository
from tickex.adapters.sql.repositories.identity import Revocable
from tickex.domain.check_in import CheckIn
from tickex.domain.errors import Conflict
from tickex.domain.identity import StaffCredential
from tickex.ports.repository import CheckInRepository, StaffCredentialRepository


class CheckIns(SqlRepository[CheckIn], CheckInRepository):
    table = s.check_ins
    load = mapping.check_in_from_row

    def add(self, check_in: CheckIn) -> None:
        c = check_in
        if not self._insert_unique(mapping.check_in_row(c)):
            if self.get_by_nonce(c.event_id, c.nonce) is not None:
                raise Conflict("this scan nonce was already recorded")
            raise Conflict(f"check_ins {c.id} already exists")

    def get_by_nonce(self, event_id: str, nonce: str) -> CheckIn | None:
        c = self.table.c
        return self._first(c.event_id == event_id, c.nonce == nonce)

    def list_by_ticket(self, ticket_id: str) -> list[CheckIn]:
        c = self.table.c
        return self._list(c.ticket_id == ticket_id, order_by=(c.recorded_at, c.id))


class StaffCredentials(Revocable[StaffCredential], StaffCredentialRepository):
    table = s.staff_credentials
    load = mapping.staff_credential_from_row

    def add(self, credential: StaffCredential) -> None:
        self._add(mapping.staff_credential_row(credential))

    def get(self, credential_id: str) -> StaffCredential | None:
        return self._get(credential_id)

    def list_by_event(self, event_id: str) -> list[StaffCredential]:
        return self._oldest_first("event_id", event_id)
