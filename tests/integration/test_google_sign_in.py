"""The Google sign-in use cases against a local fake OpenID provider over real HTTP (it
signs real RS256 id_tokens), wired from settings like production: which account a Google
identity signs in to, and what a sign-in takes away from someone who registered an address
they never proved they own."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.integration.sql.support import postgres_storage, sqlite_storage
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.mail import InMemoryMailer
from tickex.application.identity.authenticate import Authenticate
from tickex.application.identity.disable_user import DisableUser
from tickex.application.identity.google_sign_in import (
    CompleteGoogleSignIn,
    GoogleSignInDisabled,
    GoogleSignInStarted,
    StartGoogleSignIn,
)
from tickex.application.identity.log_in import LogIn
from tickex.application.identity.refresh_session import RefreshAccess
from tickex.application.identity.register_user import RegisterUser
from tickex.application.identity.session import TokenPair
from tickex.bootstrap import deterministic_adapters, memory_access_tokens
from tickex.domain.errors import AccountDisabled, Conflict, InvalidCredentials, ValidationFailed
from tickex.domain.identity import Principal, Role, User
from tickex.entrypoints.http.serve import shared_development_keys
from tickex.facade import TickEx
from tickex.ports.identity import InvalidToken, OidcEmailUnverified, OidcRejected
from tickex.ports.unit_of_work import Storage
from tickex.settings import Settings
from tickex.testing.fake_oidc import FakeOidcProvider, FakeUser

REDIRECT = "http://127.0.0.1:5173/auth/google/callback"  # the front end's callback page
PASSWORD = "correct horse battery"
ADMIN = Principal(user_id="the-admin", roles=frozenset({Role.CUSTOMER, Role.ADMIN}))


def google_app(
    provider: FakeOidcProvider,
    clock: FixedClock,
    *,
    storage: Storage | None = None,
    **settings: object,
) -> TickEx:
    """``TickEx`` with Google sign-in on, built from settings (as ``tickex serve`` does),
    with in-memory adapters (or ``storage``) on ``clock``."""
    config = Settings.load(
        environment="test",
        database_url="memory://",
        google_client_id=provider.client_id,
        google_client_secret=provider.client_secret,
        google_issuer=provider.issuer,
        google_redirect_uris=REDIRECT,
        **settings,
    )
    adapters = deterministic_adapters()
    adapters["clock"] = clock
    if storage is not None:
        adapters["storage"] = storage
    adapters["access_tokens"] = memory_access_tokens(clock, config)
    return TickEx.from_settings(config, **adapters)


def consent(started: GoogleSignInStarted, redirect_uri: str = REDIRECT) -> tuple[str, str]:
    """What the browser does: follow the authorization URL to the provider, which
    redirects back to the front end with ``code`` and ``state``."""
    response = httpx.get(started.authorization_url, follow_redirects=False, timeout=2.0)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(redirect_uri + "?")
    query = parse_qs(urlsplit(location).query)
    return query["code"][0], query["state"][0]


def sign_in(app: TickEx) -> TokenPair:
    started = app.start_google_sign_in(StartGoogleSignIn(redirect_uri=REDIRECT))
    code, state = consent(started)
    return app.complete_google_sign_in(
        CompleteGoogleSignIn(code=code, state=state, flow_token=started.flow_token)
    )


def user_by_email(app: TickEx, email: str) -> User | None:
    return app.services.read(lambda uow: uow.users.get_by_email(email))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def provider(clock: FixedClock) -> Iterator[FakeOidcProvider]:
    with FakeOidcProvider(redirect_uris=[REDIRECT], clock=clock) as running:
        running.user = FakeUser(subject="google-ada", email="Ada@Example.com", name="Ada L.")
        running.id_token_overrides = {"hd": "example.com"}  # a Google Workspace account
        yield running


@pytest.fixture
def app(provider: FakeOidcProvider, clock: FixedClock) -> TickEx:
    return google_app(provider, clock)


# -- new and returning users ----------------------------------------------------------------
def test_a_new_google_user_gets_a_verified_customer_account_without_a_password(
    app: TickEx,
) -> None:
    pair = sign_in(app)
    user = user_by_email(app, "ada@example.com")
    assert user is not None
    assert pair.user_id == user.id
    assert (user.name, user.google_subject, user.password_hash) == ("Ada L.", "google-ada", None)
    assert user.email_verified
    assert user.roles == frozenset({Role.CUSTOMER})
    assert app.authenticate(Authenticate(access_token=pair.access_token)).user_id == user.id
    with pytest.raises(InvalidCredentials):  # there is no password to log in with
        app.log_in(LogIn(email="ada@example.com", password=PASSWORD))


def test_a_returning_user_signs_in_to_the_same_account_by_subject(
    app: TickEx, provider: FakeOidcProvider
) -> None:
    first = sign_in(app)
    provider.user = dataclasses.replace(provider.user, email="ada@new.example", name="Other")
    second = sign_in(app)  # the email changed at Google: the subject is the key
    assert second.user_id == first.user_id
    assert second.session_id != first.session_id
    assert user_by_email(app, "ada@new.example") is None
    assert user_by_email(app, "ada@example.com") is not None


def test_without_a_name_the_account_is_named_after_the_address(
    app: TickEx, provider: FakeOidcProvider
) -> None:
    provider.user = FakeUser(subject="g-2", email="grace@example.com", name=None)
    sign_in(app)
    user = user_by_email(app, "grace@example.com")
    assert user is not None
    assert user.name == "grace"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_sign_ins_completed_at_once_open_one_account(
    provider: FakeOidcProvider, clock: FixedClock, tmp_path: Path, engine: str
) -> None:
    """Several tabs finish the first sign-in of one Google account together, in real
    transactions. SQLite runs writing units one at a time; on PostgreSQL the ones that
    insert after the first conflict, retry and find the account linked."""
    storages = {"sqlite": lambda: sqlite_storage(tmp_path), "postgresql": postgres_storage}
    with storages[engine]() as storage:
        app = google_app(provider, clock, storage=storage)
        flows = []
        for _ in range(4):
            started = app.start_google_sign_in(StartGoogleSignIn(redirect_uri=REDIRECT))
            code, state = consent(started)
            token = started.flow_token
            flows.append(CompleteGoogleSignIn(code=code, state=state, flow_token=token))
        together = threading.Barrier(len(flows))

        def complete(command: CompleteGoogleSignIn) -> str:
            together.wait()
            return app.complete_google_sign_in(command).user_id

        with ThreadPoolExecutor(len(flows)) as pool:
            user_ids = set(pool.map(complete, flows))
        user = user_by_email(app, "ada@example.com")
        assert user is not None
        assert user_ids == {user.id}


# -- linking by the verified email ------------------------------------------------------------
def test_an_existing_verified_account_is_linked_and_keeps_its_password(app: TickEx) -> None:
    registered = app.register_user(
        RegisterUser(email="ada@example.com", password=PASSWORD, name="Ada")
    )
    verified = dataclasses.replace(registered)
    verified.verify_email()
    app.services.transaction(lambda uow: uow.users.save(verified))
    before = app.log_in(LogIn(email="ada@example.com", password=PASSWORD))

    pair = sign_in(app)

    assert pair.user_id == registered.id
    user = user_by_email(app, "ada@example.com")
    assert user is not None
    assert user.google_subject == "google-ada"
    assert user.password_hash == registered.password_hash
    assert app.log_in(LogIn(email="ada@example.com", password=PASSWORD)).user_id == registered.id
    assert app.authenticate(Authenticate(access_token=before.access_token)).user_id == user.id


def test_an_unverified_account_is_taken_back_from_whoever_registered_the_address(
    app: TickEx, clock: FixedClock
) -> None:
    """Someone registered ada@example.com without owning it; Ada signs in with Google, which
    vouches for the address: the squatter's password and sessions end, Ada's work."""
    squatter = app.register_user(
        RegisterUser(email="ada@example.com", password=PASSWORD, name="Not Ada")
    )
    squatter_pair = app.log_in(LogIn(email="ada@example.com", password=PASSWORD))
    clock.advance(timedelta(seconds=5))

    pair = sign_in(app)

    assert pair.user_id == squatter.id
    user = user_by_email(app, "ada@example.com")
    assert user is not None
    assert user.password_hash is None
    assert user.email_verified
    assert user.google_subject == "google-ada"
    with pytest.raises(InvalidCredentials):
        app.log_in(LogIn(email="ada@example.com", password=PASSWORD))
    with pytest.raises(InvalidToken):
        app.refresh_session(RefreshAccess(refresh_token=squatter_pair.refresh_token))
    with pytest.raises(InvalidToken):
        app.authenticate(Authenticate(access_token=squatter_pair.access_token))
    assert app.authenticate(Authenticate(access_token=pair.access_token)).user_id == user.id
    assert app.refresh_session(RefreshAccess(refresh_token=pair.refresh_token)).user_id == user.id


def test_an_account_linked_to_another_google_account_is_not_relinked(
    app: TickEx, provider: FakeOidcProvider
) -> None:
    first = sign_in(app)
    provider.user = FakeUser(subject="google-someone-else", email="ada@example.com")
    with pytest.raises(Conflict):
        sign_in(app)
    user = user_by_email(app, "ada@example.com")
    assert user is not None
    assert (user.id, user.google_subject) == (first.user_id, "google-ada")


def test_an_email_the_provider_has_not_verified_links_and_opens_nothing(
    app: TickEx, provider: FakeOidcProvider
) -> None:
    app.register_user(RegisterUser(email="ada@example.com", password=PASSWORD, name="Ada"))
    provider.user = dataclasses.replace(provider.user, email_verified=False)
    with pytest.raises(OidcEmailUnverified):
        sign_in(app)
    user = user_by_email(app, "ada@example.com")
    assert user is not None
    assert (user.google_subject, user.email_verified) == (None, False)
    assert user.password_hash is not None


def test_only_an_address_google_answers_for_links_an_existing_account(
    app: TickEx, provider: FakeOidcProvider
) -> None:
    """A Google account made with an address elsewhere says ``email_verified`` because the
    address was checked once, at sign-up: that must not take over an account here."""
    provider.id_token_overrides = {}  # no hd: a consumer account with an outside address
    for verified in (False, True):
        email = f"ada-{verified}@example.com"
        registered = app.register_user(RegisterUser(email=email, password=PASSWORD, name="A"))
        if verified:
            registered.verify_email()
            app.services.transaction(lambda uow, user=registered: uow.users.save(user))
        provider.user = FakeUser(subject=f"google-{verified}", email=email)
        with pytest.raises(Conflict):
            sign_in(app)
        user = user_by_email(app, email)
        assert user is not None
        assert (user.google_subject, user.email_verified) == (None, verified)
        assert app.log_in(LogIn(email=email, password=PASSWORD)).user_id == registered.id


def test_an_outside_address_opens_an_account_that_still_has_to_verify_it(
    app: TickEx, provider: FakeOidcProvider
) -> None:
    provider.id_token_overrides = {}
    provider.user = FakeUser(subject="google-grace", email="grace@example.com")
    sign_in(app)
    user = user_by_email(app, "grace@example.com")
    assert user is not None
    assert (user.google_subject, user.email_verified) == ("google-grace", False)
    app.process_outbox()  # the verification email, as after a registration
    mailer = app.services.delivery.mailer
    assert isinstance(mailer, InMemoryMailer)
    assert [m.subject for m in mailer.sent if m.to == "grace@example.com"] == [
        "Confirm your email address for TickEx"
    ]


def test_a_gmail_address_is_google_s_own_and_links(app: TickEx, provider: FakeOidcProvider) -> None:
    provider.id_token_overrides = {}
    provider.user = FakeUser(subject="google-ada", email="ada@gmail.com")
    registered = app.register_user(
        RegisterUser(email="ada@gmail.com", password=PASSWORD, name="Ada")
    )
    assert sign_in(app).user_id == registered.id
    user = user_by_email(app, "ada@gmail.com")
    assert user is not None
    assert (user.google_subject, user.email_verified, user.password_hash) == (
        "google-ada",
        True,
        None,  # it was never verified here: taken back
    )


# -- refused --------------------------------------------------------------------------------
def test_a_disabled_account_is_refused_by_subject_and_by_email(
    app: TickEx, provider: FakeOidcProvider
) -> None:
    linked = sign_in(app)
    app.disable_user(DisableUser(actor=ADMIN, user_id=linked.user_id))
    with pytest.raises(AccountDisabled):
        sign_in(app)

    other = app.register_user(
        RegisterUser(email="grace@example.com", password=PASSWORD, name="Grace")
    )
    app.disable_user(DisableUser(actor=ADMIN, user_id=other.id))
    provider.user = FakeUser(subject="google-grace", email="grace@example.com")
    with pytest.raises(AccountDisabled):
        sign_in(app)
    user = user_by_email(app, "grace@example.com")
    assert user is not None
    assert (user.google_subject, user.password_hash) == (None, other.password_hash)


def test_only_the_configured_redirect_uris_are_allowed(app: TickEx) -> None:
    for uri in ("https://evil.example/cb", REDIRECT + "/", REDIRECT + "?x=1", REDIRECT.upper()):
        with pytest.raises(ValidationFailed) as caught:
            app.start_google_sign_in(StartGoogleSignIn(redirect_uri=uri))
        assert caught.value.context == {"field": "redirect_uri"}


def test_a_changed_or_foreign_flow_token_is_refused_before_the_code_is_spent(
    app: TickEx, provider: FakeOidcProvider, clock: FixedClock
) -> None:
    started = app.start_google_sign_in(StartGoogleSignIn(redirect_uri=REDIRECT))
    code, state = consent(started)
    elsewhere = google_app(provider, clock)  # another deployment: another key
    foreign = elsewhere.start_google_sign_in(StartGoogleSignIn(redirect_uri=REDIRECT))
    changed = started.flow_token[:-2] + ("AA" if started.flow_token[-2:] != "AA" else "BB")
    for token in (changed, foreign.flow_token, "garbage", started.flow_token[:40]):
        with pytest.raises(OidcRejected) as caught:
            app.complete_google_sign_in(
                CompleteGoogleSignIn(code=code, state=state, flow_token=token)
            )
        assert caught.value.reason in ("flow", "state")
    assert provider.token_requests == 0
    pair = app.complete_google_sign_in(
        CompleteGoogleSignIn(code=code, state=state, flow_token=started.flow_token)
    )
    assert pair.user_id


def test_the_flow_token_opens_in_every_worker_of_tickex_serve(
    provider: FakeOidcProvider, clock: FixedClock
) -> None:
    """``tickex serve --workers N``: the start may land on one worker, the completion on
    another. Both derive the flow key from TICKEX_ACCESS_TOKEN_KEY -- which ``serve`` sets
    once for all workers when development leaves it unset."""
    shared = shared_development_keys(Settings.load(environment="development"))
    key = shared["TICKEX_ACCESS_TOKEN_KEY"]
    one, two = (google_app(provider, clock, access_token_key=key) for _ in range(2))
    started = one.start_google_sign_in(StartGoogleSignIn(redirect_uri=REDIRECT))
    code, state = consent(started)
    pair = two.complete_google_sign_in(
        CompleteGoogleSignIn(code=code, state=state, flow_token=started.flow_token)
    )
    assert pair.user_id

    alone, other = google_app(provider, clock), google_app(provider, clock)  # a key each
    started = alone.start_google_sign_in(StartGoogleSignIn(redirect_uri=REDIRECT))
    code, state = consent(started)
    with pytest.raises(OidcRejected) as caught:
        other.complete_google_sign_in(
            CompleteGoogleSignIn(code=code, state=state, flow_token=started.flow_token)
        )
    assert caught.value.reason == "flow"


def test_google_sign_in_is_off_without_a_client(provider: FakeOidcProvider) -> None:
    app = TickEx.in_memory()
    assert app.services.identity.oidc is None
    with pytest.raises(GoogleSignInDisabled):
        app.start_google_sign_in(StartGoogleSignIn(redirect_uri=REDIRECT))
    with pytest.raises(GoogleSignInDisabled):
        app.complete_google_sign_in(CompleteGoogleSignIn(code="c", state="s", flow_token="t"))
    assert provider.authorize_requests == 0
