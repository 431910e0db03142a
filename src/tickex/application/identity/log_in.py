"""log_in: email and password for a token pair (a new session family).

A wrong email and a wrong password are one error (``invalid_credentials``) and cost the
same: an unknown email still verifies a password, against a dummy hash. A disabled account
is told apart only once the password was right. At most ``LOGIN_ATTEMPTS`` attempts per
account in ``LOGIN_WINDOW_SECONDS`` (a success clears the count); a hash made with older
parameters is replaced after a successful login."""

from __future__ import annotations

import contextlib
import threading
import weakref

from pydantic import Field

from tickex.application.command import Command, Email, PresentedPassword
from tickex.application.identity.session import TokenPair, start_session
from tickex.application.identity.throttle import refusal
from tickex.application.services import NeedsIdentity
from tickex.domain.errors import AccountDisabled, InvalidCredentials, TooManyAttempts
from tickex.domain.identity import User
from tickex.ports.identity import PasswordHasher
from tickex.ports.rate_limit import RateLimiterUnavailable
from tickex.ports.unit_of_work import UnitOfWork

LOGIN_ATTEMPTS = 5
LOGIN_WINDOW_SECONDS = 60

_dummy_hashes: weakref.WeakKeyDictionary[PasswordHasher, str] = weakref.WeakKeyDictionary()
_dummy_lock = threading.Lock()


class LogIn(Command):
    email: Email
    password: PresentedPassword = Field(repr=False)


def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of no one's password, made once per hasher (so it has its parameters)."""
    with _dummy_lock:
        found = _dummy_hashes.get(hasher)
    if found is None:
        found = hasher.hash("tickex: nobody's password")
        with _dummy_lock:
            found = _dummy_hashes.setdefault(hasher, found)
    return found


def account_key(email: str) -> str:
    return f"login-account:{email.lower()}"


def _throttle(services: NeedsIdentity, email: str) -> None:
    decision = refusal(services, account_key(email), LOGIN_ATTEMPTS, LOGIN_WINDOW_SECONDS)
    if decision is not None:
        raise TooManyAttempts(
            "too many login attempts for this account; try again later",
            retry_after_seconds=decision.retry_after_seconds,
        )


def _forget_attempts(services: NeedsIdentity, email: str) -> None:
    with contextlib.suppress(RateLimiterUnavailable):
        services.identity.rate_limiter.reset(account_key(email))


def log_in(services: NeedsIdentity, command: LogIn) -> TokenPair:
    email = command.email.lower()
    _throttle(services, email)
    user = services.read(lambda uow: uow.users.get_by_email(email))
    if user is None or user.password_hash is None:
        services.identity.passwords.verify(
            dummy_hash(services.identity.passwords), command.password
        )
        raise InvalidCredentials("wrong email or password")
    if not services.identity.passwords.verify(user.password_hash, command.password):
        raise InvalidCredentials("wrong email or password")
    if not user.is_active:
        raise AccountDisabled("this account is disabled")
    _forget_attempts(services, email)
    old_hash = user.password_hash
    new_hash = (
        services.identity.passwords.hash(command.password)
        if services.identity.passwords.needs_rehash(old_hash)
        else None
    )

    def work(uow: UnitOfWork) -> TokenPair:
        current: User | None = uow.users.get(user.id)
        if current is None or current.password_hash != old_hash:  # changed meanwhile
            raise InvalidCredentials("wrong email or password")
        if not current.is_active:
            raise AccountDisabled("this account is disabled")
        if new_hash is not None:
            current.password_hash = new_hash
            uow.users.save(current)
        return start_session(services, uow, current, services.clock.now())

    return services.transaction(work)
