"""``/v1/organizer/api-keys``: an organizer manages the keys of their integrations.

A key is created with a name and a non-empty set of scopes; its secret (``tkx_ak_...``) is
in the answer to ``createApiKey`` and nowhere else, ever. The list shows each key's
prefix, scopes and times, never a secret. A revoked key stops working at once.

Managing keys needs a user's own access token: these routes name no scope, so the
``authenticated`` guard refuses an API key here with 403 (a key cannot mint or revoke
keys). The organizer routes that do take a key are documented with a second security
scheme naming the scope they need (``document_api_key_scopes``).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Litestar, get, post
from litestar.openapi.spec import Operation
from litestar.params import JSONBody, Parameter

from tickex.application.identity.issue_api_key import IssueApiKey
from tickex.application.identity.list_api_keys import ListApiKeys
from tickex.application.identity.revoke_api_key import RevokeApiKey
from tickex.domain.errors import Forbidden
from tickex.domain.identity import ApiScope, Principal, Role
from tickex.entrypoints.http import api_key_schemas as schemas
from tickex.entrypoints.http.auth import (
    API_KEY_SCHEME,
    API_SCOPE,
    BEARER,
    BEARER_SCHEME,
    NO_STORE,
    authenticated,
    require_role,
)
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.guards import require_json
from tickex.entrypoints.http.orders import ID_PATTERN
from tickex.entrypoints.http.organizer import organizer_id
from tickex.entrypoints.http.problems import problem_responses

KeyId = Annotated[str, Parameter(min_length=1, max_length=64, pattern=ID_PATTERN)]


def _managing_organizer(principal: Principal) -> str:
    """The signed-in user's organizer; never an API key's (the guard refuses it already)."""
    if principal.api_key_id is not None or principal.user_id is None:
        raise Forbidden("managing API keys needs a user's access token")
    return organizer_id(principal)


class ApiKeyController(Controller):
    path = "/v1/organizer/api-keys"
    tags = ["organizer"]
    cache_control = NO_STORE
    guards = [authenticated, require_role(Role.ORGANIZER)]
    security = BEARER

    @post(
        "/",
        operation_id="createApiKey",
        summary="A key for the external API with the scopes given (the secret is shown once)",
        status_code=201,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 404, 409, 415, 422),
    )
    def create_api_key(
        self, data: JSONBody[schemas.CreateApiKeyInput], tickex: App, principal: CurrentPrincipal
    ) -> schemas.IssuedApiKeyOut:
        issued = tickex.issue_api_key(
            IssueApiKey(
                organizer_id=_managing_organizer(principal), name=data.name,
                scopes=frozenset(data.scopes),
            )
        )  # fmt: skip
        return schemas.issued_api_key(issued)

    @get(
        "/",
        operation_id="listApiKeys",
        summary="The organizer's API keys (never the secrets), revoked ones included",
        sync_to_thread=True,
        responses=problem_responses(401, 403),
    )
    def list_api_keys(self, tickex: App, principal: CurrentPrincipal) -> schemas.ApiKeyListOut:
        keys = tickex.list_api_keys(ListApiKeys(organizer_id=_managing_organizer(principal)))
        return schemas.ApiKeyListOut(items=[schemas.api_key(k) for k in keys])

    @post(
        "/{key_id:str}/revoke",
        operation_id="revokeApiKey",
        summary="Revoke an API key; it stops working at once (revoking again changes nothing)",
        status_code=200,
        sync_to_thread=True,
        responses=problem_responses(401, 403, 404, 422),
    )
    def revoke_api_key(
        self, tickex: App, principal: CurrentPrincipal, key_id: KeyId
    ) -> schemas.ApiKeyOut:
        revoked = tickex.revoke_api_key(
            RevokeApiKey(organizer_id=_managing_organizer(principal), key_id=key_id)
        )
        return schemas.api_key(revoked)


def document_api_key_scopes(application: Litestar) -> None:
    """Every route that takes an API key (``opt[API_SCOPE]``) lists the key as a second
    security scheme, with the scope it needs: ``[{bearerAuth: []}, {apiKeyAuth: [scope]}]``
    (OpenAPI 3.1 lets a non-OAuth scheme name the roles it needs)."""
    scopes: dict[str, ApiScope] = {}
    for route in application.routes:
        for handler in getattr(route, "route_handlers", []):
            scope = handler.opt.get(API_SCOPE)
            if isinstance(scope, ApiScope) and isinstance(handler.operation_id, str):
                scopes[handler.operation_id] = scope
    for item in (application.openapi_schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation: Operation | None = getattr(item, method, None)
            scope = scopes.get(operation.operation_id or "") if operation else None
            if operation is not None and scope is not None:
                operation.security = [{BEARER_SCHEME: []}, {API_KEY_SCHEME: [scope.value]}]
