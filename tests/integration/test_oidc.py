"""Sign in with an OpenID provider over real HTTP on 127.0.0.1: the fake provider signs
real RS256 id_tokens; the client verifies them against the provider's JWKS."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.oidc import HttpOidcClient, pkce_challenge
from tickex.ports.identity import (
    OidcAuthorization,
    OidcEmailUnverified,
    OidcIdentity,
    OidcRejected,
    OidcUnavailable,
)
from tickex.testing.fake_oidc import REMOVE, FakeOidcProvider, FakeUser, SigningKey, sign_rs256

REDIRECT = "http://127.0.0.1:8000/v1/auth/google/callback"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def provider(clock: FixedClock) -> Iterator[FakeOidcProvider]:
    with FakeOidcProvider(redirect_uris=[REDIRECT], clock=clock) as running:
        yield running


def _client(provider: FakeOidcProvider, clock: FixedClock, **kwargs: object) -> HttpOidcClient:
    config: dict[str, object] = {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "clock": clock,
        "timeout": 2.0,
    }
    return HttpOidcClient(**{**config, **kwargs})  # type: ignore[arg-type]


@pytest.fixture
def client(provider: FakeOidcProvider, clock: FixedClock) -> Iterator[HttpOidcClient]:
    oidc = _client(provider, clock)
    yield oidc
    oidc.close()


def consent(pending: OidcAuthorization) -> tuple[str, str]:
    """What the browser does: follow the authorization URL, get redirected back."""
    response = httpx.get(pending.url, follow_redirects=False, timeout=2.0)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(pending.redirect_uri + "?")
    query = parse_qs(urlsplit(location).query)
    return query["code"][0], query["state"][0]


def sign_in(client: HttpOidcClient) -> OidcIdentity:
    pending = client.begin(REDIRECT)
    code, state = consent(pending)
    return client.complete(pending, code=code, state=state)


def refused(client: HttpOidcClient, reason: str) -> OidcRejected:
    with pytest.raises(OidcRejected) as caught:
        sign_in(client)
    assert caught.value.reason == reason, caught.value.detail
    return caught.value


# -- the happy path -----------------------------------------------------------------------------


def test_the_full_code_and_pkce_flow_signs_the_user_in(
    client: HttpOidcClient, provider: FakeOidcProvider
) -> None:
    provider.user = FakeUser(subject="google-42", email="ada@example.com", name="Ada")
    pending = client.begin(REDIRECT)
    query = {k: v[0] for k, v in parse_qs(urlsplit(pending.url).query).items()}
    assert pending.url.startswith(f"{provider.issuer}/authorize?")
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == pkce_challenge(pending.code_verifier)
    assert query["state"] == pending.state
    assert query["nonce"] == pending.nonce
    assert set(query["scope"].split()) == {"openid", "email", "profile"}
    assert pending.code_verifier not in pending.url
    assert len({pending.state, pending.nonce, pending.code_verifier}) == 3
    assert pending.state not in repr(pending)
    assert pending.code_verifier not in repr(pending)

    code, state = consent(pending)
    identity = client.complete(pending, code=code, state=state)

    assert identity == OidcIdentity(
        issuer=provider.issuer,
        subject="google-42",
        email="ada@example.com",
        email_verified=True,
        name="Ada",
    )
    assert provider.token_requests == 1


def test_each_sign_in_gets_fresh_state_nonce_and_verifier(client: HttpOidcClient) -> None:
    first, second = client.begin(REDIRECT), client.begin(REDIRECT)
    assert first.state != second.state
    assert first.nonce != second.nonce
    assert first.code_verifier != second.code_verifier


def test_an_accepted_alias_issuer_is_reported_as_the_canonical_one(
    provider: FakeOidcProvider, clock: FixedClock
) -> None:
    """Google's tokens may say ``accounts.google.com`` without the scheme."""
    client = _client(provider, clock, accepted_issuers=("fake-alias",))
    provider.id_token_overrides = {"iss": "fake-alias"}
    assert sign_in(client).issuer == provider.issuer
    provider.id_token_overrides = {"iss": "another-alias"}
    refused(client, "issuer")


def test_no_code_token_or_secret_reaches_the_logs(
    client: HttpOidcClient, provider: FakeOidcProvider, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        pending = client.begin(REDIRECT)
    logged = caplog.text
    code, state = consent(pending)  # the browser's request, not ours: not counted
    caplog.clear()  # (another test may have left httpx logging at INFO for that request)
    with caplog.at_level(logging.DEBUG):
        client.complete(pending, code=code, state=state)
    logged += caplog.text
    secrets = [
        code,
        state,
        pending.nonce,
        pending.code_verifier,
        provider.client_secret,
        *provider.issued_id_tokens,
    ]
    assert logged  # the JWKS refresh and httpx's request lines are there
    assert not [s for s in secrets if s in logged]


# -- what is refused ------------------------------------------------------------------------------


def test_a_wrong_state_is_refused_before_the_code_is_spent(
    client: HttpOidcClient, provider: FakeOidcProvider
) -> None:
    pending = client.begin(REDIRECT)
    code, state = consent(pending)
    for wrong in ("", state[:-1], client.begin(REDIRECT).state):
        with pytest.raises(OidcRejected) as caught:
            client.complete(pending, code=code, state=wrong)
        assert caught.value.reason == "state"
    assert provider.token_requests == 0
    assert client.complete(pending, code=code, state=state).subject == provider.user.subject


def test_a_replayed_id_token_fails_on_its_nonce(
    client: HttpOidcClient, provider: FakeOidcProvider
) -> None:
    sign_in(client)
    provider.replay_id_token = provider.issued_id_tokens[-1]  # valid, but for another sign-in
    refused(client, "nonce")


@pytest.mark.parametrize("nonce", ["another-nonce", REMOVE, ""])
def test_a_wrong_or_missing_nonce_is_refused(
    client: HttpOidcClient, provider: FakeOidcProvider, nonce: object
) -> None:
    provider.id_token_overrides = {"nonce": nonce}
    refused(client, "nonce")


def test_a_code_is_single_use(client: HttpOidcClient) -> None:
    pending = client.begin(REDIRECT)
    code, state = consent(pending)
    client.complete(pending, code=code, state=state)
    with pytest.raises(OidcRejected) as caught:
        client.complete(pending, code=code, state=state)
    assert caught.value.reason == "exchange"
    assert "invalid_grant" in caught.value.detail


def test_a_wrong_code_verifier_is_refused_by_the_provider(
    client: HttpOidcClient, provider: FakeOidcProvider
) -> None:
    pending = client.begin(REDIRECT)
    code, state = consent(pending)
    other = client.begin(REDIRECT).code_verifier
    with pytest.raises(OidcRejected) as caught:
        client.complete(dataclasses.replace(pending, code_verifier=other), code=code, state=state)
    assert caught.value.reason == "exchange"
    assert provider.token_requests == 1


def test_a_wrong_client_secret_is_refused(provider: FakeOidcProvider, clock: FixedClock) -> None:
    client = _client(provider, clock, client_secret="not-the-secret")
    error = refused(client, "exchange")
    assert "invalid_client" in error.detail


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "another-client"}, "audience"),
        ({"aud": ["another-client"]}, "audience"),
        ({"aud": ["tickex-web", "another-client"], "azp": "another-client"}, "audience"),
        ({"aud": ["tickex-web", "another-client"], "azp": REMOVE}, "audience"),
        ({"iss": "https://accounts.evil.test"}, "issuer"),
        ({"sub": REMOVE}, "claims"),
        ({"email": REMOVE}, "claims"),
    ],
)
def test_claims_that_do_not_match_are_refused(
    client: HttpOidcClient,
    provider: FakeOidcProvider,
    overrides: dict[str, object],
    reason: str,
) -> None:
    provider.id_token_overrides = overrides
    refused(client, reason)


def test_several_audiences_are_accepted_when_we_are_the_authorized_party(
    client: HttpOidcClient, provider: FakeOidcProvider
) -> None:
    provider.id_token_overrides = {"aud": ["tickex-web", "another-client"], "azp": "tickex-web"}
    assert sign_in(client).subject == provider.user.subject


def test_an_expired_id_token_is_refused(
    client: HttpOidcClient, provider: FakeOidcProvider, clock: FixedClock
) -> None:
    now = int(clock.now().timestamp())
    provider.id_token_overrides = {"iat": now - 7200, "exp": now - 61}  # past the 60 s leeway
    refused(client, "expired")
    provider.id_token_overrides = {"iat": now - 7200, "exp": now - 30}  # within the leeway
    assert sign_in(client).subject == provider.user.subject


def test_an_id_token_from_the_future_is_refused(
    client: HttpOidcClient, provider: FakeOidcProvider, clock: FixedClock
) -> None:
    now = int(clock.now().timestamp())
    provider.id_token_overrides = {"iat": now + 600, "exp": now + 4200}
    refused(client, "not_yet_valid")


@pytest.mark.parametrize("verified", [False, "false", None, "yes"])
def test_an_unverified_email_is_refused(
    client: HttpOidcClient, provider: FakeOidcProvider, verified: object
) -> None:
    provider.user = FakeUser(email_verified=verified)
    with pytest.raises(OidcEmailUnverified) as caught:
        sign_in(client)
    assert caught.value.code == "email_unverified"


@pytest.mark.parametrize(("hd", "expected"), [("nightjar.example", "nightjar.example"),
                                              ("", None), (42, None)])  # fmt: skip
def test_a_google_workspace_domain_is_reported(
    client: HttpOidcClient, provider: FakeOidcProvider, hd: object, expected: str | None
) -> None:
    assert sign_in(client).hosted_domain is None  # a consumer account has no hd
    provider.id_token_overrides = {"hd": hd}
    assert sign_in(client).hosted_domain == expected


def test_a_token_signed_by_a_key_not_in_the_jwks_is_refused(
    client: HttpOidcClient, provider: FakeOidcProvider
) -> None:
    provider.sign_with = provider.new_key("rogue")
    refused(client, "unknown_key")


def test_a_rogue_key_that_claims_a_published_kid_fails_the_signature(
    client: HttpOidcClient, provider: FakeOidcProvider
) -> None:
    provider.sign_with = SigningKey(provider.signing.kid, provider.new_key("x").private_key)
    refused(client, "signature")


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", "EdDSA"])
def test_only_the_pinned_algorithm_is_accepted(
    client: HttpOidcClient, provider: FakeOidcProvider, clock: FixedClock, alg: str
) -> None:
    pending = client.begin(REDIRECT)
    now = int(clock.now().timestamp())
    claims = {
        "iss": provider.issuer,
        "aud": provider.client_id,
        "sub": "s",
        "iat": now,
        "exp": now + 600,
        "email": "a@example.com",
        "email_verified": True,
        "nonce": pending.nonce,
    }
    assert client.verify_id_token(sign_rs256(claims, provider.signing), nonce=pending.nonce)
    forged = sign_rs256(claims, provider.signing, header={"alg": alg})
    with pytest.raises(OidcRejected) as caught:
        client.verify_id_token(forged, nonce=pending.nonce)
    assert caught.value.reason == "algorithm"


def test_garbage_id_tokens_are_refused_as_malformed(client: HttpOidcClient) -> None:
    for bad in ("", "a.b.c", "x" * 20_000, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"):
        with pytest.raises(OidcRejected) as caught:
            client.verify_id_token(bad, nonce=None)
        assert caught.value.reason == "malformed"


def test_a_sign_in_that_took_too_long_is_refused(client: HttpOidcClient, clock: FixedClock) -> None:
    pending = client.begin(REDIRECT)
    code, state = consent(pending)
    clock.advance(timedelta(minutes=10))
    with pytest.raises(OidcRejected) as caught:
        client.complete(pending, code=code, state=state)
    assert caught.value.reason == "flow_expired"


# -- the provider's keys and documents ------------------------------------------------------------


def test_the_jwks_is_fetched_once_then_refetched_once_on_key_rotation(
    client: HttpOidcClient, provider: FakeOidcProvider
) -> None:
    sign_in(client)
    sign_in(client)
    assert provider.jwks_requests == 1

    provider.rotate_key()  # the new kid is unknown to the client's cache
    sign_in(client)
    assert provider.jwks_requests == 2
    sign_in(client)
    sign_in(client)
    assert provider.jwks_requests == 2


def test_unknown_kids_cannot_make_us_hammer_the_provider(
    client: HttpOidcClient, provider: FakeOidcProvider, clock: FixedClock
) -> None:
    sign_in(client)
    provider.sign_with = provider.new_key("rogue")
    for _ in range(5):
        refused(client, "unknown_key")
    assert provider.jwks_requests == 2  # one refetch for the unknown kid, then none

    clock.advance(timedelta(seconds=59))
    refused(client, "unknown_key")
    assert provider.jwks_requests == 2
    clock.advance(timedelta(seconds=1))
    for _ in range(5):
        refused(client, "unknown_key")
    assert provider.jwks_requests == 3  # at most one forced refetch a minute

    provider.sign_with = None  # a real rotation right after: waits out the same minute
    provider.rotate_key()
    refused(client, "unknown_key")
    clock.advance(timedelta(minutes=1))
    sign_in(client)
    assert provider.jwks_requests == 4


def test_the_jwks_is_refetched_when_its_max_age_has_passed(
    client: HttpOidcClient, provider: FakeOidcProvider, clock: FixedClock
) -> None:
    sign_in(client)
    clock.advance(timedelta(minutes=59))
    sign_in(client)
    assert provider.jwks_requests == 1
    clock.advance(timedelta(minutes=2))  # past the provider's max-age=3600
    sign_in(client)
    assert provider.jwks_requests == 2


def test_a_retired_key_is_no_longer_accepted_after_the_cache_refreshes(
    client: HttpOidcClient, provider: FakeOidcProvider, clock: FixedClock
) -> None:
    old = provider.signing
    sign_in(client)
    provider.rotate_key()
    provider.retire_key(old.kid)
    clock.advance(timedelta(hours=2))
    sign_in(client)  # refreshes the cache: only the new key
    provider.sign_with = old
    refused(client, "unknown_key")


def test_cached_keys_keep_working_while_the_key_endpoint_is_down(
    client: HttpOidcClient, provider: FakeOidcProvider, clock: FixedClock
) -> None:
    sign_in(client)
    provider.jwks_status = 503
    clock.advance(timedelta(hours=2))  # the cache is stale: a refresh is tried and fails
    assert sign_in(client).subject == provider.user.subject
    assert provider.jwks_requests == 2
    sign_in(client)  # the old keys were kept for another minute: no new attempt
    assert provider.jwks_requests == 2


def test_without_any_keys_a_down_key_endpoint_is_unavailable(
    client: HttpOidcClient, provider: FakeOidcProvider
) -> None:
    provider.jwks_status = 503
    with pytest.raises(OidcUnavailable):
        sign_in(client)


def test_a_discovery_document_for_another_issuer_is_refused(
    provider: FakeOidcProvider, clock: FixedClock
) -> None:
    client = _client(provider, clock, issuer=provider.issuer.replace("127.0.0.1", "localhost"))
    with pytest.raises(OidcRejected) as caught:
        client.begin(REDIRECT)
    assert caught.value.reason == "provider"


def test_an_unreachable_provider_is_unavailable_not_rejected(clock: FixedClock) -> None:
    with FakeOidcProvider(clock=clock) as gone:
        issuer = gone.issuer
    client = HttpOidcClient(
        issuer=issuer, client_id="c", client_secret="s", clock=clock, timeout=1.0
    )
    with pytest.raises(OidcUnavailable) as caught:
        client.begin(REDIRECT)
    assert caught.value.code == "oidc_unavailable"


def test_a_provider_over_plain_http_is_refused_unless_on_loopback(clock: FixedClock) -> None:
    with pytest.raises(ValueError, match="https"):
        HttpOidcClient(
            issuer="http://accounts.example.com", client_id="c", client_secret="s", clock=clock
        )
    google = HttpOidcClient.google(client_id="c", client_secret="s", clock=clock)
    google.close()
