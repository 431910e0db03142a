"""Door repositories: check-ins (a scan nonce is recorded once) and staff credentials."""

from __future__ import annotations

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping import door as mapping
from tickex.adapters.sql.repositories.base import Gettable, Insertable, Unique
from tickex.adapters.sql.repositories.identity import Revocable
from tickex.domain.check_in import CheckIn
from tickex.domain.identity import StaffCredential
from tickex.ports.repository import CheckInRepository, StaffCredentialRepository


class CheckIns(Insertable[CheckIn], CheckInRepository):
    table = s.check_ins
    load = mapping.check_in_from_row
    dump = mapping.check_in_row
    unique = (Unique(("event_id", "nonce"), "this scan nonce was already recorded"),)

    def get_by_nonce(self, event_id: str, nonce: str) -> CheckIn | None:
        c = self.table.c
        return self._first(c.event_id == event_id, c.nonce == nonce)

    def list_by_ticket(self, ticket_id: str) -> list[CheckIn]:
        c = self.table.c
        return self._list(c.ticket_id == ticket_id, order_by=(c.recorded_at, c.id))


class StaffCredentials(
    Revocable[StaffCredential], Gettable[StaffCredential], StaffCredentialRepository
):
    table = s.staff_credentials
    load = mapping.staff_credential_from_row
    dump = mapping.staff_credential_row

    def list_by_event(self, event_id: str) -> list[StaffCredential]:
        return self._oldest_first("event_id", event_id)
