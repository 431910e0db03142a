"""list_api_keys: the organizer's API keys, revoked ones included, oldest first. What is
listed tells keys apart (name, prefix, scopes, times); it never holds a secret or a
digest."""

from __future__ import annotations

from datetime import datetime

from tickex.application.command import Command, Id, Result
from tickex.application.services import Core
from tickex.domain.identity import ApiKey, ApiScope
from tickex.ports.unit_of_work import UnitOfWork


class ListApiKeys(Command):
    organizer_id: Id


class ApiKeyView(Result):
    """An API key as its organizer sees it: no secret, no digest."""

    id: str
    name: str
    prefix: str
    scopes: tuple[ApiScope, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyView:
        return cls(
            id=key.id, name=key.name, prefix=key.prefix, scopes=tuple(sorted(key.granted_scopes)),
            created_at=key.created_at, last_used_at=key.last_used_at, revoked_at=key.revoked_at,
        )  # fmt: skip


def list_api_keys(services: Core, command: ListApiKeys) -> tuple[ApiKeyView, ...]:
    def query(uow: UnitOfWork) -> tuple[ApiKeyView, ...]:
        return tuple(ApiKeyView.of(k) for k in uow.api_keys.list_by_organizer(command.organizer_id))

    return services.read(query)
