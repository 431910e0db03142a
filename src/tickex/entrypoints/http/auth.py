"""Accounts over HTTP: ``/v1/auth`` (register, log in, refresh, log out, change password),
``/v1/me`` and ``/v1/admin/users``.

Bearer tokens (``Authorization: Bearer <access token>``) are checked by the
``authenticated`` guard, which runs the ``authenticate`` use case and keeps the
``Principal`` for the handler (the ``principal`` dependency) and for the access log (the
user id, nothing else). The same guard takes an organizer's API key
(``Authorization: Bearer tkx_ak_...``, recognised by its shape) through
``authenticate_api_key``, and lets it through only to a route that names the scope it
needs (``opt={API_SCOPE: ApiScope...}``) when the key holds that scope: every other route
refuses an API key with 403, so a new route is closed to keys until it names a scope.

Password hashing is slow by design: every handler that hashes runs in a worker thread
(``sync_to_thread=True``), never on the event loop. Nothing here logs or echoes a password
or a token, and every response is ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody, Parameter
from litestar.types import Guard

from tickex.application.identity.authenticate import Account, Authenticate, GetAccount
from tickex.application.identity.authenticate_api_key import AuthenticateApiKey
from tickex.application.identity.change_password import ChangePassword
from tickex.application.identity.disable_user import DisableUser
from tickex.application.identity.log_in import LogIn
from tickex.application.identity.log_out import LogOut, LogOutEverywhere
from tickex.application.identity.refresh_session import RefreshAccess
from tickex.application.identity.register_user import RegisterUser
from tickex.domain.errors import Forbidden
from tickex.domain.identity import ApiScope, Principal, Role
from tickex.entrypoints.http import schemas
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.guards import require_json
from tickex.entrypoints.http.observability import request_context
from tickex.entrypoints.http.orders import ID_PATTERN
from tickex.entrypoints.http.problems import problem_responses
from tickex.facade import TickEx
from tickex.ports.identity import InvalidToken, SecretPurpose, SecretToken

NO_STORE = CacheControlHeader(no_store=True)
BEARER_SCHEME = "bearerAuth"  # the OpenAPI security scheme (components.securitySchemes)
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
API_KEY_SCHEME = "apiKeyAuth"  # an organizer's API key, on the routes that name a scope
API_SCOPE = "api_scope"  # the route's opt key: the ApiScope an API key needs for it
PRINCIPAL_STATE_KEY = "tickex.principal"  # where the guard keeps it in the connection's state
MAX_AUTHORIZATION_LENGTH = 4096

UserId = Annotated[str, Parameter(min_length=1, max_length=64, pattern=ID_PATTERN)]


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The token of ``Authorization: Bearer <token>``; ``InvalidToken`` if there is none."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(header) > MAX_AUTHORIZATION_LENGTH:
        raise InvalidToken("missing", "a bearer token is required (Authorization: Bearer ...)")
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


def _user_id(principal: Principal) -> str:
    if principal.user_id is None:  # a staff device or an API key: not an account
        raise Forbidden("this needs a user's access token")
    return principal.user_id


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["accounts"]
    cache_control = NO_STORE

    @post(
        "/register",
        operation_id="register",
        summary="Open an account (optionally as an organizer, when self-serve is on)",
        status_code=201,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(403, 409, 415, 422, 429),
    )
    def register(self, data: JSONBody[schemas.RegisterInput], tickex: App) -> schemas.AccountOut:
        user = tickex.register_user(
            RegisterUser(
                email=data.email,
                password=data.password,
                name=data.name,
                as_organizer=data.as_organizer,
                organizer_name=data.organizer_name,
            )
        )
        return schemas.account(Account.of(user))

    @post(
        "/login",
        operation_id="login",
        summary="Email and password for an access token and a refresh token",
        status_code=200,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 415, 422, 429),
    )
    def login(self, data: JSONBody[schemas.LoginInput], tickex: App) -> schemas.TokenPairOut:
        pair = tickex.log_in(LogIn(email=data.email, password=data.password))
        return schemas.token_pair(pair)

    @post(
        "/refresh",
        operation_id="refreshToken",
        summary="A refresh token (used once) for a new access token and refresh token",
        status_code=200,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 415, 422, 429),
    )
    def refresh_token(
        self, data: JSONBody[schemas.RefreshTokenInput], tickex: App
    ) -> schemas.TokenPairOut:
        pair = tickex.refresh_session(RefreshAccess(refresh_token=data.refresh_token))
        return schemas.token_pair(pair)

    @post(
        "/logout",
        operation_id="logout",
        summary="End the session of a refresh token (always answers 204)",
        status_code=204,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(415, 422),
    )
    def logout(self, data: JSONBody[schemas.RefreshTokenInput], tickex: App) -> None:
        tickex.log_out(LogOut(refresh_token=data.refresh_token))

    @post(
        "/logout-everywhere",
        operation_id="logoutEverywhere",
        summary="End every session of the signed-in user; their access tokens stop working",
        status_code=204,
        sync_to_thread=True,
        guards=[authenticated],
        security=BEARER,
        responses=problem_responses(401, 403),
    )
    def logout_everywhere(self, tickex: App, principal: CurrentPrincipal) -> None:
        tickex.log_out_everywhere(LogOutEverywhere(user_id=_user_id(principal)))

    @post(
        "/change-password",
        operation_id="changePassword",
        summary="Change the password (the current one is needed); every session ends",
        status_code=204,
        sync_to_thread=True,
        guards=[require_json, authenticated],
        security=BEARER,
        responses=problem_responses(401, 403, 415, 422),
    )
    def change_password(
        self, data: JSONBody[schemas.ChangePasswordInput], tickex: App, principal: CurrentPrincipal
    ) -> None:
        tickex.change_password(
            ChangePassword(
                user_id=_user_id(principal),
                current_password=data.current_password,
                new_password=data.new_password,
            )
        )


class MeController(Controller):
    path = "/v1/me"
    tags = ["accounts"]
    cache_control = NO_STORE

    @get(
        "/",
        operation_id="getMe",
        summary="The signed-in user's account",
        sync_to_thread=True,
        guards=[authenticated],
        security=BEARER,
        responses=problem_responses(401, 403),
    )
    def get_me(self, tickex: App, principal: CurrentPrincipal) -> schemas.AccountOut:
        return schemas.account(tickex.get_account(GetAccount(user_id=_user_id(principal))))


class AdminUserController(Controller):
    path = "/v1/admin/users"
    tags = ["admin"]
    cache_control = NO_STORE

    @post(
        "/{user_id:str}/disable",
        operation_id="disableUser",
        summary="Disable an account (admins only); every session of it ends",
        status_code=200,
        sync_to_thread=True,
        guards=[authenticated, require_role(Role.ADMIN)],
        security=BEARER,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    def disable_user(
        self, tickex: App, principal: CurrentPrincipal, user_id: UserId
    ) -> schemas.AccountOut:
        user = tickex.disable_user(DisableUser(actor=principal, user_id=user_id))
        return schemas.account(Account.of(user))
