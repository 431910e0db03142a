"""Ended sessions refuse their access tokens before the tokens expire: refresh-token reuse,
logout, a password change, a disabled account, on every engine, with real EdDSA access
tokens; a second application on the same storage plays another worker process (its own
copy of the revoked sessions, refreshed every ``session_revocation_refresh``). A token
whose lifetime is longer than the configured one is refused though correctly signed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from litestar.testing import TestClient

import tickex as tickex_package
from tests.integration.http.conftest import assert_problem
from tests.integration.sql.support import POSTGRES_URL, postgres_storage, sqlite_storage
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


# -- a real server: tickex serve --workers 2 ------------------------------------------------

SRC = Path(tickex_package.__file__).resolve().parents[1]
REFRESH_SECONDS = 0.5  # TICKEX_SESSION_REVOCATION_REFRESH: the bound the test waits out
SPREAD = 8  # requests, each on a new connection, so that both workers answer some


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(database_url: str, tmp_path: Path) -> Iterator[str]:
    """``tickex serve --workers 2`` on ``database_url``; yields its base URL."""
    pytest.importorskip("granian")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKEX_")}
    env.update(
        PYTHONPATH=str(SRC),  # this worktree's sources, whatever the child's cwd
        TICKEX_DATABASE_URL=database_url, TICKEX_PORT=str(port), TICKEX_WORKER_INTERVAL="0",
        TICKEX_MAILER="memory", TICKEX_PUBLIC_URL=f"http://127.0.0.1:{port}",
        TICKEX_SESSION_REVOCATION_REFRESH=str(REFRESH_SECONDS),
    )  # fmt: skip
    argv = [sys.executable, "-m", "tickex.entrypoints.cli", "serve", "--workers", "2"]
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=log, stderr=log,
                               start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail((tmp_path / "serve.log").read_text())
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: it and its workers
            process.wait()
        log.close()


def _statuses(base: str, tokens: dict[str, Any]) -> list[int]:
    """``GET /v1/me`` ``SPREAD`` times, each on a new connection (either worker)."""
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return [httpx.get(f"{base}/v1/me", headers=headers, timeout=5).status_code
            for _ in range(SPREAD)]  # fmt: skip


def _post(base: str, path: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
    return httpx.post(f"{base}{path}", json=body, timeout=10, **kw)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.requires_postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database the server's workers share (PostgreSQL: a schema of its own)."""
    if request.param == "sqlite":
        with sqlite_storage(tmp_path) as sql:
            yield str(sql.engine.url)
    else:
        with postgres_storage() as sql:
            yield f"{POSTGRES_URL}?options=-csearch_path%3D{sql.schema}"


def test_two_workers_refuse_an_ended_session_s_access_tokens(
    database_url: str, tmp_path: Path
) -> None:
    with served(database_url, tmp_path) as base:
        account = {"email": "ana@example.com", "password": PASSWORD, "name": "Ana"}
        assert _post(base, "/v1/auth/register", account).status_code == 201
        credentials = {"email": "ana@example.com", "password": PASSWORD}
        first = _post(base, "/v1/auth/login", credentials).json()
        assert _statuses(base, first) == [200] * SPREAD  # both workers know the session

        # reuse of a rotated refresh token: the session's current access token is refused
        rotated = _post(base, "/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
        current = rotated.json()
        assert _statuses(base, current) == [200] * SPREAD
        reuse = _post(base, "/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
        assert reuse.status_code == 401
        time.sleep(REFRESH_SECONDS + 0.2)  # the documented staleness bound, for the other
        assert _statuses(base, current) == [401] * SPREAD
        assert _statuses(base, first) == [401] * SPREAD

        # a plain logout: the same, and another session of the user lives on
        phone = _post(base, "/v1/auth/login", credentials).json()
        laptop = _post(base, "/v1/auth/login", credentials).json()
        assert _statuses(base, phone) == [200] * SPREAD
        out = _post(base, "/v1/auth/logout", {"refresh_token": phone["refresh_token"]})
        assert out.status_code == 204
        time.sleep(REFRESH_SECONDS + 0.2)
        assert _statuses(base, phone) == [401] * SPREAD
        assert _statuses(base, laptop) == [200] * SPREAD

        # a password change ends every session at once (read with the user: no bound)
        time.sleep(1)  # iat is whole seconds: a token of the change's second is refused too
        change = {"current_password": PASSWORD, "new_password": "staple grapes lantern"}
        bearer = {"Authorization": f"Bearer {laptop['access_token']}"}
        changed = _post(base, "/v1/auth/change-password", change, headers=bearer)
        assert changed.status_code == 204, changed.text
        assert _statuses(base, laptop) == [401] * SPREAD
