"""Transport schemas of identity: accounts, sessions and tokens (``/v1/auth``, ``/v1/me``,
``/v1/admin/users``), email verification and password reset, Google sign-in and the
organizer's API keys.

Passwords and tokens are taken exactly as sent (never stripped) and never echoed. Outputs
never carry a key's digest; an API key's secret appears once, in the answer to
``createApiKey``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from tickex.application.command import Choice, Email, Name, Password, PresentedPassword
from tickex.application.identity.authenticate import Account
from tickex.application.identity.google_sign_in import (
    AuthorizationCode,
    FlowToken,
    GoogleSignInStarted,
    OAuthState,
    RedirectUri,
)
from tickex.application.identity.issue_api_key import IssuedApiKey
from tickex.application.identity.list_api_keys import ApiKeyView
from tickex.application.identity.session import PresentedToken, TokenPair
from tickex.domain.identity import ApiScope, Role
from tickex.entrypoints.http.schemas import Input, Output


# -- accounts and sessions ------------------------------------------------------------
class RegisterInput(Input):
    email: Email
    password: Password = Field(description="12 to 128 characters")
    name: Name
    as_organizer: bool = Field(
        default=False, description="also open an organizer (only when self-serve is on)"
    )
    organizer_name: Name | None = Field(
        default=None, description="the organizer's name (default: name); with as_organizer"
    )


class LoginInput(Input):
    email: Email
    password: PresentedPassword


class RefreshTokenInput(Input):
    refresh_token: PresentedToken


class ChangePasswordInput(Input):
    current_password: PresentedPassword
    new_password: Password = Field(description="12 to 128 characters")


RoleName = Literal["customer", "organizer", "admin"]


_ROLE_NAMES: dict[Role, RoleName] = {
    Role.CUSTOMER: "customer", Role.ORGANIZER: "organizer", Role.ADMIN: "admin"
}  # fmt: skip


class AccountOut(Output):
    id: str
    email: str
    name: str
    roles: list[RoleName]
    organizer_id: str | None
    email_verified: bool


class TokenPairOut(Output):
    """An OAuth 2.0 style token response (RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds the access token is valid for")
    refresh_token: str = Field(description="use once, at POST /v1/auth/refresh")
    refresh_expires_at: datetime


def account(value: Account) -> AccountOut:
    roles = sorted(_ROLE_NAMES[role] for role in value.roles)
    return AccountOut(**value.model_dump(exclude={"roles"}), roles=roles)


def token_pair(pair: TokenPair) -> TokenPairOut:
    return TokenPairOut(
        access_token=pair.access_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        refresh_expires_at=pair.refresh_expires_at,
    )


# -- email verification and password reset --------------------------------------------
class VerifyEmailInput(Input):
    token: PresentedToken = Field(description="the token of the verification link")


class PasswordResetRequestInput(Input):
    email: Email


class ResetPasswordInput(Input):
    token: PresentedToken = Field(description="the token of the reset link")
    new_password: Password = Field(description="12 to 128 characters")


class AcceptedOut(Output):
    status: Literal["accepted"] = "accepted"
    detail: str


# -- Google sign-in (docs/adr/0009-google-sign-in.md) -----------------------------------
class StartGoogleSignInInput(Input):
    redirect_uri: RedirectUri = Field(
        description="where Google sends the browser back: exactly one of the configured "
        "TICKEX_GOOGLE_REDIRECT_URIS"
    )


class CompleteGoogleSignInInput(Input):
    code: AuthorizationCode = Field(description="the code Google sent back (works once)")
    state: OAuthState = Field(description="the state Google sent back, unchanged")
    flow_token: FlowToken = Field(description="the flow_token of startGoogleSignIn")


class GoogleSignInStartedOut(Output):
    authorization_url: str = Field(description="send the browser here (Google's consent)")
    flow_token: str = Field(
        description="opaque; keep it in this browser tab (sessionStorage) until the callback "
        "and send it to completeGoogleSignIn; never put it in a URL"
    )
    expires_at: datetime = Field(description="complete the sign-in before this")


def google_sign_in_started(started: GoogleSignInStarted) -> GoogleSignInStartedOut:
    return GoogleSignInStartedOut(
        authorization_url=started.authorization_url,
        flow_token=started.flow_token,
        expires_at=started.expires_at,
    )


# -- the organizer's API keys -----------------------------------------------------------
class CreateApiKeyInput(Input):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    scopes: Annotated[list[Choice[ApiScope]], Field(min_length=1, max_length=len(ApiScope))]


class ApiKeyOut(Output):
    id: str
    name: str
    prefix: str  # the first characters of the secret, to tell keys apart
    scopes: list[ApiScope]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class IssuedApiKeyOut(Output):
    secret: str  # shown once: only its digest is stored
    api_key: ApiKeyOut


class ApiKeyListOut(Output):
    items: list[ApiKeyOut]


def api_key(value: ApiKeyView) -> ApiKeyOut:
    return ApiKeyOut(
        id=value.id, name=value.name, prefix=value.prefix, scopes=list(value.scopes),
        created_at=value.created_at, last_used_at=value.last_used_at,
        revoked_at=value.revoked_at, active=value.is_active,
    )  # fmt: skip


def issued_api_key(value: IssuedApiKey) -> IssuedApiKeyOut:
    return IssuedApiKeyOut(secret=value.secret, api_key=api_key(ApiKeyView.of(value.key)))
