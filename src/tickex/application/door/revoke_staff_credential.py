"""revoke_staff_credential: a door-scanner token stops working at once. Another
organizer's credential is indistinguishable from an unknown one."""

from __future__ import annotations

from tickex.application.command import Command, Id
from tickex.application.services import Core
from tickex.domain.errors import NotFound
from tickex.domain.identity import StaffCredential
from tickex.ports.unit_of_work import UnitOfWork


class RevokeStaffCredential(Command):
    organizer_id: Id
    credential_id: Id


def revoke_staff_credential(services: Core, command: RevokeStaffCredential) -> StaffCredential:
    def work(uow: UnitOfWork) -> StaffCredential:
        found = uow.staff_credentials.get(command.credential_id)
        if found is None or found.organizer_id != command.organizer_id:
            raise NotFound("staff credential not found")
        now = services.clock.now()
        if uow.staff_credentials.revoke(found.id, now):
            found.revoked_at = now
        return found

    return services.transaction(work)
