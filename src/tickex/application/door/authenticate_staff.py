"""authenticate_staff: the event a door-scanner token acts for, as a ``Principal`` with no
user and no role. A revoked, unknown or malformed token is ``invalid_token``."""

from __future__ import annotations

from pydantic import Field

from tickex.application.command import Command, Secret
from tickex.application.identity.secrets import active_credential, digest_of
from tickex.application.services import Core
from tickex.domain.identity import Principal
from tickex.ports.identity import SecretPurpose
from tickex.ports.unit_of_work import UnitOfWork


class AuthenticateStaff(Command):
    token: Secret = Field(repr=False)


def authenticate_staff(services: Core, command: AuthenticateStaff) -> Principal:
    digest = digest_of(command.token, SecretPurpose.STAFF_CREDENTIAL, "not a staff credential")

    def work(uow: UnitOfWork) -> Principal:
        credential = active_credential(uow.staff_credentials, digest, "staff credential")
        uow.staff_credentials.touch(credential.id, services.clock.now())
        return Principal(
            user_id=None, roles=frozenset(), organizer_id=credential.organizer_id,
            event_id=credential.event_id,
        )  # fmt: skip

    return services.transaction(work)
