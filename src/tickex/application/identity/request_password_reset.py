"""request_password_reset: email a password-reset link (valid one hour, once) to the
account of an address.

The answer is always the same, whether the account exists or not (no enumeration); only
the email tells. At most ``RESET_REQUESTS`` per address in ``RESET_WINDOW_SECONDS``: over
that, nothing is sent (still the same answer); the limiter failing opens the gate (the
per-address limits of the entrypoint still hold). A disabled account gets nothing."""

from __future__ import annotations

from tickex.application.command import Command, Email
from tickex.application.identity.mailed_token import enqueue_reset_email
from tickex.application.identity.throttle import refusal
from tickex.application.services import NeedsIdentityDelivery
from tickex.ports.unit_of_work import UnitOfWork

RESET_REQUESTS = 3
RESET_WINDOW_SECONDS = 3600


class RequestPasswordReset(Command):
    email: Email


def reset_key(email: str) -> str:
    return f"password-reset:{email.lower()}"


def request_password_reset(services: NeedsIdentityDelivery, command: RequestPasswordReset) -> None:
    email = command.email.lower()
    if refusal(services, reset_key(email), RESET_REQUESTS, RESET_WINDOW_SECONDS) is not None:
        return  # silently: the answer never tells whether the account exists

    def work(uow: UnitOfWork) -> None:
        user = uow.users.get_by_email(email)
        if user is None or not user.is_active:
            return
        enqueue_reset_email(services, uow, user)

    services.transaction(work)
