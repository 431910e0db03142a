"""``/v1/organizer/api-keys``: an organizer manages the keys of their integrations.

A key is created with a name and a non-empty set of scopes; its secret (``tkx_ak_...``) is
in the answer to ``createApiKey`` and nowhere else, ever. The list shows each key's
prefix, scopes and times, never a secret. A revoked key stops working at once.

Managing keys needs a user's own access token: these routes name no scope, so the
``authenticated`` guard refuses an API key here with 403 (a key cannot mint or revoke
keys). The organizer routes that do take a key are documented with a second security
scheme naming the scope they need (``guards.document_api_key_scopes``).
"""

from __future__ import annotations

from litestar import get, post
from litestar.params import JSONBody

from tickex.application.identity.issue_api_key import IssueApiKey
from tickex.application.identity.list_api_keys import ListApiKeys
from tickex.application.identity.revoke_api_key import RevokeApiKey
from tickex.domain.errors import Forbidden
from tickex.domain.identity import Principal
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.identity import schemas
from tickex.entrypoints.http.organizer import OrganizerController, organizer_id, organizer_route
from tickex.entrypoints.http.routes import PathId


def _managing_organizer(principal: Principal) -> str:
    """The signed-in user's organizer; never an API key's (the guard refuses it already)."""
    if principal.api_key_id is not None or principal.user_id is None:
        raise Forbidden("managing API keys needs a user's access token")
    return organizer_id(principal)


class ApiKeyController(OrganizerController):
    path = "/v1/organizer/api-keys"

    @organizer_route(
        post, "/", "createApiKey", None,
        "A key for the external API with the scopes given (the secret is shown once)", 404, 409,
        body=True, status_code=201,
    )  # fmt: skip
    def create_api_key(
        self, data: JSONBody[schemas.CreateApiKeyInput], tickex: App, principal: CurrentPrincipal
    ) -> schemas.IssuedApiKeyOut:
        issued = tickex.issue_api_key(
            IssueApiKey(organizer_id=_managing_organizer(principal), **data.model_dump())
        )
        return schemas.issued_api_key(issued)

    @organizer_route(
        get, "/", "listApiKeys", None,
        "The organizer's API keys (never the secrets), revoked ones included",
    )  # fmt: skip
    def list_api_keys(self, tickex: App, principal: CurrentPrincipal) -> schemas.ApiKeyListOut:
        keys = tickex.list_api_keys(ListApiKeys(organizer_id=_managing_organizer(principal)))
        return schemas.ApiKeyListOut(items=[schemas.api_key(k) for k in keys])

    @organizer_route(
        post, "/{key_id:str}/revoke", "revokeApiKey", None,
        "Revoke an API key; it stops working at once (revoking again changes nothing)", 404,
        422, status_code=200,
    )  # fmt: skip
    def revoke_api_key(
        self, tickex: App, principal: CurrentPrincipal, key_id: PathId
    ) -> schemas.ApiKeyOut:
        revoked = tickex.revoke_api_key(
            RevokeApiKey(organizer_id=_managing_organizer(principal), key_id=key_id)
        )
        return schemas.api_key(revoked)
