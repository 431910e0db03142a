"""issue_staff_credential: a door-scanner token for one of the organizer's events. The
secret is shown once (in the result); only its digest is stored."""

from __future__ import annotations

from dataclasses import dataclass, field

from tickex.application.command import EventCommand, Name
from tickex.application.services import Core, owned_event
from tickex.domain.identity import StaffCredential
from tickex.ports.identity import SecretPurpose, SecretToken
from tickex.ports.unit_of_work import UnitOfWork


class IssueStaffCredential(EventCommand):
    label: Name


@dataclass(frozen=True, slots=True)
class IssuedStaffCredential:
    credential: StaffCredential
    token: str = field(repr=False)  # shown once, never stored


def issue_staff_credential(services: Core, command: IssueStaffCredential) -> IssuedStaffCredential:
    secret = SecretToken.generate(SecretPurpose.STAFF_CREDENTIAL)

    def work(uow: UnitOfWork) -> IssuedStaffCredential:
        event = owned_event(uow, command.event_id, command.organizer_id)
        credential = StaffCredential(
            id=services.ids.new_id(), event_id=event.id, organizer_id=command.organizer_id,
            label=command.label, token_hash=secret.digest, created_at=services.clock.now(),
        )  # fmt: skip
        uow.staff_credentials.add(credential)
        return IssuedStaffCredential(credential, secret.value)

    return services.transaction(work)
