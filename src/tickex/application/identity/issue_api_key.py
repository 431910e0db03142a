"""issue_api_key: an organizer's key for the external API. The secret is shown once (in
the result); only its digest and a short prefix to tell keys apart are stored. A key
carries a non-empty set of scopes and works until it is revoked (it has no expiry).

An organizer holds at most ``MAX_ACTIVE_API_KEYS`` active keys. The count is guarded by
saving the organizer (its version) in the same unit of work: two concurrent issues for
one organizer cannot both pass the check; the loser retries and counts again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field, StringConstraints

from tickex.application.command import Choice, Command, Id
from tickex.application.services import Core
from tickex.domain.errors import Conflict, NotFound
from tickex.domain.identity import ApiKey, ApiScope
from tickex.ports.identity import SecretPurpose, SecretToken
from tickex.ports.unit_of_work import UnitOfWork

MAX_ACTIVE_API_KEYS = 25

ApiKeyName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ApiKeyLimitReached(Conflict):
    """The organizer already holds ``MAX_ACTIVE_API_KEYS`` active keys: revoke one first.
    (Code ``conflict``: the limit is a state of the organizer's keys, not a bad request.)"""


class IssueApiKey(Command):
    organizer_id: Id
    name: ApiKeyName
    #: any collection of scopes (a set, a list, as a JSON body gives them), each by member
    #: or value ("events:read")
    scopes: Annotated[
        frozenset[Choice[ApiScope]],
        Field(min_length=1, max_length=len(ApiScope), strict=False),
    ]


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    key: ApiKey
    secret: str = field(repr=False)  # shown once, never stored


def issue_api_key(services: Core, command: IssueApiKey) -> IssuedApiKey:
    secret = SecretToken.generate(SecretPurpose.API_KEY)

    def work(uow: UnitOfWork) -> IssuedApiKey:
        organizer = uow.organizers.get(command.organizer_id)
        if organizer is None:
            raise NotFound("organizer not found")
        active = [k for k in uow.api_keys.list_by_organizer(organizer.id) if k.is_active]
        if len(active) >= MAX_ACTIVE_API_KEYS:
            raise ApiKeyLimitReached(
                f"an organizer has at most {MAX_ACTIVE_API_KEYS} active API keys; "
                "revoke one first", limit=MAX_ACTIVE_API_KEYS,
            )  # fmt: skip
        uow.organizers.save(organizer)  # the guard: a concurrent issue conflicts and retries
        key = ApiKey(
            id=services.ids.new_id(), organizer_id=organizer.id, name=command.name,
            prefix=secret.display_prefix, key_hash=secret.digest,
            created_at=services.clock.now(), scopes=tuple(sorted(command.scopes)),
        )  # fmt: skip
        uow.api_keys.add(key)
        return IssuedApiKey(key, secret.value)

    return services.transaction(work)
