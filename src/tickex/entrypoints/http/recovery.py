"""Email verification and password reset over HTTP: ``/v1/auth/verify-email`` and
``/v1/auth/password-reset``.

The emails carry links to pages (``{public_url}/account/verify-email?token=...``,
``{public_url}/account/reset-password?token=...``): TickEx serves them (account_pages.py),
or a front end at the same paths posts the token here in a JSON body. Asking for a reset
answers 202 with the same body whether or not the account exists. Every response is
``Cache-Control: no-store``; nothing here logs or echoes a token or a password.
"""

from __future__ import annotations

from typing import Literal

from litestar import Controller, post
from litestar.params import JSONBody
from pydantic import Field

from tickex.application.command import Email, Password
from tickex.application.identity.request_email_verification import RequestEmailVerification
from tickex.application.identity.request_password_reset import RequestPasswordReset
from tickex.application.identity.reset_password import ResetPassword
from tickex.application.identity.session import PresentedToken
from tickex.application.identity.verify_email import VerifyEmail
from tickex.entrypoints.http import schemas
from tickex.entrypoints.http.auth import BEARER, NO_STORE, _user_id, authenticated
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.guards import require_json
from tickex.entrypoints.http.problems import problem_responses


class VerifyEmailInput(schemas.Input):
    token: PresentedToken = Field(description="the token of the verification link")


class PasswordResetRequestInput(schemas.Input):
    email: Email


class ResetPasswordInput(schemas.Input):
    token: PresentedToken = Field(description="the token of the reset link")
    new_password: Password = Field(description="12 to 128 characters")


class AcceptedOut(schemas.Output):
    status: Literal["accepted"] = "accepted"
    detail: str


EMAIL_ON_ITS_WAY = "if an account uses this address, an email is on its way"
VERIFICATION_ON_ITS_WAY = "unless the address is verified already, an email is on its way"


class RecoveryController(Controller):
    path = "/v1/auth"
    tags = ["accounts"]
    cache_control = NO_STORE

    @post(
        "/verify-email/request",
        operation_id="requestEmailVerification",
        summary="Email the signed-in user a new verification link (valid 48 hours, once)",
        status_code=202,
        sync_to_thread=True,
        guards=[authenticated],
        security=BEARER,
        responses=problem_responses(401, 403, 429),
    )
    def request_email_verification(self, tickex: App, principal: CurrentPrincipal) -> AcceptedOut:
        tickex.request_email_verification(RequestEmailVerification(user_id=_user_id(principal)))
        return AcceptedOut(detail=VERIFICATION_ON_ITS_WAY)

    @post(
        "/verify-email",
        operation_id="verifyEmail",
        summary="The token of a verification link (used once) marks the email verified",
        status_code=200,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 415, 422, 429),
    )
    def verify_email(self, data: JSONBody[VerifyEmailInput], tickex: App) -> schemas.AccountOut:
        return schemas.account(tickex.verify_email(VerifyEmail(token=data.token)))

    @post(
        "/password-reset/request",
        operation_id="requestPasswordReset",
        summary="Email a password-reset link (valid one hour, once); always answers 202",
        status_code=202,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(415, 422, 429),
    )
    def request_password_reset(
        self, data: JSONBody[PasswordResetRequestInput], tickex: App
    ) -> AcceptedOut:
        tickex.request_password_reset(RequestPasswordReset(email=data.email))
        return AcceptedOut(detail=EMAIL_ON_ITS_WAY)

    @post(
        "/password-reset",
        operation_id="resetPassword",
        summary="The token of a reset link (used once) and a new password; every session ends",
        status_code=204,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 415, 422, 429),
    )
    def reset_password(self, data: JSONBody[ResetPasswordInput], tickex: App) -> None:
        tickex.reset_password(ResetPassword(token=data.token, new_password=data.new_password))
