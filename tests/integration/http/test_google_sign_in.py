"""/v1/auth/google: signing in with Google over HTTP, the whole way round -- our API, a
browser following the authorization URL to a local fake OpenID provider (real HTTP, real
RS256 id_tokens), back to the front end's callback with code and state, and completing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tests.integration.test_google_sign_in import REDIRECT, google_app
from tickex.adapters.memory.clock import FixedClock
from tickex.application.identity.disable_user import DisableUser
from tickex.application.identity.issue_api_key import IssueApiKey
from tickex.application.identity.register_user import RegisterUser
from tickex.domain.identity import ApiScope, Principal, Role
from tickex.entrypoints.http import create_app
from tickex.entrypoints.http.rate_limit import DEFAULT_POLICIES
from tickex.facade import TickEx
from tickex.testing.fake_oidc import FakeOidcProvider, FakeUser

Client = TestClient[Litestar]
PASSWORD = "correct horse battery"
START, COMPLETE = "/v1/auth/google/start", "/v1/auth/google/complete"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def provider(clock: FixedClock) -> Iterator[FakeOidcProvider]:
    with FakeOidcProvider(redirect_uris=[REDIRECT], clock=clock) as running:
        running.user = FakeUser(subject="google-ada", email="ada@example.com", name="Ada")
        running.id_token_overrides = {"hd": "example.com"}  # Google Workspace: authoritative
        yield running


@pytest.fixture
def tickex(provider: FakeOidcProvider, clock: FixedClock) -> TickEx:
    return google_app(provider, clock)


@pytest.fixture
def client(tickex: TickEx) -> Iterator[Client]:
    with TestClient(create_app(tickex, rate_policies={})) as test_client:
        yield test_client


def start(client: Client, redirect_uri: str = REDIRECT) -> dict[str, Any]:
    response = client.post(START, json={"redirect_uri": redirect_uri})
    assert response.status_code == 200, response.text
    started: dict[str, Any] = response.json()
    return started


def browser(started: dict[str, Any]) -> dict[str, str]:
    """Follow the authorization URL to the provider; it redirects to the callback page."""
    response = httpx.get(started["authorization_url"], follow_redirects=False, timeout=2.0)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def complete(client: Client, callback: dict[str, str], flow_token: str) -> Any:
    body = {"code": callback["code"], "state": callback["state"], "flow_token": flow_token}
    return client.post(COMPLETE, json=body)


def sign_in(client: Client) -> dict[str, Any]:
    started = start(client)
    response = complete(client, browser(started), started["flow_token"])
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


def register_and_log_in(client: Client, email: str = "ada@example.com") -> dict[str, Any]:
    body = {"email": email, "password": PASSWORD, "name": "Someone"}
    assert client.post("/v1/auth/register", json=body).status_code == 201
    response = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


# -- the flow ---------------------------------------------------------------------------------
def test_the_whole_sign_in_gives_a_token_pair_for_a_new_verified_account(
    client: Client, provider: FakeOidcProvider, clock: FixedClock
) -> None:
    response = client.post(START, json={"redirect_uri": REDIRECT})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    started = response.json()
    assert set(started) == {"authorization_url", "flow_token", "expires_at"}
    assert started["authorization_url"].startswith(f"{provider.issuer}/authorize?")
    assert started["expires_at"] == (clock.now() + timedelta(minutes=10)).isoformat().replace(
        "+00:00", "Z"
    )
    callback = browser(started)
    assert callback["state"] not in started["flow_token"]

    done = complete(client, callback, started["flow_token"])

    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    pair = done.json()
    assert set(pair) == {
        "access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_at",
    }  # fmt: skip  # the same shape as login
    me = client.get("/v1/me", headers=bearer(pair))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "id": me.json()["id"], "email": "ada@example.com", "name": "Ada",
        "roles": ["customer"], "organizer_id": None, "email_verified": True,
    }  # fmt: skip
    refreshed = client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text


def test_signing_in_again_reaches_the_same_account(client: Client) -> None:
    first, second = sign_in(client), sign_in(client)
    assert (
        client.get("/v1/me", headers=bearer(first)).json()["id"]
        == (client.get("/v1/me", headers=bearer(second)).json()["id"])
    )


def test_no_code_state_or_token_reaches_the_logs(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        started = start(client)
    callback = browser(started)  # the browser's request: not ours
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        pair = complete(client, callback, started["flow_token"]).json()
    secrets = [callback["code"], callback["state"], started["flow_token"], pair["access_token"]]
    assert not [s for s in secrets if s in caplog.text]


# -- refused ----------------------------------------------------------------------------------
def test_a_replayed_code_is_refused(client: Client) -> None:
    started = start(client)
    callback = browser(started)
    assert complete(client, callback, started["flow_token"]).status_code == 200
    replayed = complete(client, callback, started["flow_token"])
    assert_problem(replayed, 401, "oidc_rejected")
    assert replayed.headers["www-authenticate"].startswith("Bearer")


def test_a_state_that_does_not_match_the_flow_is_refused_before_the_code_is_spent(
    client: Client, provider: FakeOidcProvider
) -> None:
    started = start(client)
    callback = browser(started)
    wrong = {**callback, "state": callback["state"][:-1] + "x"}
    assert_problem(complete(client, wrong, started["flow_token"]), 401, "oidc_rejected")
    assert provider.token_requests == 0
    assert complete(client, callback, started["flow_token"]).status_code == 200


def test_a_flow_token_of_another_start_is_refused(
    client: Client, provider: FakeOidcProvider
) -> None:
    """Login CSRF: an attacker's code and state (from the attacker's own start) reach a
    victim's callback page, whose tab holds its own flow token -- or none."""
    attacker = start(client)
    attacker_callback = browser(attacker)
    victim = start(client)
    refused = complete(client, attacker_callback, victim["flow_token"])
    assert_problem(refused, 401, "oidc_rejected")
    assert provider.token_requests == 0


@pytest.mark.parametrize("flow_token", ["garbage", "A" * 200])
def test_a_made_up_flow_token_is_refused(client: Client, flow_token: str) -> None:
    callback = browser(start(client))
    assert_problem(complete(client, callback, flow_token), 401, "oidc_rejected")


def test_an_expired_flow_is_refused(
    client: Client, clock: FixedClock, provider: FakeOidcProvider
) -> None:
    started = start(client)
    callback = browser(started)
    clock.advance(timedelta(minutes=10))
    assert_problem(complete(client, callback, started["flow_token"]), 401, "oidc_rejected")
    assert provider.token_requests == 0


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://evil.example/cb", REDIRECT + "/", REDIRECT + "?next=/admin", "not a url"],
)
def test_a_redirect_uri_that_is_not_configured_is_refused(
    client: Client, provider: FakeOidcProvider, redirect_uri: str
) -> None:
    response = client.post(START, json={"redirect_uri": redirect_uri})
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["context"] == {"field": "redirect_uri"}
    assert provider.authorize_requests == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"redirect_uri": REDIRECT, "scope": "openid admin"}, {"redirect_uri": "x" * 2049}],
)
def test_start_refuses_unknown_missing_and_oversized_fields(
    client: Client, body: dict[str, Any]
) -> None:
    assert_problem(client.post(START, json=body), 422, "validation_failed")


@pytest.mark.parametrize(
    "body",
    [
        {"code": "c", "state": "s"},
        {"code": "c", "state": "s", "flow_token": "t", "email": "boss@example.com"},
        {"code": "c" * 2049, "state": "s", "flow_token": "t"},
        {"code": "c", "state": "s" * 513, "flow_token": "t"},
        {"code": "c", "state": "s", "flow_token": "t" * 4097},
    ],
)
def test_complete_refuses_unknown_missing_and_oversized_fields(
    client: Client, body: dict[str, Any]
) -> None:
    assert_problem(client.post(COMPLETE, json=body), 422, "validation_failed")


def test_the_bodies_must_be_json(client: Client) -> None:
    for path in (START, COMPLETE):
        response = client.post(path, content=b"{}", headers={"content-type": "text/plain"})
        assert_problem(response, 415, "unsupported_media_type")


def test_an_email_the_provider_has_not_verified_is_refused(
    client: Client, provider: FakeOidcProvider
) -> None:
    provider.user = FakeUser(subject="g-x", email="ada@example.com", email_verified=False)
    started = start(client)
    refused = complete(client, browser(started), started["flow_token"])
    assert_problem(refused, 401, "email_unverified")


# -- accounts that exist already -------------------------------------------------------------
def test_an_existing_password_account_is_linked_and_its_password_still_works(
    client: Client, tickex: TickEx
) -> None:
    before = register_and_log_in(client)
    user = tickex.services.read(lambda uow: uow.users.get_by_email("ada@example.com"))
    assert user is not None
    user.verify_email()
    tickex.services.transaction(lambda uow: uow.users.save(user))

    pair = sign_in(client)

    me = client.get("/v1/me", headers=bearer(pair)).json()
    assert me["id"] == user.id
    assert me["name"] == "Someone"  # the account's own name stays
    login = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert client.get("/v1/me", headers=bearer(before)).status_code == 200


def test_an_unverified_account_of_the_same_address_is_taken_back(
    client: Client, clock: FixedClock
) -> None:
    """Someone registered ada@example.com without owning the mailbox and kept a session;
    Ada signs in with Google: the password is gone and the old session is dead."""
    squatter = register_and_log_in(client)
    squatter_id = client.get("/v1/me", headers=bearer(squatter)).json()["id"]
    clock.advance(timedelta(seconds=5))

    pair = sign_in(client)

    me = client.get("/v1/me", headers=bearer(pair))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == squatter_id
    assert me.json()["email_verified"] is True
    login = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert_problem(login, 401, "invalid_credentials")
    old_refresh = client.post("/v1/auth/refresh", json={"refresh_token": squatter["refresh_token"]})
    assert_problem(old_refresh, 401, "invalid_token")
    assert_problem(client.get("/v1/me", headers=bearer(squatter)), 401, "invalid_token")


def test_taking_an_account_back_also_revokes_the_api_keys_made_under_it(
    client: Client, tickex: TickEx, clock: FixedClock
) -> None:
    allowed = TickEx(tickex.services.with_ports(organizer_self_serve=True))
    squatter = allowed.register_user(
        RegisterUser(email="ada@example.com", password=PASSWORD, name="Not Ada",
                     as_organizer=True)
    )  # fmt: skip
    assert squatter.organizer_id is not None
    issued = tickex.issue_api_key(
        IssueApiKey(organizer_id=squatter.organizer_id, name="mine", scopes={ApiScope.EVENTS_READ})
    )
    key_header = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/v1/organizer/events", headers=key_header).status_code == 200
    clock.advance(timedelta(seconds=5))

    sign_in(client)

    assert_problem(client.get("/v1/organizer/events", headers=key_header), 401, "invalid_token")


def test_a_disabled_account_is_refused(client: Client, tickex: TickEx) -> None:
    pair = sign_in(client)
    user_id = client.get("/v1/me", headers=bearer(pair)).json()["id"]
    admin = Principal(user_id="the-admin", roles=frozenset({Role.CUSTOMER, Role.ADMIN}))
    tickex.disable_user(DisableUser(actor=admin, user_id=user_id))
    started = start(client)
    refused = complete(client, browser(started), started["flow_token"])
    assert_problem(refused, 403, "account_disabled")


def test_an_account_linked_to_another_google_account_is_a_conflict(
    client: Client, provider: FakeOidcProvider
) -> None:
    sign_in(client)
    provider.user = FakeUser(subject="google-another", email="ada@example.com")
    started = start(client)
    assert_problem(complete(client, browser(started), started["flow_token"]), 409, "conflict")


def test_an_address_google_is_not_authoritative_for_links_no_account(
    client: Client, provider: FakeOidcProvider
) -> None:
    register_and_log_in(client)
    provider.id_token_overrides = {}  # a consumer Google account made with this address
    started = start(client)
    refused = complete(client, browser(started), started["flow_token"])
    problem = assert_problem(refused, 409, "conflict")
    assert problem["context"] == {"field": "email"}
    login = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text


# -- the provider and the configuration -------------------------------------------------------
def test_a_provider_that_is_down_is_503_at_start(
    client: Client, provider: FakeOidcProvider
) -> None:
    provider.stop()
    assert_problem(client.post(START, json={"redirect_uri": REDIRECT}), 503, "oidc_unavailable")


def test_a_provider_that_goes_down_is_503_at_complete_and_the_flow_can_be_retried(
    client: Client, provider: FakeOidcProvider
) -> None:
    started = start(client)
    callback = browser(started)
    provider.jwks_status = 503  # the keys cannot be fetched
    assert_problem(complete(client, callback, started["flow_token"]), 503, "oidc_unavailable")
    provider.jwks_status = 200
    assert sign_in(client)["access_token"]
    provider.stop()
    retry = start(client)  # the discovery document is cached: the start still works
    assert_problem(
        complete(client, {"code": "any", "state": retry_state(retry)}, retry["flow_token"]),
        503,
        "oidc_unavailable",
    )


def retry_state(started: dict[str, Any]) -> str:
    query = parse_qs(urlsplit(started["authorization_url"]).query)
    return query["state"][0]


def test_without_a_google_client_both_routes_answer_404() -> None:
    with TestClient(create_app(TickEx.in_memory())) as client:
        started = client.post(START, json={"redirect_uri": REDIRECT})
        assert_problem(started, 404, "google_sign_in_disabled")
        completed = client.post(COMPLETE, json={"code": "c", "state": "s", "flow_token": "t"})
        assert_problem(completed, 404, "google_sign_in_disabled")


def test_both_routes_are_rate_limited_per_client_address(tickex: TickEx) -> None:
    limit = DEFAULT_POLICIES["startGoogleSignIn"].limit
    assert DEFAULT_POLICIES["completeGoogleSignIn"].limit == limit
    with TestClient(create_app(tickex)) as client:
        for _ in range(limit):
            assert client.post(START, json={"redirect_uri": REDIRECT}).status_code == 200
        refused = client.post(START, json={"redirect_uri": REDIRECT})
        assert_problem(refused, 429, "rate_limited")
        assert refused.headers["retry-after"]
        body = {"code": "c", "state": "s", "flow_token": "t"}
        for _ in range(limit):
            assert client.post(COMPLETE, json=body).status_code == 401
        assert_problem(client.post(COMPLETE, json=body), 429, "rate_limited")
