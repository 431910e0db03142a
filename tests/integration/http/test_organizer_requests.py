"""Organizer role by request over HTTP: a customer asks at /v1/me/organizer-request, an
admin decides at /v1/admin/organizer-requests, and the customer's existing access token
reaches the organizer routes as soon as the request is approved."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import ACCOUNT_PASSWORD, assert_problem, login
from tests.integration.http.test_organizer import event_body, sign_up
from tickex.adapters.memory.mail import InMemoryMailer
from tickex.facade import TickEx

MINE = "/v1/me/organizer-request"
ADMIN = "/v1/admin/organizer-requests"
Client = TestClient[Litestar]


def customer(client: Client, email: str = "ana@example.com") -> dict[str, str]:
    body = {"email": email, "password": ACCOUNT_PASSWORD, "name": email.split("@")[0].title()}
    assert client.post("/v1/auth/register", json=body).status_code == 201
    return login(client, email)


def ask(client: Client, headers: dict[str, str], **body: Any) -> Any:
    return client.post(MINE, json=body, headers=headers)


def mail_to(tickex: TickEx, email: str) -> list[str]:
    tickex.process_outbox()
    mailer = tickex.services.delivery.mailer
    assert isinstance(mailer, InMemoryMailer)
    return [f"{m.subject}\n{m.text}" for m in mailer.sent if m.to == email]


def test_an_approved_customer_reaches_the_organizer_routes_with_the_token_they_had(
    client: Client, tickex: TickEx, admin: dict[str, str]
) -> None:
    ana = customer(client)
    assert_problem(client.get("/v1/organizer/events", headers=ana), 403, "forbidden")
    assert_problem(client.get(MINE, headers=ana), 404, "not_found")

    asked = ask(client, ana, organizer_name="Nightjar", note="Jazz nights by the river.")
    assert asked.status_code == 201, asked.text
    assert asked.headers["cache-control"] == "no-store"
    request = asked.json()
    assert (request["status"], request["organizer_name"], request["note"]) == (
        "pending", "Nightjar", "Jazz nights by the river."
    )  # fmt: skip
    assert "decided_by" not in request
    assert "user_id" not in request
    assert client.get(MINE, headers=ana).json() == request

    queue = client.get(ADMIN, headers=admin)
    assert queue.status_code == 200, queue.text
    listed = queue.json()
    assert [(i["id"], i["applicant_email"], i["applicant_name"]) for i in listed["items"]] == [
        (request["id"], "ana@example.com", "Ana")
    ]
    assert (listed["limit"], listed["offset"], listed["next_offset"]) == (20, 0, None)

    approved = client.post(f"{ADMIN}/{request['id']}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    decision = approved.json()
    assert decision["status"] == "approved"
    assert decision["organizer_id"]
    assert decision["decided_by"] == client.get("/v1/me", headers=admin).json()["id"]

    # the same access token, issued before the approval
    events = client.get("/v1/organizer/events", headers=ana)
    assert events.status_code == 200, events.text
    assert events.json() == {"items": []}
    me = client.get("/v1/me", headers=ana).json()
    assert (me["roles"], me["organizer_id"]) == (["customer", "organizer"],
                                                 decision["organizer_id"])  # fmt: skip
    created = client.post("/v1/organizer/events", json=event_body(tickex), headers=ana)
    assert created.status_code == 201, created.text
    assert client.get(MINE, headers=ana).json()["status"] == "approved"
    assert client.get(ADMIN, headers=admin).json()["items"] == []
    assert any("approved" in m and "Nightjar" in m for m in mail_to(tickex, "ana@example.com"))


def test_a_rejected_customer_sees_the_reason_and_may_ask_again(
    client: Client, tickex: TickEx, admin: dict[str, str]
) -> None:
    ana = customer(client)
    request_id = ask(client, ana).json()["id"]
    rejected = client.post(f"{ADMIN}/{request_id}/reject", headers=admin,
                           json={"reason": "Tell us about the events you run."})  # fmt: skip
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    mine = client.get(MINE, headers=ana).json()
    assert (mine["status"], mine["reason"], mine["organizer_id"]) == (
        "rejected", "Tell us about the events you run.", None
    )  # fmt: skip
    assert_problem(client.get("/v1/organizer/events", headers=ana), 403, "forbidden")
    assert any("Tell us about the events you run." in m
               for m in mail_to(tickex, "ana@example.com"))  # fmt: skip
    history = client.get(ADMIN, params={"status": "rejected"}, headers=admin).json()
    assert [i["id"] for i in history["items"]] == [request_id]

    again = ask(client, ana, organizer_name="Nightjar")
    assert again.status_code == 201, again.text
    assert client.get(MINE, headers=ana).json()["id"] == again.json()["id"]


def test_a_second_request_and_an_organizer_asking_are_conflicts(
    client: Client, tickex: TickEx
) -> None:
    ana = customer(client)
    assert ask(client, ana).status_code == 201
    assert_problem(ask(client, ana, organizer_name="Another"), 409, "conflict")
    organizer = sign_up(tickex, "org@nightjar.example")
    assert_problem(ask(client, organizer.headers), 409, "conflict")


def test_approving_twice_or_rejecting_after_is_409(client: Client, admin: dict[str, str]) -> None:
    request_id = ask(client, customer(client)).json()["id"]
    assert client.post(f"{ADMIN}/{request_id}/approve", headers=admin).status_code == 200
    again = client.post(f"{ADMIN}/{request_id}/approve", headers=admin)
    assert_problem(again, 409, "invalid_transition")
    late = client.post(f"{ADMIN}/{request_id}/reject", headers=admin, json={"reason": "no"})
    assert_problem(late, 409, "invalid_transition")
    missing = client.post(f"{ADMIN}/zz-unknown/approve", headers=admin)
    assert_problem(missing, 404, "not_found")


def test_only_admins_review_requests(client: Client, tickex: TickEx) -> None:
    ana = customer(client)
    request_id = ask(client, ana).json()["id"]
    organizer = sign_up(tickex, "org@nightjar.example").headers
    calls = [
        ("GET", ADMIN, None),
        ("POST", f"{ADMIN}/{request_id}/approve", None),
        ("POST", f"{ADMIN}/{request_id}/reject", {"reason": "no"}),
    ]
    for method, path, body in calls:
        extra = {"json": body} if body is not None else {}
        assert_problem(client.request(method, path, **extra), 401, "invalid_token")
        for headers in (ana, organizer):
            refused = client.request(method, path, headers=headers, **extra)
            assert_problem(refused, 403, "forbidden")
    assert client.get(MINE, headers=ana).json()["status"] == "pending"
    assert_problem(client.post(MINE, json={}), 401, "invalid_token")
    assert_problem(client.get(MINE), 401, "invalid_token")


@pytest.mark.parametrize(
    "body",
    [
        {"organizer_id": "org-1"},
        {"status": "approved"},
        {"user_id": "someone-else"},
        {"note": "x" * 1001},
        {"organizer_name": ""},
        {"organizer_name": "x" * 201},
        {"organizer_name": 42},
        {"note": ["a list"]},
    ],
    ids=lambda body: next(iter(body)),
)
def test_a_request_with_unknown_or_invalid_fields_is_422(
    client: Client, body: dict[str, Any]
) -> None:
    ana = customer(client)
    assert_problem(ask(client, ana, **body), 422, "validation_failed")
    assert_problem(client.get(MINE, headers=ana), 404, "not_found")


def test_a_rejection_needs_a_bounded_reason_and_nothing_else(
    client: Client, admin: dict[str, str]
) -> None:
    request_id = ask(client, customer(client)).json()["id"]
    path = f"{ADMIN}/{request_id}/reject"
    for body in ({}, {"reason": ""}, {"reason": "x" * 1001}, {"reason": 7},
                 {"reason": "no", "status": "approved"}):  # fmt: skip
        assert_problem(client.post(path, json=body, headers=admin), 422, "validation_failed")
    plain = client.post(path, content=b'{"reason": "no"}', headers={**admin,
                        "Content-Type": "text/plain"})  # fmt: skip
    assert_problem(plain, 415, "unsupported_media_type")
    assert client.get(ADMIN, headers=admin).json()["items"][0]["status"] == "pending"


def test_the_queue_is_paginated_and_the_status_is_checked(
    client: Client, admin: dict[str, str]
) -> None:
    ids = [ask(client, customer(client, f"user{n}@example.com")).json()["id"] for n in range(3)]
    first = client.get(ADMIN, params={"limit": 2}, headers=admin).json()
    assert [i["id"] for i in first["items"]] == ids[:2]
    assert first["next_offset"] == 2
    rest = client.get(ADMIN, params={"limit": 2, "offset": 2}, headers=admin).json()
    assert ([i["id"] for i in rest["items"]], rest["next_offset"]) == (ids[2:], None)
    for params in ({"status": "maybe"}, {"limit": 0}, {"limit": 101}, {"offset": -1}):
        response = client.get(ADMIN, params=params, headers=admin)
        body = assert_problem(response, 422, "validation_failed")
        assert body["errors"][0]["source"] == "query"
