"""Single-use, expiring tokens sent by email (email verification, password reset).

The token is shown once, inside the email's link; storage keeps only its digest
(``OneTimeToken.token_hash``). The email itself goes through the outbox in the same unit of
work (``NOTIFY_CUSTOMER``), so the outbox payload holds the link until the worker has sent
it: the outbox is as sensitive as a mail spool. Redeeming is the atomic
``OneTimeTokenRepository.use`` step, so a token works once even under concurrent use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from tickex.application.delivery.outbox import notify
from tickex.application.identity.secrets import digest_of
from tickex.application.services import Core, NeedsDelivery
from tickex.domain.identity import OneTimeToken, TokenPurpose, User
from tickex.ports.identity import InvalidToken, SecretPurpose, SecretToken
from tickex.ports.links import Links
from tickex.ports.unit_of_work import UnitOfWork

VERIFY_EMAIL_TTL = timedelta(hours=48)
RESET_PASSWORD_TTL = timedelta(hours=1)

_SECRET = {
    TokenPurpose.VERIFY_EMAIL: SecretPurpose.VERIFY_EMAIL,
    TokenPurpose.RESET_PASSWORD: SecretPurpose.RESET_PASSWORD,
}
INVALID_LINK = "the link is not valid or has expired; ask for a new one"


def issue(
    services: Core, uow: UnitOfWork, user: User, purpose: TokenPurpose, ttl: timedelta
) -> tuple[str, str]:
    """Store a new token's digest; its id and the token itself (for the email only)."""
    secret = SecretToken.generate(_SECRET[purpose])
    now = services.clock.now()
    token = OneTimeToken(
        id=services.ids.new_id(),
        user_id=user.id,
        purpose=purpose,
        token_hash=secret.digest,
        created_at=now,
        expires_at=now + ttl,
    )
    uow.one_time_tokens.add(token)
    return token.id, secret.value


@dataclass(frozen=True, slots=True)
class _Mail:
    """What one kind of token email says around its link."""

    purpose: TokenPurpose
    ttl: timedelta
    key: str  # the outbox idempotency key's prefix
    link: Callable[[Links, str], str]  # the page that takes the token
    subject: str
    opening: str  # "... by opening this link (valid for ..., once):"
    closing: str


_VERIFY = _Mail(
    TokenPurpose.VERIFY_EMAIL, VERIFY_EMAIL_TTL, "verify-email",
    lambda links, token: links.verify_email(token),
    "Confirm your email address for TickEx",
    "confirm your email address by opening this link (valid for 48 hours, once):",
    "If you did not open a TickEx account, ignore this email.",
)  # fmt: skip
_RESET = _Mail(
    TokenPurpose.RESET_PASSWORD, RESET_PASSWORD_TTL, "reset-password",
    lambda links, token: links.reset_password(token),
    "Reset your TickEx password",
    "choose a new password by opening this link (valid for one hour, once):",
    "If you did not ask for this, ignore this email: your password stays.",
)  # fmt: skip


def _enqueue(services: NeedsDelivery, uow: UnitOfWork, user: User, mail: _Mail) -> None:
    """A token and the email that carries it, in the caller's unit of work."""
    token_id, value = issue(services, uow, user, mail.purpose, mail.ttl)
    link = mail.link(services.delivery.links, value)
    notify(services, uow, f"{mail.key}:{token_id}", user.email, mail.subject,
           f"Hello {user.name},\n\n{mail.opening}\n\n{link}\n\n{mail.closing}")  # fmt: skip


def enqueue_verification_email(services: NeedsDelivery, uow: UnitOfWork, user: User) -> None:
    """A verification token and the email that carries it, in the caller's unit of work."""
    _enqueue(services, uow, user, _VERIFY)


def enqueue_reset_email(services: NeedsDelivery, uow: UnitOfWork, user: User) -> None:
    """A password-reset token and the email that carries it, in the caller's unit of work."""
    _enqueue(services, uow, user, _RESET)


def redeem(uow: UnitOfWork, services: Core, presented: str, purpose: TokenPurpose) -> User:
    """Use the token once and return its user; ``InvalidToken`` when it is unknown, of
    another purpose, used, expired, or its user is gone (one answer for all of them)."""
    token = uow.one_time_tokens.get_by_hash(digest_of(presented, _SECRET[purpose], INVALID_LINK))
    if token is None or token.purpose is not purpose:
        raise InvalidToken("unknown", INVALID_LINK)
    now = services.clock.now()
    if not uow.one_time_tokens.use(token.id, now):  # the atomic once-only step
        raise InvalidToken("used" if token.used_at else "expired", INVALID_LINK)
    user = uow.users.get(token.user_id)
    if user is None:
        raise InvalidToken("unknown", INVALID_LINK)
    return user
