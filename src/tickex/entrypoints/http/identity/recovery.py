"""Email verification and password reset over HTTP: ``/v1/auth/verify-email`` and
``/v1/auth/password-reset``.

The emails carry links to pages (``{public_url}/account/verify-email?token=...``,
``{public_url}/account/reset-password?token=...``): TickEx serves them (account_pages.py),
or a front end at the same paths posts the token here in a JSON body. Asking for a reset
answers 202 with the same body whether or not the account exists. Every response is
``Cache-Control: no-store``; nothing here logs or echoes a token or a password.
"""

from __future__ import annotations

from litestar import post
from litestar.params import JSONBody

from tickex.application.identity.request_email_verification import RequestEmailVerification
from tickex.application.identity.request_password_reset import RequestPasswordReset
from tickex.application.identity.reset_password import ResetPassword
from tickex.application.identity.verify_email import VerifyEmail
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.guards import BEARER, authenticated, signed_in_user
from tickex.entrypoints.http.identity import schemas
from tickex.entrypoints.http.identity.schemas import (
    AcceptedOut,
    PasswordResetRequestInput,
    ResetPasswordInput,
    VerifyEmailInput,
)
from tickex.entrypoints.http.routes import AccountsController, operation

EMAIL_ON_ITS_WAY = "if an account uses this address, an email is on its way"
VERIFICATION_ON_ITS_WAY = "unless the address is verified already, an email is on its way"


class RecoveryController(AccountsController):
    path = "/v1/auth"

    @operation(
        post, "/verify-email/request", "requestEmailVerification",
        "Email the signed-in user a new verification link (valid 48 hours, once)", 401, 403,
        429, guards=[authenticated], security=BEARER, status_code=202,
    )  # fmt: skip
    def request_email_verification(self, tickex: App, principal: CurrentPrincipal) -> AcceptedOut:
        tickex.request_email_verification(
            RequestEmailVerification(user_id=signed_in_user(principal))
        )
        return AcceptedOut(detail=VERIFICATION_ON_ITS_WAY)

    @operation(
        post, "/verify-email", "verifyEmail",
        "The token of a verification link (used once) marks the email verified", 401, 429,
        body=True, status_code=200,
    )  # fmt: skip
    def verify_email(self, data: JSONBody[VerifyEmailInput], tickex: App) -> schemas.AccountOut:
        return schemas.account(tickex.verify_email(VerifyEmail(token=data.token)))

    @operation(
        post, "/password-reset/request", "requestPasswordReset",
        "Email a password-reset link (valid one hour, once); always answers 202", 429,
        body=True, status_code=202,
    )  # fmt: skip
    def request_password_reset(
        self, data: JSONBody[PasswordResetRequestInput], tickex: App
    ) -> AcceptedOut:
        tickex.request_password_reset(RequestPasswordReset(email=data.email))
        return AcceptedOut(detail=EMAIL_ON_ITS_WAY)

    @operation(
        post, "/password-reset", "resetPassword",
        "The token of a reset link (used once) and a new password; every session ends", 401,
        429, body=True, status_code=204,
    )  # fmt: skip
    def reset_password(self, data: JSONBody[ResetPasswordInput], tickex: App) -> None:
        tickex.reset_password(ResetPassword(token=data.token, new_password=data.new_password))
