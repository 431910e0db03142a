"""authenticate_api_key: the organizer an API key acts for, as a ``Principal``: the
organizer role, the key's scopes, and no user (account routes refuse it). A revoked,
unknown or malformed key, or one whose organizer is gone, is ``invalid_token``; so is a
key whose owner is disabled: accounts act for the organizer and none of them is active
(read on every use, so disabling the owner stops the key at once). An organizer no
account acts for (made by a Python caller of the library) keeps its keys.

The key's ``last_used_at`` moves at most once every ``TOUCH_INTERVAL``: a busy
integration is answered from a read-only unit of work, and writes once a minute."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from tickex.application.command import Command, Secret
from tickex.application.identity.secrets import active_credential, digest_of
from tickex.application.services import Core
from tickex.domain.identity import ApiKey, Principal, Role
from tickex.ports.identity import InvalidToken, SecretPurpose, secret_matches
from tickex.ports.unit_of_work import UnitOfWork

TOUCH_INTERVAL = timedelta(minutes=1)


class AuthenticateApiKey(Command):
    key: Secret = Field(repr=False)


def authenticate_api_key(services: Core, command: AuthenticateApiKey) -> Principal:
    digest = digest_of(command.key, SecretPurpose.API_KEY, "not an API key")

    def query(uow: UnitOfWork) -> ApiKey:
        key = active_credential(uow.api_keys, digest, "API key")
        if not secret_matches(command.key, key.key_hash):  # the key found is the one presented
            raise InvalidToken("revoked", "the API key is unknown or revoked")
        if uow.organizers.get(key.organizer_id) is None:
            raise InvalidToken("ended", "the API key's organizer no longer exists")
        owners = uow.users.list_by_organizer(key.organizer_id)
        if owners and not any(owner.is_active for owner in owners):
            raise InvalidToken("disabled", "the API key's owner is disabled")
        return key

    key = services.read(query)
    now = services.clock.now()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
        services.transaction(lambda uow: uow.api_keys.touch(key.id, now))
    return Principal(
        user_id=None, roles=frozenset({Role.ORGANIZER}), organizer_id=key.organizer_id,
        scopes=key.granted_scopes, api_key_id=key.id,
    )  # fmt: skip
