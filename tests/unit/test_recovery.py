"""Email verification and password reset through ``TickEx.in_memory()``: the worker sends
the email (``process_outbox``), the link's token works once and expires on the fixed
clock, a reset ends every session, and storage holds digests only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pydantic import ValidationError

from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.mail import InMemoryMailer
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.application.identity.authenticate import Authenticate, GetAccount
from tickex.application.identity.log_in import LogIn
from tickex.application.identity.refresh_session import RefreshAccess
from tickex.application.identity.register_user import RegisterUser
from tickex.application.identity.request_email_verification import RequestEmailVerification
from tickex.application.identity.request_password_reset import RESET_REQUESTS, RequestPasswordReset
from tickex.application.identity.reset_password import ResetPassword
from tickex.application.identity.session import TokenPair
from tickex.application.identity.verify_email import VerifyEmail
from tickex.domain.errors import InvalidCredentials, NotFound
from tickex.domain.identity import TokenPurpose, User
from tickex.domain.outbox import MessageKind
from tickex.facade import TickEx
from tickex.ports.identity import InvalidToken, secret_digest
from tickex.ports.mail import EmailMessage
from tickex.ports.rate_limit import RateLimitDecision, RateLimiter, RateLimiterUnavailable

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple grapes lantern"
EMAIL = "ana@example.com"


@pytest.fixture
def app() -> TickEx:
    return TickEx.in_memory()


def clock(app: TickEx) -> FixedClock:
    assert isinstance(app.services.clock, FixedClock)
    return app.services.clock


def mailer(app: TickEx) -> InMemoryMailer:
    assert isinstance(app.services.delivery.mailer, InMemoryMailer)
    return app.services.delivery.mailer


def register(app: TickEx, email: str = EMAIL) -> User:
    return app.register_user(RegisterUser(email=email, password=PASSWORD, name="Ana"))


def log_in(app: TickEx, password: str = PASSWORD) -> TokenPair:
    return app.log_in(LogIn(email=EMAIL, password=password))


def deliver(app: TickEx) -> list[EmailMessage]:
    """Run the worker; the emails it sent."""
    before = len(mailer(app).sent)
    app.process_outbox()
    return list(mailer(app).sent[before:])


def token_of(message: EmailMessage, path: str) -> str:
    found = re.search(rf"{re.escape(path)}\?token=(\S+)", message.text)
    assert found, message.text
    return found.group(1)


def verified(app: TickEx, user_id: str) -> bool:
    return app.get_account(GetAccount(user_id=user_id)).email_verified


def reset_token(app: TickEx, email: str = EMAIL) -> str:
    app.request_password_reset(RequestPasswordReset(email=email))
    (message,) = deliver(app)
    assert message.to == email
    return token_of(message, f"{app.services.delivery.links.home()}/account/reset-password")


# -- email verification -------------------------------------------------------------------
def test_registering_sends_a_verification_link_that_works_once(app: TickEx) -> None:
    user = register(app)
    assert not verified(app, user.id)
    (message,) = deliver(app)
    assert message.to == EMAIL
    assert "verif" in message.subject.lower() or "confirm" in message.subject.lower()
    token = token_of(message, f"{app.services.delivery.links.home()}/account/verify-email")
    assert token.startswith("tkx_ve_")

    account = app.verify_email(VerifyEmail(token=token))
    assert account.email_verified
    assert verified(app, user.id)
    with pytest.raises(InvalidToken) as used:
        app.verify_email(VerifyEmail(token=token))
    assert used.value.code == "invalid_token"


def test_the_verification_email_is_queued_in_the_registering_unit(app: TickEx) -> None:
    register(app)

    def kinds(uow):  # type: ignore[no-untyped-def]
        return [m.kind for m in uow.outbox.due(app.services.clock.now(), 10)]

    assert app.services.read(kinds) == [MessageKind.NOTIFY_CUSTOMER]
    assert mailer(app).sent == []  # nothing leaves before the worker runs


def test_a_verification_link_expires_after_48_hours(app: TickEx) -> None:
    user = register(app)
    (message,) = deliver(app)
    token = token_of(message, "/account/verify-email")
    clock(app).advance(timedelta(hours=48))
    with pytest.raises(InvalidToken):
        app.verify_email(VerifyEmail(token=token))
    assert not verified(app, user.id)


def test_a_new_verification_link_on_request(app: TickEx) -> None:
    user = register(app)
    deliver(app)
    clock(app).advance(timedelta(hours=47))
    app.request_email_verification(RequestEmailVerification(user_id=user.id))
    (message,) = deliver(app)
    clock(app).advance(timedelta(hours=47))  # the first link is dead by now; this one lives
    app.verify_email(VerifyEmail(token=token_of(message, "/account/verify-email")))
    assert verified(app, user.id)
    app.request_email_verification(RequestEmailVerification(user_id=user.id))
    assert deliver(app) == []  # verified already: nothing to send


def test_requesting_verification_for_an_unknown_user_is_not_found(app: TickEx) -> None:
    with pytest.raises(NotFound):
        app.request_email_verification(RequestEmailVerification(user_id="nobody"))


@pytest.mark.parametrize(
    "token",
    ["tkx_ve_" + "A" * 43, "tkx_rp_" + "A" * 43, "not-a-token", "tkx_ve_short"],
)
def test_unknown_or_malformed_verification_tokens_are_refused(app: TickEx, token: str) -> None:
    with pytest.raises(InvalidToken):
        app.verify_email(VerifyEmail(token=token))


def test_a_reset_token_does_not_verify_and_a_verification_token_does_not_reset(
    app: TickEx,
) -> None:
    user = register(app)
    (welcome,) = deliver(app)
    verify = token_of(welcome, "/account/verify-email")
    reset = reset_token(app)
    with pytest.raises(InvalidToken):
        app.verify_email(VerifyEmail(token=reset))
    with pytest.raises(InvalidToken):
        app.reset_password(ResetPassword(token=verify, new_password=NEW_PASSWORD))
    assert not verified(app, user.id)
    log_in(app)  # the password stayed


# -- password reset -----------------------------------------------------------------------
def test_a_reset_sets_the_new_password_once(app: TickEx) -> None:
    user = register(app)
    deliver(app)
    token = reset_token(app)
    assert token.startswith("tkx_rp_")
    app.reset_password(ResetPassword(token=token, new_password=NEW_PASSWORD))
    with pytest.raises(InvalidCredentials):
        log_in(app)
    log_in(app, NEW_PASSWORD)
    assert verified(app, user.id)  # the link proved the mailbox
    with pytest.raises(InvalidToken):
        app.reset_password(ResetPassword(token=token, new_password="another long password"))
    log_in(app, NEW_PASSWORD)


def test_a_reset_ends_every_session(app: TickEx) -> None:
    register(app)
    deliver(app)
    first, second = log_in(app), log_in(app)
    token = reset_token(app)
    clock(app).advance(timedelta(seconds=1))
    app.reset_password(ResetPassword(token=token, new_password=NEW_PASSWORD))
    for pair in (first, second):
        with pytest.raises(InvalidToken):
            app.refresh_session(RefreshAccess(refresh_token=pair.refresh_token))
        with pytest.raises(InvalidToken):
            app.authenticate(Authenticate(access_token=pair.access_token))
    clock(app).advance(timedelta(seconds=1))
    fresh = log_in(app, NEW_PASSWORD)
    assert app.authenticate(Authenticate(access_token=fresh.access_token)).user_id


def test_a_reset_link_expires_after_an_hour(app: TickEx) -> None:
    register(app)
    deliver(app)
    token = reset_token(app)
    clock(app).advance(timedelta(minutes=59))
    later = reset_token(app)
    clock(app).advance(timedelta(minutes=1))
    with pytest.raises(InvalidToken):
        app.reset_password(ResetPassword(token=token, new_password=NEW_PASSWORD))
    log_in(app)  # nothing changed
    app.reset_password(ResetPassword(token=later, new_password=NEW_PASSWORD))
    log_in(app, NEW_PASSWORD)


def test_an_unknown_email_gets_the_same_answer_and_nothing_is_sent(app: TickEx) -> None:
    register(app)
    deliver(app)
    known = app.request_password_reset(RequestPasswordReset(email=EMAIL))
    unknown = app.request_password_reset(RequestPasswordReset(email="nobody@example.com"))
    assert known == unknown
    sent = deliver(app)
    assert [m.to for m in sent] == [EMAIL]


def test_reset_requests_are_limited_per_address_silently(app: TickEx) -> None:
    register(app)
    deliver(app)
    for _ in range(RESET_REQUESTS + 2):
        assert app.request_password_reset(RequestPasswordReset(email="ANA@example.com")) is None
    assert len(deliver(app)) == RESET_REQUESTS
    clock(app).advance(timedelta(hours=1, seconds=1))
    app.request_password_reset(RequestPasswordReset(email=EMAIL))
    assert len(deliver(app)) == 1


class BrokenLimiter(RateLimiter):
    def hit(self, key: str, limit: int, window_seconds: int) -> RateLimitDecision:
        raise RateLimiterUnavailable("down")

    def reset(self, key: str) -> None:
        raise RateLimiterUnavailable("down")


def test_reset_requests_fail_open_when_the_limiter_is_down() -> None:
    app = TickEx.in_memory(rate_limiter=BrokenLimiter())
    register(app)
    deliver(app)
    for _ in range(RESET_REQUESTS + 1):
        app.request_password_reset(RequestPasswordReset(email=EMAIL))
    assert len(deliver(app)) == RESET_REQUESTS + 1


def test_a_reset_needs_a_policy_strength_password(app: TickEx) -> None:
    with pytest.raises(ValidationError):
        ResetPassword(token="tkx_rp_" + "A" * 43, new_password="short")
    with pytest.raises(ValidationError):
        ResetPassword(token="tkx_rp_" + "A" * 43, new_password=NEW_PASSWORD, user_id="x")  # type: ignore[call-arg]


def test_commands_do_not_show_the_token_or_the_password() -> None:
    token = "tkx_rp_" + "B" * 43
    command = ResetPassword(token=token, new_password=NEW_PASSWORD)
    assert token not in repr(command)
    assert NEW_PASSWORD not in repr(command)
    assert token not in repr(VerifyEmail(token=token))


# -- storage ------------------------------------------------------------------------------
def test_storage_holds_the_digest_never_the_token(app: TickEx) -> None:
    register(app)
    (welcome,) = deliver(app)
    verify = token_of(welcome, "/account/verify-email")
    reset = reset_token(app)
    storage = app.services.storage
    assert isinstance(storage, InMemoryStorage)
    tokens = list(storage.tables["one_time_tokens"].values())
    assert {(t.purpose, t.token_hash) for t in tokens} == {
        (TokenPurpose.VERIFY_EMAIL, secret_digest(verify)),
        (TokenPurpose.RESET_PASSWORD, secret_digest(reset)),
    }
    for name, table in storage.tables.items():
        if name == "outbox":  # the email waiting to be sent carries its link
            continue
        dump = repr(table)
        assert verify not in dump, name
        assert reset not in dump, name
