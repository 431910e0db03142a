"""revoke_api_key: an API key stops working at once. Another organizer's key is
indistinguishable from an unknown one; revoking a revoked key changes nothing."""

from __future__ import annotations

from tickex.application.command import Command, Id
from tickex.application.identity.list_api_keys import ApiKeyView
from tickex.application.services import Core
from tickex.domain.errors import NotFound
from tickex.ports.unit_of_work import UnitOfWork


class RevokeApiKey(Command):
    organizer_id: Id
    key_id: Id


def revoke_api_key(services: Core, command: RevokeApiKey) -> ApiKeyView:
    def work(uow: UnitOfWork) -> ApiKeyView:
        now = services.clock.now()
        found = next(
            (k for k in uow.api_keys.list_by_organizer(command.organizer_id)
             if k.id == command.key_id),
            None,
        )  # fmt: skip
        if found is None or found.organizer_id != command.organizer_id:
            raise NotFound("API key not found")
        if uow.api_keys.revoke(found.id, now):
            found.revoked_at = now
        return ApiKeyView.of(found)

    return services.transaction(work)
