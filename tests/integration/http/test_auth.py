"""/v1/auth, /v1/me and /v1/admin/users: accounts over HTTP, against ``TickEx.in_memory()``
(fast password hasher, fake access tokens on the fixed clock)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tickex.adapters.memory.clock import FixedClock
from tickex.domain.identity import Role
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple grapes lantern"
Client = TestClient[Litestar]


def register(client: Client, email: str = "ana@example.com", **extra: Any) -> Any:
    body = {"email": email, "password": PASSWORD, "name": "Ana", **extra}
    return client.post("/v1/auth/register", json=body)


def login(client: Client, email: str = "ana@example.com", password: str = PASSWORD) -> Any:
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def signed_in(client: Client, email: str = "ana@example.com") -> dict[str, Any]:
    assert register(client, email).status_code == 201
    response = login(client, email)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def advance(tickex: TickEx, delta: timedelta) -> None:
    assert isinstance(tickex.services.clock, FixedClock)
    tickex.services.clock.advance(delta)


def assert_unauthorized(response: Any, code: str = "invalid_token") -> None:
    assert_problem(response, 401, code)
    assert response.headers["www-authenticate"].startswith("Bearer ")


# -- register ------------------------------------------------------------------------------
def test_register_answers_the_account_without_the_password(client: Client) -> None:
    response = register(client, email="Ana@Example.com")
    assert response.status_code == 201, response.text
    assert response.json() == {
        "id": response.json()["id"], "email": "ana@example.com", "name": "Ana",
        "roles": ["customer"], "organizer_id": None, "email_verified": False,
    }  # fmt: skip
    assert PASSWORD not in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "extra",
    [{"role": "admin"}, {"roles": ["admin"]}, {"organizer_id": "id-000001"},
     {"status": "active"}, {"email_verified": True}],
)  # fmt: skip
def test_register_refuses_fields_it_does_not_know(
    client: Client, tickex: TickEx, extra: dict[str, Any]
) -> None:
    problem = assert_problem(register(client, **extra), 422, "validation_failed")
    assert PASSWORD not in str(problem)
    assert tickex.services.read(lambda uow: uow.users.get_by_email("ana@example.com")) is None


def test_a_taken_email_is_a_bare_conflict(client: Client) -> None:
    assert register(client).status_code == 201
    problem = assert_problem(register(client, email="ANA@example.com"), 409, "conflict")
    assert "ana" not in problem["detail"].lower()
    assert "context" not in problem


def test_a_short_password_is_refused(client: Client) -> None:
    response = client.post(
        "/v1/auth/register", json={"email": "ana@example.com", "password": "short", "name": "A"}
    )
    problem = assert_problem(response, 422, "validation_failed")
    assert "short" not in str(problem)  # never echoed


def test_organizer_self_serve_is_off_by_default(client: Client) -> None:
    assert_problem(register(client, as_organizer=True, organizer_name="Nightjar"), 403, "forbidden")


# -- login ---------------------------------------------------------------------------------
def test_login_answers_a_token_pair(client: Client) -> None:
    tokens = signed_in(client)
    assert set(tokens) == {
        "access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_at"
    }  # fmt: skip
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 900
    assert tokens["refresh_token"].startswith("tkx_rt_")
    me = client.get("/v1/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.json()["email"] == "ana@example.com"
    assert me.headers["cache-control"] == "no-store"


def test_wrong_password_and_unknown_email_answer_alike(client: Client) -> None:
    assert register(client).status_code == 201
    wrong = login(client, password="wrong password!")
    unknown = login(client, email="bob@example.com")
    for response in (wrong, unknown):
        assert_unauthorized(response, "invalid_credentials")
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_a_disabled_account_cannot_log_in(client: Client, tickex: TickEx) -> None:
    user_id = register(client).json()["id"]

    def disable(uow: Any) -> None:
        user = uow.users.get(user_id)
        user.disable(tickex.services.clock.now())
        uow.users.save(user)

    tickex.services.transaction(disable)
    assert_problem(login(client), 403, "account_disabled")


def test_the_sixth_failed_login_within_a_minute_is_refused(client: Client) -> None:
    assert register(client).status_code == 201
    for _ in range(5):
        assert_unauthorized(login(client, password="wrong password!"), "invalid_credentials")
    refused = login(client)
    assert_problem(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) >= 1


def test_login_is_limited_per_address_too(tickex: TickEx, api: Litestar) -> None:
    with TestClient(api) as client:
        for n in range(20):
            login(client, email=f"user{n}@example.com")
        assert_problem(login(client, email="last@example.com"), 429, "rate_limited")


def test_login_needs_a_json_body(client: Client) -> None:
    response = client.post(
        "/v1/auth/login",
        content=b'{"email": "ana@example.com", "password": "x"}',
        headers={"content-type": "text/plain"},
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_passwords_and_tokens_are_not_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = signed_in(client)
    client.get("/v1/me", headers=bearer(tokens))
    login(client, password="wrong password!")
    assert PASSWORD not in caplog.text
    assert "wrong password!" not in caplog.text
    assert tokens["access_token"] not in caplog.text
    assert tokens["refresh_token"] not in caplog.text
    access = [getattr(r, "fields", {}) for r in caplog.records if r.name == "tickex.http.access"]
    me = [fields for fields in access if fields.get("route") == "/v1/me"]
    assert me
    assert me[0]["user_id"]  # the access log names the user, nothing more


# -- bearer tokens -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic YW5hOnB3"},
     {"Authorization": "Bearer garbage"}],
)  # fmt: skip
def test_me_needs_a_valid_bearer_token(client: Client, headers: dict[str, str]) -> None:
    assert_unauthorized(client.get("/v1/me", headers=headers))


def test_an_expired_access_token_says_so(client: Client, tickex: TickEx) -> None:
    tokens = signed_in(client)
    advance(tickex, timedelta(minutes=16))
    response = client.get("/v1/me", headers=bearer(tokens))
    assert_unauthorized(response, "token_expired")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


# -- refresh and log out -------------------------------------------------------------------
def test_refresh_rotates_and_reuse_revokes_the_family(client: Client) -> None:
    first = signed_in(client)
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    assert second.headers["cache-control"] == "no-store"
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert client.get("/v1/me", headers=bearer(rotated)).status_code == 200
    reuse = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_unauthorized(reuse)
    after = client.post("/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert_unauthorized(after)


def test_refresh_refuses_garbage(client: Client) -> None:
    assert_unauthorized(client.post("/v1/auth/refresh", json={"refresh_token": "nope"}))
    assert_problem(client.post("/v1/auth/refresh", json={}), 422, "validation_failed")


def test_logout_ends_the_session(client: Client) -> None:
    tokens = signed_in(client)
    body = {"refresh_token": tokens["refresh_token"]}
    assert client.post("/v1/auth/logout", json=body).status_code == 204
    assert client.post("/v1/auth/logout", json=body).status_code == 204
    assert client.post("/v1/auth/logout", json={"refresh_token": "unknown"}).status_code == 204
    assert_unauthorized(client.post("/v1/auth/refresh", json=body))


def test_logout_everywhere_needs_a_token_and_kills_every_token(
    client: Client, tickex: TickEx
) -> None:
    assert_unauthorized(client.post("/v1/auth/logout-everywhere"))
    phone = signed_in(client)
    laptop = login(client).json()
    advance(tickex, timedelta(seconds=2))
    assert client.post("/v1/auth/logout-everywhere", headers=bearer(phone)).status_code == 204
    for tokens in (phone, laptop):
        assert_unauthorized(client.get("/v1/me", headers=bearer(tokens)))
        refreshed = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert_unauthorized(refreshed)


# -- change password -----------------------------------------------------------------------
def test_change_password(client: Client, tickex: TickEx) -> None:
    tokens = signed_in(client)
    wrong = client.post(
        "/v1/auth/change-password",
        json={"current_password": "wrong password!", "new_password": NEW_PASSWORD},
        headers=bearer(tokens),
    )
    assert_unauthorized(wrong, "invalid_credentials")
    assert_unauthorized(
        client.post(
            "/v1/auth/change-password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        )
    )
    advance(tickex, timedelta(seconds=1))
    changed = client.post(
        "/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(tokens),
    )
    assert changed.status_code == 204, changed.text
    assert_unauthorized(client.get("/v1/me", headers=bearer(tokens)))
    advance(tickex, timedelta(seconds=1))
    assert login(client, password=NEW_PASSWORD).status_code == 200


# -- admin ---------------------------------------------------------------------------------
def test_disable_user_is_for_admins_only(client: Client, tickex: TickEx) -> None:
    ana = signed_in(client)
    ana_id = client.get("/v1/me", headers=bearer(ana)).json()["id"]
    boss = signed_in(client, "boss@example.com")
    path = f"/v1/admin/users/{ana_id}/disable"
    assert_unauthorized(client.post(path))
    assert_problem(client.post(path, headers=bearer(boss)), 403, "forbidden")

    boss_id = client.get("/v1/me", headers=bearer(boss)).json()["id"]

    def promote(uow: Any) -> None:
        user = uow.users.get(boss_id)
        user.grant(Role.ADMIN)
        uow.users.save(user)

    tickex.services.transaction(promote)
    disabled = client.post(path, headers=bearer(boss))
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["id"] == ana_id
    assert_unauthorized(client.get("/v1/me", headers=bearer(ana)))
    assert_problem(client.post(path, headers=bearer(boss)), 409, "invalid_transition")
    missing = client.post("/v1/admin/users/nobody/disable", headers=bearer(boss))
    assert_problem(missing, 404, "not_found")


def test_the_document_declares_the_bearer_scheme(client: Client) -> None:
    document = client.get("/schema/openapi.json").json()
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    secured = {
        op["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        if {"bearerAuth": []} in op.get("security", [])  # organizer routes: or an API key
    }
    accounts = {"logoutEverywhere", "changePassword", "getMe", "disableUser"}
    organizer = {
        op["operationId"]
        for path, item in document["paths"].items()
        for op in item.values()
        if path.startswith("/v1/organizer/")
    }
    assert len(organizer) == 20  # every organizer route is behind the bearer guard
    organizer_requests = {"requestOrganizerRole", "getOrganizerRequest",
                          "listOrganizerRequests", "approveOrganizerRequest",
                          "rejectOrganizerRequest"}  # fmt: skip
    admin = {"listPaymentReviews", "resolvePaymentReview", "adminRefundOrder"}
    assert secured == (
        accounts
        | {"requestEmailVerification", "scanTicket"}
        | organizer
        | organizer_requests
        | admin
    )
    password = document["components"]["schemas"]["RegisterInput"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (12, 128)


def test_organizer_self_serve_when_allowed(tickex: TickEx) -> None:
    allowed = TickEx(tickex.services.with_ports(organizer_self_serve=True))
    with TestClient(create_app(allowed)) as client:
        created = register(client, as_organizer=True, organizer_name="Nightjar")
        assert created.status_code == 201, created.text
        assert created.json()["roles"] == ["customer", "organizer"]
        tokens = login(client).json()
        me = client.get("/v1/me", headers=bearer(tokens)).json()
        assert me["organizer_id"] == created.json()["organizer_id"] is not None
