"""The account use cases through ``TickEx.in_memory()``: a fast real password hasher, fake
access tokens on the fixed clock, in-memory storage and rate limiter.

Assertions are on behaviour and on what is stored (digests only, sessions revoked)."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from pydantic import ValidationError

from tickex.adapters.argon2_hasher import Argon2PasswordHasher
from tickex.adapters.jwt_tokens import JwtAccessTokens
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.identity import InMemoryPasswordHasher
from tickex.application.identity.admin import SelfDecision
from tickex.application.identity.authenticate import Authenticate, GetAccount
from tickex.application.identity.change_password import ChangePassword
from tickex.application.identity.disable_user import DisableUser, LastAdmin
from tickex.application.identity.log_in import LOGIN_ATTEMPTS, LogIn
from tickex.application.identity.log_out import LogOut, LogOutEverywhere
from tickex.application.identity.refresh_session import RefreshAccess
from tickex.application.identity.register_user import RegisterUser
from tickex.application.identity.session import TokenPair
from tickex.domain.errors import (
    AccountDisabled,
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidTransition,
    NotFound,
    TooManyAttempts,
)
from tickex.domain.identity import Principal, Role, User
from tickex.facade import TickEx
from tickex.ports.identity import InvalidToken, TokenExpired, secret_digest
from tickex.settings import Settings, SettingsError

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple grapes lantern"


@pytest.fixture
def app() -> TickEx:
    return TickEx.in_memory()


def clock(app: TickEx) -> FixedClock:
    assert isinstance(app.services.clock, FixedClock)
    return app.services.clock


def register(app: TickEx, email: str = "ana@example.com", **kw: object) -> User:
    return app.register_user(RegisterUser(email=email, password=PASSWORD, name="Ana", **kw))


def log_in(app: TickEx, email: str = "ana@example.com", password: str = PASSWORD) -> TokenPair:
    return app.log_in(LogIn(email=email, password=password))


def who(app: TickEx, pair: TokenPair) -> Principal:
    return app.authenticate(Authenticate(access_token=pair.access_token))


def refresh(app: TickEx, pair: TokenPair) -> TokenPair:
    return app.refresh_session(RefreshAccess(refresh_token=pair.refresh_token))


def make_admin(app: TickEx, user_id: str) -> None:
    def work(uow):  # type: ignore[no-untyped-def]
        user = uow.users.get(user_id)
        user.grant(Role.ADMIN)
        uow.users.save(user)

    app.services.transaction(work)


def stored_user(app: TickEx, user_id: str) -> User:
    user = app.services.read(lambda uow: uow.users.get(user_id))
    assert user is not None
    return user


class CountingHasher(InMemoryPasswordHasher):
    def __init__(self, iterations: int = 10) -> None:
        super().__init__(iterations)
        self.verified = 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        return super().verify(password_hash, password)


def with_services(app: TickEx, **changes: object) -> TickEx:
    return TickEx(app.services.with_ports(**changes))  # type: ignore[arg-type]


# -- register ------------------------------------------------------------------------------
def test_a_registered_user_logs_in_and_is_a_customer(app: TickEx) -> None:
    user = register(app, email="Ana@Example.COM")
    assert user.email == "ana@example.com"
    assert user.roles == frozenset({Role.CUSTOMER})
    assert user.password_hash is not None
    assert PASSWORD not in user.password_hash
    pair = log_in(app)
    assert pair.token_type == "Bearer"
    assert pair.expires_in == 900
    assert pair.refresh_expires_at == clock(app).now() + timedelta(days=30)
    principal = who(app, pair)
    assert principal == Principal(user_id=user.id, roles=frozenset({Role.CUSTOMER}))
    account = app.get_account(GetAccount(user_id=user.id))
    assert (account.email, account.name, account.email_verified) == (
        "ana@example.com",
        "Ana",
        False,
    )


def test_only_the_digest_of_a_refresh_token_is_stored(app: TickEx) -> None:
    register(app)
    pair = log_in(app)
    assert pair.refresh_token.startswith("tkx_rt_")
    assert pair.refresh_token not in repr(pair)
    assert pair.access_token not in repr(pair)
    session = app.services.read(
        lambda uow: uow.sessions.get_by_token_hash(secret_digest(pair.refresh_token))
    )
    assert session is not None
    assert session.family_id == pair.session_id
    assert pair.refresh_token not in session.token_hash


def test_a_taken_email_is_a_bare_conflict(app: TickEx) -> None:
    register(app)
    with pytest.raises(Conflict) as raised:
        register(app, email="ANA@example.com")
    assert raised.value.context == {}
    assert "ana" not in raised.value.detail


def test_a_password_is_12_to_128_characters_taken_as_typed(app: TickEx) -> None:
    for bad in ("short pass", "x" * 129):
        with pytest.raises(ValidationError):
            RegisterUser(email="ana@example.com", password=bad, name="Ana")
    app.register_user(RegisterUser(email="ana@example.com", password="  padded pass  ", name="A"))
    with pytest.raises(InvalidCredentials):
        log_in(app, password="padded pass")
    assert log_in(app, password="  padded pass  ").access_token


def test_a_command_refuses_roles_and_status(app: TickEx) -> None:
    for extra in ({"role": "admin"}, {"roles": ["admin"]}, {"organizer_id": "o"}, {"status": "x"}):
        with pytest.raises(ValidationError):
            RegisterUser(email="ana@example.com", password=PASSWORD, name="Ana", **extra)  # type: ignore[arg-type]


def test_organizer_self_serve_is_off_unless_allowed(app: TickEx) -> None:
    with pytest.raises(Forbidden):
        register(app, as_organizer=True, organizer_name="Nightjar")
    assert app.services.read(lambda uow: uow.users.get_by_email("ana@example.com")) is None


def test_self_serve_opens_an_organizer_and_links_the_user(app: TickEx) -> None:
    open_app = with_services(app, organizer_self_serve=True)
    user = register(open_app, as_organizer=True, organizer_name="Nightjar")
    assert user.has_role(Role.ORGANIZER)
    assert user.organizer_id is not None
    organizer = app.services.read(lambda uow: uow.organizers.get(user.organizer_id or ""))
    assert organizer is not None
    assert organizer.name == "Nightjar"
    principal = who(open_app, log_in(open_app))
    assert principal.organizer_id == organizer.id
    assert principal.roles == frozenset({Role.CUSTOMER, Role.ORGANIZER})


def test_a_failed_registration_leaves_the_account_as_it_was(app: TickEx) -> None:
    open_app = with_services(app, organizer_self_serve=True)
    user = register(open_app)
    with pytest.raises(Conflict):
        register(open_app, as_organizer=True, organizer_name="Ghost")
    assert stored_user(app, user.id).organizer_id is None
    assert not stored_user(app, user.id).has_role(Role.ORGANIZER)


# -- log in --------------------------------------------------------------------------------
def test_an_unknown_email_and_a_wrong_password_fail_alike_and_cost_alike(app: TickEx) -> None:
    hasher = CountingHasher()
    counted = with_services(app, passwords=hasher)
    register(counted)
    errors = []
    for email, password in (("ana@example.com", "wrong password!"), ("bob@example.com", PASSWORD)):
        hasher.verified = 0
        with pytest.raises(InvalidCredentials) as raised:
            log_in(counted, email, password)
        assert hasher.verified == 1  # a dummy hash is verified for the unknown email
        errors.append((raised.value.code, raised.value.detail, raised.value.context))
    assert errors[0] == errors[1]


def test_a_disabled_account_is_told_only_after_the_right_password(app: TickEx) -> None:
    user = register(app)
    app.services.transaction(lambda uow: _disable(uow, user.id, app))
    with pytest.raises(InvalidCredentials):
        log_in(app, password="wrong password!")
    with pytest.raises(AccountDisabled):
        log_in(app)


def _disable(uow, user_id: str, app: TickEx) -> None:  # type: ignore[no-untyped-def]
    user = uow.users.get(user_id)
    user.disable(app.services.clock.now())
    uow.users.save(user)


def test_a_hash_with_old_parameters_is_replaced_at_login(app: TickEx) -> None:
    user = register(app)
    assert "$i=10$" in (user.password_hash or "")
    stronger = with_services(app, passwords=InMemoryPasswordHasher(iterations=20))
    log_in(stronger)
    rehashed = stored_user(app, user.id).password_hash or ""
    assert "$i=20$" in rehashed
    assert rehashed != user.password_hash
    assert log_in(stronger).access_token


def test_the_sixth_attempt_on_one_account_within_a_minute_is_refused(app: TickEx) -> None:
    register(app)
    for _ in range(LOGIN_ATTEMPTS):
        with pytest.raises(InvalidCredentials):
            log_in(app, password="wrong password!")
    with pytest.raises(TooManyAttempts) as raised:
        log_in(app)  # even the right password
    assert raised.value.code == "rate_limited"
    assert raised.value.context["retry_after_seconds"] >= 1
    clock(app).advance(timedelta(seconds=61))
    assert log_in(app).access_token


def test_a_successful_login_clears_the_account_count(app: TickEx) -> None:
    register(app)
    for _ in range(3):
        for _ in range(LOGIN_ATTEMPTS - 1):
            with pytest.raises(InvalidCredentials):
                log_in(app, password="wrong password!")
        assert log_in(app).access_token


# -- refresh -------------------------------------------------------------------------------
def test_a_refresh_token_rotates_within_its_family(app: TickEx) -> None:
    user = register(app)
    first = log_in(app)
    clock(app).advance(timedelta(minutes=20))
    with pytest.raises(TokenExpired):
        who(app, first)
    second = refresh(app, first)
    assert second.session_id == first.session_id
    assert second.refresh_token != first.refresh_token
    assert who(app, second).user_id == user.id
    third = refresh(app, second)
    assert who(app, third).user_id == user.id


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(app: TickEx) -> None:
    register(app)
    stolen = log_in(app)
    other_login = log_in(app)
    rotated = refresh(app, stolen)
    with pytest.raises(InvalidToken) as raised:
        refresh(app, stolen)  # the thief (or the victim) replays it
    assert raised.value.reason == "reused"
    with pytest.raises(InvalidToken):
        refresh(app, rotated)  # the family is revoked
    assert refresh(app, other_login).access_token  # another login is another family


def test_an_expired_refresh_token_is_refused(app: TickEx) -> None:
    register(app)
    pair = log_in(app)
    clock(app).advance(timedelta(days=30))
    with pytest.raises(InvalidToken) as raised:
        refresh(app, pair)
    assert raised.value.reason == "expired"


@pytest.mark.parametrize("token", ["", "garbage", "tkx_ak_" + "A" * 43, "tkx_rt_" + "A" * 43])
def test_malformed_or_unknown_refresh_tokens_are_refused(app: TickEx, token: str) -> None:
    with pytest.raises((InvalidToken, ValidationError)):
        app.refresh_session(RefreshAccess(refresh_token=token))


def test_a_disabled_users_refresh_token_is_refused(app: TickEx) -> None:
    user = register(app)
    pair = log_in(app)
    app.services.transaction(lambda uow: _disable(uow, user.id, app))
    with pytest.raises(InvalidToken):
        refresh(app, pair)
    with pytest.raises(InvalidToken):
        who(app, pair)


# -- log out -------------------------------------------------------------------------------
def test_log_out_ends_one_session_and_is_silent_about_unknown_tokens(app: TickEx) -> None:
    register(app)
    phone, laptop = log_in(app), log_in(app)
    app.log_out(LogOut(refresh_token=phone.refresh_token))
    app.log_out(LogOut(refresh_token=phone.refresh_token))  # idempotent
    app.log_out(LogOut(refresh_token="not a token"))
    with pytest.raises(InvalidToken):
        refresh(app, phone)
    assert refresh(app, laptop).access_token


def test_log_out_everywhere_kills_outstanding_access_tokens(app: TickEx) -> None:
    user = register(app)
    phone, laptop = log_in(app), log_in(app)
    clock(app).advance(timedelta(seconds=5))
    app.log_out_everywhere(LogOutEverywhere(user_id=user.id))
    for pair in (phone, laptop):
        with pytest.raises(InvalidToken) as raised:
            who(app, pair)
        assert raised.value.code == "invalid_token"
        with pytest.raises(InvalidToken):
            refresh(app, pair)
    clock(app).advance(timedelta(seconds=1))
    assert who(app, log_in(app)).user_id == user.id


def test_a_token_issued_in_the_same_second_as_log_out_everywhere_is_dead(app: TickEx) -> None:
    user = register(app)
    clock(app).set(clock(app).now().replace(microsecond=100))
    pair = log_in(app)  # iat: whole seconds, before the log-out below
    clock(app).advance(timedelta(microseconds=500_000))
    app.log_out_everywhere(LogOutEverywhere(user_id=user.id))
    with pytest.raises(InvalidToken):
        who(app, pair)


# -- change password -----------------------------------------------------------------------
def test_changing_the_password_needs_the_current_one_and_ends_every_session(
    app: TickEx,
) -> None:
    user = register(app)
    pair = log_in(app)
    with pytest.raises(InvalidCredentials):
        app.change_password(
            ChangePassword(user_id=user.id, current_password="wrong password!",
                           new_password=NEW_PASSWORD)
        )  # fmt: skip
    clock(app).advance(timedelta(seconds=1))
    app.change_password(
        ChangePassword(user_id=user.id, current_password=PASSWORD, new_password=NEW_PASSWORD)
    )
    with pytest.raises(InvalidToken):
        who(app, pair)
    with pytest.raises(InvalidToken):
        refresh(app, pair)
    with pytest.raises(InvalidCredentials):
        log_in(app)
    clock(app).advance(timedelta(seconds=1))
    assert who(app, log_in(app, password=NEW_PASSWORD)).user_id == user.id


# -- disable -------------------------------------------------------------------------------
def test_only_an_admin_disables_and_the_users_tokens_die(app: TickEx) -> None:
    ana = register(app)
    boss = register(app, email="boss@example.com")
    ana_pair = log_in(app)
    boss_principal = who(app, log_in(app, "boss@example.com"))
    with pytest.raises(Forbidden):
        app.disable_user(DisableUser(actor=boss_principal, user_id=ana.id))
    make_admin(app, boss.id)
    admin = who(app, log_in(app, "boss@example.com"))  # roles come from the user, now
    assert Role.ADMIN in admin.roles
    disabled = app.disable_user(DisableUser(actor=admin, user_id=ana.id))
    assert not disabled.is_active
    with pytest.raises(InvalidToken):
        who(app, ana_pair)
    with pytest.raises(InvalidToken):
        refresh(app, ana_pair)
    with pytest.raises(InvalidTransition):
        app.disable_user(DisableUser(actor=admin, user_id=ana.id))
    with pytest.raises(NotFound):
        app.disable_user(DisableUser(actor=admin, user_id="nobody"))


def test_an_admin_cannot_disable_themselves_nor_the_last_active_admin(app: TickEx) -> None:
    boss, deputy = register(app, email="boss@example.com"), register(app, email="dep@example.com")
    for user in (boss, deputy):
        make_admin(app, user.id)
    boss_admin = who(app, log_in(app, "boss@example.com"))
    deputy_admin = who(app, log_in(app, "dep@example.com"))
    with pytest.raises(SelfDecision) as refused:
        app.disable_user(DisableUser(actor=boss_admin, user_id=boss.id))
    assert refused.value.code == "self_decision"
    assert stored_user(app, boss.id).is_active
    app.disable_user(DisableUser(actor=deputy_admin, user_id=boss.id))
    # what the boss's request, authenticated before that, would do next: leave none
    with pytest.raises(LastAdmin) as last:
        app.disable_user(DisableUser(actor=boss_admin, user_id=deputy.id))
    assert last.value.code == "last_admin"
    assert stored_user(app, deputy.id).is_active
    assert who(app, log_in(app, "dep@example.com")).user_id == deputy.id


def test_disabling_an_admin_leaves_the_others_as_they_were(app: TickEx) -> None:
    users = [register(app, email=f"a{n}@example.com") for n in range(3)]
    for user in users:
        make_admin(app, user.id)
    first = who(app, log_in(app, "a0@example.com"))
    app.disable_user(DisableUser(actor=first, user_id=users[1].id))
    after = [stored_user(app, user.id) for user in users]
    assert [u.is_active for u in after] == [True, False, True]
    assert all(Role.ADMIN in u.roles for u in after)


# -- authenticate --------------------------------------------------------------------------
def test_roles_come_from_the_user_not_from_the_token(app: TickEx) -> None:
    user = register(app)
    pair = log_in(app)
    make_admin(app, user.id)
    assert Role.ADMIN in who(app, pair).roles


def test_garbage_and_foreign_tokens_are_invalid(app: TickEx) -> None:
    other = TickEx.in_memory()
    register(other)
    foreign = log_in(other)
    for token in ("garbage", foreign.access_token):
        with pytest.raises(InvalidToken) as raised:
            app.authenticate(Authenticate(access_token=token))
        assert raised.value.code == "invalid_token"


def test_a_deleted_users_token_is_invalid(app: TickEx) -> None:
    register(app)
    pair = log_in(app)
    fresh = TickEx.in_memory(access_tokens=app.services.identity.access_tokens)  # empty storage
    with pytest.raises(InvalidToken):
        who(fresh, pair)


# -- settings and wiring -------------------------------------------------------------------
SEED = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"


def test_production_needs_an_access_token_key_and_bounds_are_named() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.load(environment="production", database_url="memory://")
    assert "TICKEX_SIGNING_KEY and TICKEX_ACCESS_TOKEN_KEY are required" in str(raised.value)
    with pytest.raises(SettingsError) as raised:
        Settings.load(
            access_token_key="too-short",
            access_token_ttl_seconds=59,
            refresh_token_ttl_days=366,
        )
    message = str(raised.value)
    for name in (
        "TICKEX_ACCESS_TOKEN_KEY",
        "TICKEX_ACCESS_TOKEN_TTL_SECONDS",
        "TICKEX_REFRESH_TOKEN_TTL_DAYS",
    ):
        assert name in message
    assert "too-short" not in message


def test_settings_choose_argon2_and_jwts_with_the_configured_key() -> None:
    settings = Settings.load(
        environment="test",
        database_url="memory://",
        public_url="https://tickets.example",
        access_token_key=SEED,
        access_token_ttl_seconds=120,
        refresh_token_ttl_days=7,
        organizer_self_serve=True,
    )
    one, two = TickEx.from_settings(settings), TickEx.from_settings(settings)
    assert isinstance(one.services.identity.passwords, Argon2PasswordHasher)
    assert isinstance(one.services.identity.access_tokens, JwtAccessTokens)
    assert one.services.identity.refresh_token_ttl == timedelta(days=7)
    assert one.services.identity.organizer_self_serve is True
    issued = one.services.identity.access_tokens.issue(
        "u-1", roles=[Role.CUSTOMER], session_id="f-1"
    )
    assert issued.expires_in == 120
    assert two.services.identity.access_tokens.verify(issued.token).subject == "u-1"  # same key
    payload = jwt.decode(issued.token, options={"verify_signature": False})
    assert (payload["iss"], payload["aud"]) == ("https://tickets.example", "tickex-api")


def test_commands_never_show_passwords_or_tokens() -> None:
    commands = [
        RegisterUser(email="ana@example.com", password=PASSWORD, name="Ana"),
        LogIn(email="ana@example.com", password=PASSWORD),
        ChangePassword(user_id="u-1", current_password=PASSWORD, new_password=NEW_PASSWORD),
        RefreshAccess(refresh_token="tkx_rt_secret"),
        LogOut(refresh_token="tkx_rt_secret"),
        Authenticate(access_token="secret.jwt"),
    ]
    for command in commands:
        for shown in (repr(command), str(command)):
            assert PASSWORD not in shown
            assert NEW_PASSWORD not in shown
            assert "secret" not in shown
