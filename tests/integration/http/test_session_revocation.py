"""Ended sessions refuse their access tokens before the tokens expire: refresh-token reuse,
logout, a password change, a disabled account, on every engine, with real EdDSA access
tokens; a second application on the same storage plays another worker process (its own
copy of the revoked sessions, refreshed every ``session_revocation_refresh``). A token
whose lifetime is longer than the configured one is refused though correctly signed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tickex.adapters.jwt_tokens import JwtAccessTokens
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.application.identity.create_admin import CreateAdmin
from tickex.bootstrap import ACCESS_TOKEN_AUDIENCE
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage

Client = TestClient[Litestar]
PASSWORD = "correct horse battery"
ISSUER = "http://127.0.0.1:8000"  # the test settings' public URL
KEY = Ed25519PrivateKey.generate()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def application(storage: Storage, clock: FixedClock) -> TickEx:
    """One worker: its own access-token verifier (the shared key) and revocation copy."""
    tokens = JwtAccessTokens(KEY, clock=clock, issuer=ISSUER, audience=ACCESS_TOKEN_AUDIENCE)
    return TickEx.in_memory(storage=storage, clock=clock, access_tokens=tokens)


@pytest.fixture
def tickex(storage: Storage, clock: FixedClock) -> TickEx:
    return application(storage, clock)


@pytest.fixture
def client(tickex: TickEx) -> Iterator[Client]:
    with TestClient(create_app(tickex)) as test_client:
        yield test_client


@pytest.fixture
def other(storage: Storage, clock: FixedClock) -> Iterator[Client]:
    """Another worker on the same storage (memory: the same object, as one process would)."""
    with TestClient(create_app(application(storage, clock))) as test_client:
        yield test_client


def log_in(client: Client, email: str = "ana@example.com") -> Any:
    return client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})


def log_out(client: Client, tokens: dict[str, Any]) -> None:
    body = {"refresh_token": tokens["refresh_token"]}
    assert client.post("/v1/auth/logout", json=body).status_code == 204


def signed_in(client: Client, email: str = "ana@example.com") -> dict[str, Any]:
    body = {"email": email, "password": PASSWORD, "name": "Ana"}
    assert client.post("/v1/auth/register", json=body).status_code == 201
    response = log_in(client, email)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def me(client: Client, tokens: dict[str, Any] | str) -> Any:
    token = tokens if isinstance(tokens, str) else tokens["access_token"]
    return client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})


def refresh(client: Client, tokens: dict[str, Any]) -> Any:
    return client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


def assert_ended(response: Any) -> None:
    assert_problem(response, 401, "invalid_token")
    assert response.headers["www-authenticate"].startswith("Bearer ")


def test_reuse_of_a_rotated_refresh_token_ends_the_current_access_token(
    client: Client, other: Client, clock: FixedClock
) -> None:
    first = signed_in(client)
    assert me(other, first).status_code == 200  # the other worker has loaded its copy
    rotated = refresh(client, first).json()
    assert me(client, rotated).status_code == 200
    assert me(other, rotated).status_code == 200
    clock.advance(timedelta(seconds=2))
    assert_ended(refresh(client, first))  # reuse: the family is revoked
    assert_ended(me(client, rotated))  # at once in the worker that saw the reuse
    assert_ended(me(client, first))
    clock.advance(timedelta(seconds=1))  # the staleness bound (session_revocation_refresh)
    assert_ended(me(other, rotated))
    assert_ended(me(other, first))


def test_another_worker_refuses_within_the_staleness_bound(
    client: Client, other: Client, clock: FixedClock
) -> None:
    tokens = signed_in(client)
    assert me(other, tokens).status_code == 200
    log_out(client, tokens)
    assert_ended(me(client, tokens))
    clock.advance(timedelta(milliseconds=999))
    assert me(other, tokens).status_code == 200  # its copy is younger than the bound
    clock.advance(timedelta(milliseconds=1))
    assert_ended(me(other, tokens))


def test_a_logged_out_access_token_is_refused_and_other_sessions_live_on(
    client: Client, other: Client, clock: FixedClock
) -> None:
    phone = signed_in(client)
    laptop = log_in(client).json()
    log_out(client, phone)
    clock.advance(timedelta(seconds=1))
    for worker in (client, other):
        assert_ended(me(worker, phone))
        assert me(worker, laptop).status_code == 200
    assert refresh(client, laptop).status_code == 200


def test_a_password_change_ends_every_session_at_once(
    client: Client, other: Client, clock: FixedClock
) -> None:
    tokens = signed_in(client)
    clock.advance(timedelta(seconds=1))
    changed = client.post(
        "/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "staple grapes lantern"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert changed.status_code == 204, changed.text
    assert_ended(me(client, tokens))
    assert_ended(me(other, tokens))  # the user's stamp is read with the user: no delay
    assert_ended(refresh(other, tokens))


def test_disabling_an_account_ends_its_sessions_at_once(
    client: Client, other: Client, tickex: TickEx, clock: FixedClock
) -> None:
    ana = signed_in(client)
    ana_id = me(client, ana).json()["id"]
    tickex.create_admin(CreateAdmin(email="boss@example.com", name="Boss", password=PASSWORD))
    boss = log_in(client, "boss@example.com")
    clock.advance(timedelta(seconds=1))
    headers = {"Authorization": f"Bearer {boss.json()['access_token']}"}
    assert client.post(f"/v1/admin/users/{ana_id}/disable", headers=headers).status_code == 200
    assert_ended(me(client, ana))
    assert_ended(me(other, ana))
    assert_ended(refresh(other, ana))


@pytest.mark.parametrize("lifetime", [901, 3600, 86_400 * 365])
def test_a_token_living_longer_than_the_configured_lifetime_is_refused(
    client: Client, clock: FixedClock, lifetime: int
) -> None:
    """Correctly signed (our key, our kid, our issuer and audience), but ``exp - iat`` is
    longer than the 15 minutes we issue: refused, however near ``exp`` is."""
    tokens = signed_in(client)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    header = jwt.get_unverified_header(tokens["access_token"])
    assert claims["exp"] - claims["iat"] == 900
    as_issued = jwt.encode(claims, KEY, algorithm="EdDSA", headers=header)
    assert me(client, as_issued).status_code == 200  # the forging itself is faithful
    longer = {**claims, "exp": claims["iat"] + lifetime}
    assert_ended(me(client, jwt.encode(longer, KEY, algorithm="EdDSA", headers=header)))
    backdated = {**claims, "iat": claims["exp"] - lifetime}
    assert_ended(me(client, jwt.encode(backdated, KEY, algorithm="EdDSA", headers=header)))


def test_a_fresh_worker_loads_the_revocations_made_before_it_started(
    storage: Storage, client: Client, clock: FixedClock
) -> None:
    tokens = signed_in(client)
    log_out(client, tokens)
    with TestClient(create_app(application(storage, clock))) as late:
        assert_ended(me(late, tokens))


def test_the_revocation_copy_is_not_read_from_storage_on_every_request(
    clock: FixedClock,
) -> None:
    """Many authenticated requests within the bound: one read of the revoked sessions."""
    reads: list[str] = []

    class Counting(InMemoryStorage):
        def unit_of_work(self, read_only: bool = False) -> Any:
            uow = super().unit_of_work(read_only)
            sessions = uow.sessions
            original = sessions.revoked_families

            def counted(since: Any) -> Any:
                reads.append("revoked")
                return original(since)

            sessions.revoked_families = counted  # type: ignore[method-assign]
            return uow

    with TestClient(create_app(application(Counting(), clock))) as worker:
        tokens = signed_in(worker)
        for _ in range(20):
            assert me(worker, tokens).status_code == 200
        assert reads == ["revoked"]
        clock.advance(timedelta(seconds=1))
        assert me(worker, tokens).status_code == 200
        assert reads == ["revoked", "revoked"]
