"""Guards: plain functions ``(connection, handler) -> None`` that refuse a request by
raising, attached to the routes that need them (and unit-tested on their own).

Bearer tokens (``Authorization: Bearer <access token>``) are checked by the
``authenticated`` guard, which runs the ``authenticate`` use case and keeps the
``Principal`` for the handler (the ``principal`` dependency) and for the access log (the
user id, nothing else). The same guard takes an organizer's API key
(``Authorization: Bearer tkx_ak_...``, recognised by its shape) through
``authenticate_api_key``, and lets it through only to a route that names the scope it
needs (``opt={API_SCOPE: ApiScope...}``) when the key holds that scope: every other route
refuses an API key with 403, so a new route is closed to keys until it names a scope.
"""

from __future__ import annotations

import re
from typing import Any

import anyio.to_thread
from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Operation
from litestar.types import Guard, Scope

from tickex.application.identity.authenticate import Authenticate
from tickex.application.identity.authenticate_api_key import AuthenticateApiKey
from tickex.domain.errors import Forbidden
from tickex.domain.identity import ApiScope, Principal, Role
from tickex.entrypoints.http.observability import request_context
from tickex.facade import TickEx
from tickex.ports.identity import InvalidToken, SecretPurpose, SecretToken

JSON = "application/json"
NO_STORE = CacheControlHeader(no_store=True)
BEARER_SCHEME = "bearerAuth"  # the OpenAPI security scheme (components.securitySchemes)
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
API_KEY_SCHEME = "apiKeyAuth"  # an organizer's API key, on the routes that name a scope
JSON_BODY = "json_body"  # the route's opt key: its body must be declared JSON (require_json)
API_SCOPE = "api_scope"  # the route's opt key: the ApiScope an API key needs for it
PRINCIPAL_STATE_KEY = "tickex.principal"  # where the guard keeps it in the connection's state
MAX_AUTHORIZATION_LENGTH = 4096
#: every token TickEx issues is visible ASCII (RFC 6750's b64token is a subset)
_TOKEN = re.compile(r"[\x21-\x7e]+")


def require_json(scope: Scope) -> None:
    """A route whose ``opt`` holds ``JSON_BODY`` (``operation`` with a body) takes a body
    declared ``application/json`` only. Litestar would parse a ``text/plain`` body as JSON
    too, and a browser sends ``text/plain`` cross-site without asking first (no CORS
    preflight): refusing it keeps JSON endpoints out of reach of plain forms.

    Run by ``RequestClockMiddleware`` before the handler, not as a guard: Litestar copies
    the handler for every guard it calls, a cost on every order placed."""
    handler = scope.get("route_handler")
    if handler is None or not handler.opt.get(JSON_BODY):
        return
    declared = next((v for n, v in scope["headers"] if n == b"content-type"), b"")
    media_type = declared.decode("latin-1").split(";", 1)[0].strip().lower()
    if media_type != JSON:
        raise HTTPException(status_code=415, detail=f"send the body as {JSON}")


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The token of ``Authorization: Bearer <token>``; ``InvalidToken`` if there is none,
    or if it is not visible ASCII."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(header) > MAX_AUTHORIZATION_LENGTH:
        raise InvalidToken("missing", "a bearer token is required (Authorization: Bearer ...)")
    if not _TOKEN.fullmatch(token):  # a tab or a control character: none of ours, a 401
        raise InvalidToken("malformed", "the bearer token is not valid")
    return token


async def authenticated(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard: a valid bearer token of an active user, or an organizer's API key holding the
    scope the route names (401 ``invalid_token`` / ``token_expired`` with
    ``WWW-Authenticate: Bearer`` otherwise; 403 ``forbidden`` for a key the route does not
    take)."""
    tickex: TickEx = connection.app.state["tickex"]
    token = bearer_token(connection)
    if SecretToken.purpose_of(token) is SecretPurpose.API_KEY:
        command = AuthenticateApiKey(key=token)
        principal = await anyio.to_thread.run_sync(tickex.authenticate_api_key, command)
        require_api_scope(principal, handler)
    else:
        principal = await anyio.to_thread.run_sync(
            tickex.authenticate, Authenticate(access_token=token)
        )
    connection.state[PRINCIPAL_STATE_KEY] = principal
    context = request_context(connection.scope)
    context.user_id, context.api_key_id = principal.user_id, principal.api_key_id


def require_api_scope(principal: Principal, handler: BaseRouteHandler) -> None:
    """An API key may call only a route that names its scope (``opt[API_SCOPE]``), and only
    if it holds that scope (403 ``forbidden`` naming it). A user's own token passes."""
    if principal.scopes is None and principal.api_key_id is None:
        return
    scope = handler.opt.get(API_SCOPE)
    if not isinstance(scope, ApiScope):
        raise Forbidden("an API key cannot be used here: this needs a user's access token")
    if not principal.allows(scope):
        raise Forbidden(f"this API key lacks the {scope.value} scope")


def require_role(role: Role) -> Guard:
    """Guard (after ``authenticated``): the principal holds ``role`` (403 ``forbidden``)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.state.get(PRINCIPAL_STATE_KEY)
        if not isinstance(principal, Principal) or role not in principal.roles:
            raise Forbidden(f"this needs the {role.value} role")

    return guard


def current_principal(request: Request[Any, Any, Any]) -> Principal:
    """The dependency ``principal``: whom the ``authenticated`` guard let in."""
    principal = request.state.get(PRINCIPAL_STATE_KEY)
    if not isinstance(principal, Principal):  # a route without the guard: a bug of ours
        raise RuntimeError("the route needs the authenticated guard")
    return principal


def signed_in_user(principal: Principal) -> str:
    """The signed-in user (403 ``forbidden`` for a staff device or an API key)."""
    if principal.user_id is None:  # a staff device or an API key: not an account
        raise Forbidden("this needs a user's access token")
    return principal.user_id


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
