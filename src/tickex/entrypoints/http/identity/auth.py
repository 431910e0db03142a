"""Accounts over HTTP: ``/v1/auth`` (register, log in, refresh, log out, change password),
``/v1/me`` and ``/v1/admin/users``.

Bearer tokens are checked by the ``authenticated`` guard (``http/guards.py``). Password
hashing is slow by design: every handler that hashes runs in a worker thread
(``sync_to_thread=True``), never on the event loop. Nothing here logs or echoes a password
or a token, and every response is ``Cache-Control: no-store``.
"""

from __future__ import annotations

from litestar import get, post
from litestar.params import JSONBody

from tickex.application.identity.authenticate import Account, GetAccount
from tickex.application.identity.change_password import ChangePassword
from tickex.application.identity.disable_user import DisableUser
from tickex.application.identity.log_in import LogIn
from tickex.application.identity.log_out import LogOut, LogOutEverywhere
from tickex.application.identity.refresh_session import RefreshAccess
from tickex.application.identity.register_user import RegisterUser
from tickex.domain.identity import Role
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.guards import (
    BEARER,
    authenticated,
    require_role,
    signed_in_user,
)
from tickex.entrypoints.http.identity import schemas
from tickex.entrypoints.http.routes import AccountsController, AdminController, PathId, operation


class AuthController(AccountsController):
    path = "/v1/auth"

    @operation(
        post, "/register", "register",
        "Open an account (optionally as an organizer, when self-serve is on)", 403, 409, 429,
        body=True, status_code=201,
    )  # fmt: skip
    def register(self, data: JSONBody[schemas.RegisterInput], tickex: App) -> schemas.AccountOut:
        user = tickex.register_user(RegisterUser(**data.model_dump()))
        return schemas.account(Account.of(user))

    @operation(
        post, "/login", "login", "Email and password for an access token and a refresh token",
        401, 403, 429, body=True, status_code=200,
    )  # fmt: skip
    def login(self, data: JSONBody[schemas.LoginInput], tickex: App) -> schemas.TokenPairOut:
        pair = tickex.log_in(LogIn(**data.model_dump()))
        return schemas.token_pair(pair)

    @operation(
        post, "/refresh", "refreshToken",
        "A refresh token (used once) for a new access token and refresh token", 401, 429,
        body=True, status_code=200,
    )  # fmt: skip
    def refresh_token(
        self, data: JSONBody[schemas.RefreshTokenInput], tickex: App
    ) -> schemas.TokenPairOut:
        pair = tickex.refresh_session(RefreshAccess(refresh_token=data.refresh_token))
        return schemas.token_pair(pair)

    @operation(
        post, "/logout", "logout", "End the session of a refresh token (always answers 204)",
        body=True, status_code=204,
    )  # fmt: skip
    def logout(self, data: JSONBody[schemas.RefreshTokenInput], tickex: App) -> None:
        tickex.log_out(LogOut(refresh_token=data.refresh_token))

    @operation(
        post, "/logout-everywhere", "logoutEverywhere",
        "End every session of the signed-in user; their access tokens stop working", 401, 403,
        guards=[authenticated], security=BEARER, status_code=204,
    )  # fmt: skip
    def logout_everywhere(self, tickex: App, principal: CurrentPrincipal) -> None:
        tickex.log_out_everywhere(LogOutEverywhere(user_id=signed_in_user(principal)))

    @operation(
        post, "/change-password", "changePassword",
        "Change the password (the current one is needed); every session ends", 401, 403,
        body=True, guards=[authenticated], security=BEARER, status_code=204,
    )  # fmt: skip
    def change_password(
        self, data: JSONBody[schemas.ChangePasswordInput], tickex: App, principal: CurrentPrincipal
    ) -> None:
        tickex.change_password(
            ChangePassword(user_id=signed_in_user(principal), **data.model_dump())
        )


class MeController(AccountsController):
    path = "/v1/me"

    @operation(
        get, "/", "getMe", "The signed-in user's account", 401, 403, guards=[authenticated],
        security=BEARER,
    )  # fmt: skip
    def get_me(self, tickex: App, principal: CurrentPrincipal) -> schemas.AccountOut:
        return schemas.account(tickex.get_account(GetAccount(user_id=signed_in_user(principal))))


class AdminUserController(AdminController):
    path = "/v1/admin/users"

    @operation(
        post, "/{user_id:str}/disable", "disableUser",
        "Disable an account (admins only); every session of it ends", 401, 403, 404, 409, 422,
        guards=[authenticated, require_role(Role.ADMIN)], security=BEARER, status_code=200,
    )  # fmt: skip
    def disable_user(
        self, tickex: App, principal: CurrentPrincipal, user_id: PathId
    ) -> schemas.AccountOut:
        user = tickex.disable_user(DisableUser(actor=principal, user_id=user_id))
        return schemas.account(Account.of(user))
