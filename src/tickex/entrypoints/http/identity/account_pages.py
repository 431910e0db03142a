"""``/account``: the pages the account emails link to, for people without a front end.

- ``GET /account/verify-email?token=...`` shows a *Confirm* button; only its ``POST`` uses
  the token. A GET never does: mail scanners and link previews open links before people do.
- ``GET /account/reset-password?token=...`` shows a form for the new password (twice);
  its ``POST`` resets it, and every session of the account ends.

The token travels in the link's query string (which the access log never records, and
``Referrer-Policy: no-referrer`` keeps from other sites), then in a form field. The
forms post same-origin (CSP ``form-action 'self'``); there is no cookie to ride on, the
token itself is the credential. A front end of its own can serve these two paths instead
and call ``verifyEmail`` / ``resetPassword``. The POSTs share their rate limits with those
API operations (``rate_limit.DEFAULT_POLICIES``).
"""

from __future__ import annotations

import html
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from pydantic import ValidationError

from tickex.application.identity.reset_password import ResetPassword
from tickex.application.identity.verify_email import VerifyEmail
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.pages import page
from tickex.ports.identity import InvalidToken, SecretPurpose, SecretToken

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

VERIFY_PATH = "/account/verify-email"
RESET_PATH = "/account/reset-password"


def _invalid_link() -> Response[str]:
    return page(
        "Link not valid",
        "<h1>This link is not valid</h1><p>It may have expired or been used already. "
        "Ask for a new one from the app or the sign-in page.</p>",
        status=400,
    )


def _looks_like(token: str, purpose: SecretPurpose) -> bool:
    """A token of ``purpose`` by its shape (bounded: anything longer is none of ours)."""
    return SecretToken.purpose_of(token) is purpose


def _hidden_token(token: str) -> str:
    return f'<input type="hidden" name="token" value="{html.escape(token, quote=True)}">'


def _reset_form(token: str, error: str = "", status: int = 200) -> Response[str]:
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return page(
        "Choose a new password",
        "<h1>Choose a new password</h1>"
        f'{message}<form method="post" action="{RESET_PATH}">{_hidden_token(token)}'
        '<label for="new_password">New password (12 to 128 characters)</label>'
        '<input id="new_password" name="new_password" type="password" required '
        'minlength="12" maxlength="128" autocomplete="new-password">'
        '<label for="confirm_password">The same again</label>'
        '<input id="confirm_password" name="confirm_password" type="password" required '
        'minlength="12" maxlength="128" autocomplete="new-password">'
        '<p><button type="submit">Change password</button></p></form>'
        '<p class="note">Every device signed in to this account will be signed out.</p>',
        status=status,
    )


class AccountPagesController(Controller):
    path = "/account"
    include_in_schema = False  # HTML pages behind the emails' links, not part of the API

    @get("/verify-email", operation_id="showVerifyEmailPage", sync_to_thread=False)
    def show_verify_email(self, token: FromQuery[str | None] = None) -> Response[str]:
        if token is None or not _looks_like(token, SecretPurpose.VERIFY_EMAIL):
            return _invalid_link()
        return page(
            "Confirm your email address",
            "<h1>Confirm your email address</h1>"
            f'<form method="post" action="{VERIFY_PATH}">{_hidden_token(token)}'
            '<button type="submit">Confirm</button></form>',
        )

    @post("/verify-email", operation_id="verifyEmailPage", status_code=200, sync_to_thread=True)
    def verify_email(self, tickex: App, data: Form) -> Response[str]:
        try:
            account = tickex.verify_email(VerifyEmail(token=data.get("token", "")))
        except (ValidationError, InvalidToken):
            return _invalid_link()
        return page(
            "Email address confirmed",
            f"<h1>Email address confirmed</h1><p>{html.escape(account.email)} is confirmed. "
            "You can close this page.</p>",
        )

    @get("/reset-password", operation_id="showResetPasswordPage", sync_to_thread=False)
    def show_reset_password(self, token: FromQuery[str | None] = None) -> Response[str]:
        if token is None or not _looks_like(token, SecretPurpose.RESET_PASSWORD):
            return _invalid_link()
        return _reset_form(token)

    @post("/reset-password", operation_id="resetPasswordPage", status_code=200, sync_to_thread=True)
    def reset_password(self, tickex: App, data: Form) -> Response[str]:
        token = data.get("token", "")
        if not _looks_like(token, SecretPurpose.RESET_PASSWORD):
            return _invalid_link()
        password = data.get("new_password", "")
        if password != data.get("confirm_password"):
            return _reset_form(token, "The two passwords are not the same.", status=422)
        try:
            command = ResetPassword(token=token, new_password=password)
        except ValidationError as exc:
            kinds = {(error["loc"][:1], error["type"]) for error in exc.errors()}
            if any(loc == ("token",) for loc, _ in kinds):  # its shape only looked right
                return _invalid_link()
            if any(kind == "control_character" for _, kind in kinds):
                return _reset_form(token, "Use no tabs, line breaks or control characters.",
                                   status=422)  # fmt: skip
            return _reset_form(token, "Use 12 to 128 characters.", status=422)
        try:
            tickex.reset_password(command)
        except InvalidToken:
            return _invalid_link()
        return page(
            "Password changed",
            "<h1>Password changed</h1><p>Sign in with your new password. Every device "
            "that was signed in has been signed out.</p>",
        )
