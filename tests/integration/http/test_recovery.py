"""/v1/auth/verify-email and /v1/auth/password-reset over HTTP, against
``TickEx.in_memory()``: the worker sends the emails, the page posts the link's token."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.mail import InMemoryMailer
from tickex.facade import TickEx

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple grapes lantern"
Client = TestClient[Litestar]


def register(client: Client, email: str = "ana@example.com") -> Any:
    body = {"email": email, "password": PASSWORD, "name": "Ana"}
    response = client.post("/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def login(client: Client, password: str = PASSWORD) -> Any:
    return client.post("/v1/auth/login", json={"email": "ana@example.com", "password": password})


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def sent(tickex: TickEx) -> list[Any]:
    """Run the worker; every email sent so far."""
    tickex.process_outbox()
    assert isinstance(tickex.services.delivery.mailer, InMemoryMailer)
    return list(tickex.services.delivery.mailer.sent)


def link_token(message: Any, path: str) -> str:
    found = re.search(rf"{re.escape(path)}\?token=(\S+)", message.text)
    assert found, message.text
    return found.group(1)


def advance(tickex: TickEx, delta: timedelta) -> None:
    assert isinstance(tickex.services.clock, FixedClock)
    tickex.services.clock.advance(delta)


def request_reset(client: Client, email: str) -> Any:
    return client.post("/v1/auth/password-reset/request", json={"email": email})


# -- email verification -------------------------------------------------------------------
def test_the_registration_email_verifies_the_address_once(client: Client, tickex: TickEx) -> None:
    account = register(client)
    assert account["email_verified"] is False
    (message,) = sent(tickex)
    token = link_token(message, f"{tickex.services.delivery.links.home()}/account/verify-email")
    response = client.post("/v1/auth/verify-email", json={"token": token})
    assert response.status_code == 200, response.text
    assert response.json()["email_verified"] is True
    assert response.json()["id"] == account["id"]
    assert response.headers["cache-control"] == "no-store"
    assert token not in response.text
    again = client.post("/v1/auth/verify-email", json={"token": token})
    assert_problem(again, 401, "invalid_token")


def test_a_signed_in_user_asks_for_a_new_link(client: Client, tickex: TickEx) -> None:
    register(client)
    tokens = login(client).json()
    response = client.post("/v1/auth/verify-email/request", headers=bearer(tokens))
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted"
    assert len(sent(tickex)) == 2
    token = link_token(sent(tickex)[-1], "/account/verify-email")
    assert client.post("/v1/auth/verify-email", json={"token": token}).status_code == 200
    me = client.get("/v1/me", headers=bearer(tokens))
    assert me.json()["email_verified"] is True


def test_asking_for_a_link_needs_a_bearer_token(client: Client) -> None:
    response = client.post("/v1/auth/verify-email/request")
    assert_problem(response, 401, "invalid_token")


def test_an_expired_verification_link_is_refused(client: Client, tickex: TickEx) -> None:
    register(client)
    token = link_token(sent(tickex)[0], "/account/verify-email")
    advance(tickex, timedelta(hours=48))
    assert_problem(client.post("/v1/auth/verify-email", json={"token": token}), 401,
                   "invalid_token")  # fmt: skip


# -- password reset -----------------------------------------------------------------------
def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    client: Client, tickex: TickEx
) -> None:
    register(client)
    before = len(sent(tickex))
    known = request_reset(client, "ana@example.com")
    unknown = request_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {
        "status": "accepted", "detail": known.json()["detail"],
    }  # fmt: skip
    assert known.headers["content-length"] == unknown.headers["content-length"]
    assert known.headers["cache-control"] == "no-store"
    assert [m.to for m in sent(tickex)[before:]] == ["ana@example.com"]


def test_a_reset_sets_the_password_and_ends_every_session(client: Client, tickex: TickEx) -> None:
    register(client)
    tokens = login(client).json()
    request_reset(client, "ana@example.com")
    token = link_token(
        sent(tickex)[-1], f"{tickex.services.delivery.links.home()}/account/reset-password"
    )
    advance(tickex, timedelta(seconds=1))
    body = {"token": token, "new_password": NEW_PASSWORD}
    response = client.post("/v1/auth/password-reset", json=body)
    assert response.status_code == 204, response.text
    assert response.headers["cache-control"] == "no-store"
    assert_problem(client.get("/v1/me", headers=bearer(tokens)), 401, "invalid_token")
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(refresh, 401, "invalid_token")
    assert_problem(login(client), 401, "invalid_credentials")
    advance(tickex, timedelta(seconds=1))
    assert login(client, NEW_PASSWORD).status_code == 200
    again = client.post("/v1/auth/password-reset", json={**body, "new_password": "x" * 20})
    assert_problem(again, 401, "invalid_token")


def test_an_unknown_reset_token_is_refused(client: Client) -> None:
    body = {"token": "tkx_rp_" + "A" * 43, "new_password": NEW_PASSWORD}
    assert_problem(client.post("/v1/auth/password-reset", json=body), 401, "invalid_token")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/auth/verify-email", {"token": "tkx_ve_" + "A" * 43, "user_id": "x"}),
        ("/v1/auth/verify-email", {}),
        ("/v1/auth/verify-email", {"token": "t" * 600}),
        ("/v1/auth/password-reset/request", {"email": "ana@example.com", "role": "admin"}),
        ("/v1/auth/password-reset/request", {"email": "not an email"}),
        ("/v1/auth/password-reset", {"token": "tkx_rp_" + "A" * 43, "new_password": "short"}),
        ("/v1/auth/password-reset",
         {"token": "tkx_rp_" + "A" * 43, "new_password": NEW_PASSWORD, "email_verified": True}),
    ],
)  # fmt: skip
def test_bodies_are_strict(client: Client, path: str, body: dict[str, Any]) -> None:
    assert_problem(client.post(path, json=body), 422, "validation_failed")


@pytest.mark.parametrize(
    "path", ["/v1/auth/verify-email", "/v1/auth/password-reset/request", "/v1/auth/password-reset"]
)
def test_bodies_must_be_json(client: Client, path: str) -> None:
    response = client.post(path, content=b'{"token": "x"}', headers={"content-type": "text/plain"})
    assert_problem(response, 415, "unsupported_media_type")


def test_the_operations_are_in_the_openapi_document(client: Client) -> None:
    document = client.get("/schema/openapi.json").json()
    ids = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert {"requestEmailVerification", "verifyEmail", "requestPasswordReset",
            "resetPassword"} <= ids  # fmt: skip
