"""authenticate_api_key: the organizer an API key acts for, as a ``Principal``: the
organizer role, the key's scopes, and no user (account routes refuse it). A revoked,
unknown or malformed key, or one whose organizer is gone, is ``invalid_token``.

The key's ``last_used_at`` moves at most once every ``TOUCH_INTERVAL``: a busy
integration is answered from a read-only unit of work, and writes once a minute."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, StringConstraints

from tickex.application.command import Command
from tickex.application.services import Services
from tickex.domain.identity import ApiKey, Principal, Role
from tickex.ports.identity import (
    InvalidToken,
    SecretPurpose,
    SecretToken,
    secret_digest,
    secret_matches,
)
from tickex.ports.unit_of_work import UnitOfWork

TOUCH_INTERVAL = timedelta(minutes=1)


class AuthenticateApiKey(Command):
    key: Annotated[str, StringConstraints(min_length=1, max_length=4096)] = Field(repr=False)


def authenticate_api_key(services: Services, command: AuthenticateApiKey) -> Principal:
    if SecretToken.purpose_of(command.key) is not SecretPurpose.API_KEY:
        raise InvalidToken("malformed", "not an API key")
    digest = secret_digest(command.key)

    def query(uow: UnitOfWork) -> ApiKey:
        key = uow.api_keys.get_by_hash(digest)
        if key is None or not key.is_active or not secret_matches(command.key, key.key_hash):
            raise InvalidToken("revoked", "the API key is unknown or revoked")
        if uow.organizers.get(key.organizer_id) is None:
            raise InvalidToken("ended", "the API key's organizer no longer exists")
        return key

    key = services.read(query)
    now = services.clock.now()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
        services.transaction(lambda uow: uow.api_keys.touch(key.id, now))
    return Principal(
        user_id=None, roles=frozenset({Role.ORGANIZER}), organizer_id=key.organizer_id,
        scopes=key.granted_scopes, api_key_id=key.id,
    )  # fmt: skip
