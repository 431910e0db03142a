"""Flagged payments over HTTP, on the reference storage, SQLite and PostgreSQL: a paid
Checkout Session that does not match its order, signed and delivered by the fake Stripe to
``POST /webhooks/stripe``, is not fulfilled but kept as one review however often it is
delivered; admins list it at ``GET /v1/admin/payment-reviews`` and resolve it once at
``POST /v1/admin/payment-reviews/{review_id}/resolve``; nobody else reaches either. (The
fake Stripe, its endpoint and the API: the harness of ``test_stripe_webhook``, whose
fixtures are imported; ``storage`` is this module's own, to add PostgreSQL.)"""

# ruff: noqa: F811 - the imported fixtures are the tests' parameters

from __future__ import annotations

import threading
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import ACCOUNT_PASSWORD, assert_problem, login
from tests.integration.http.test_stripe_webhook import (  # noqa: F401 - the fixtures
    EMAIL,
    Shop,
    Stripe,
    client,
    clock,
    endpoint,
    event_of,
    fake,
    order,
    place,
    seats_left,
    session_of,
    shop,
    stripe,
    tickex,
)
from tickex.facade import TickEx

Client = TestClient[Litestar]
REVIEWS = "/v1/admin/payment-reviews"


@pytest.fixture
def customer(client: Client) -> dict[str, str]:
    body = {"email": "cy@example.com", "password": ACCOUNT_PASSWORD, "name": "Cy"}
    assert client.post("/v1/auth/register", json=body).status_code == 201
    return login(client, "cy@example.com")


def reviews(client: Client, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    response = client.get(REVIEWS, params=query, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    found: dict[str, Any] = response.json()
    return found


def resolve(client: Client, headers: dict[str, str], review_id: str, body: Any) -> Any:
    return client.post(f"{REVIEWS}/{review_id}/resolve", json=body, headers=headers)


def short_paid(stripe: Stripe, placed: dict[str, Any]) -> dict[str, Any]:
    """The signed ``checkout.session.completed`` of the order's session, paid a cent short."""
    stripe.fake.pay(session_of(placed))
    event = event_of(stripe.fake, "checkout.session.completed", session_of(placed))
    event["data"]["object"]["amount_total"] = 5149  # the order's total is 51.50 EUR
    return event


def test_a_short_payment_delivered_three_times_is_one_open_review_an_admin_resolves_once(
    client: Client, shop: Shop, tickex: TickEx, stripe: Stripe, admin: dict[str, str],
    customer: dict[str, str],
) -> None:  # fmt: skip
    placed = place(client, shop)
    event = short_paid(stripe, placed)
    stripe.fake.send(event, times=3)
    assert stripe.outcomes() == ["flagged", "duplicate", "duplicate"]

    listed = reviews(client, admin)
    assert (listed["limit"], listed["offset"], listed["next_offset"]) == (20, 0, None)
    (review,) = listed["items"]
    assert review == {
        "id": review["id"], "status": "open", "provider": "stripe", "event_id": event["id"],
        "event_type": "checkout.session.completed", "order_id": placed["order_id"],
        "payment_reference": session_of(placed),
        "amount_paid": {"amount_minor": 5149, "currency": "EUR"},
        "problem": "paid 51.49 EUR, the order's total is 51.50 EUR",
        "flagged_at": review["flagged_at"], "resolved_at": None, "resolved_by": None,
        "resolution_note": None,
    }  # fmt: skip
    assert EMAIL not in str(review)
    got = order(client, placed)  # nothing was fulfilled
    assert (got["status"], got["tickets"]) == ("pending", [])
    assert tickex.ledger_transactions() == ()
    assert seats_left(client, shop) == 3  # still held for the pending order

    for attempt in (
        client.get(REVIEWS, headers=customer),
        resolve(client, customer, review["id"], {"note": "Mine now."}),
    ):
        assert_problem(attempt, 403, "forbidden")
    assert_problem(client.get(REVIEWS), 401, "invalid_token")

    resolved = resolve(client, admin, review["id"], {"note": "Refunded 51.49 EUR at Stripe."})
    assert resolved.status_code == 200, resolved.text
    me = client.get("/v1/me", headers=admin).json()
    body = resolved.json()
    assert (body["status"], body["resolved_by"], body["resolution_note"]) == (
        "resolved", me["id"], "Refunded 51.49 EUR at Stripe."
    )  # fmt: skip
    assert body["resolved_at"] is not None
    again = resolve(client, admin, review["id"], {"note": "Refunded twice?"})
    assert_problem(again, 409, "invalid_transition")
    assert reviews(client, admin)["items"] == []
    assert reviews(client, admin, status="resolved")["items"] == [body]
    assert_problem(resolve(client, admin, "prev-unknown", {"note": "x"}), 404, "not_found")
    assert order(client, placed)["status"] == "pending"


def test_a_resolution_body_is_strict_and_bounded(
    client: Client, shop: Shop, stripe: Stripe, admin: dict[str, str]
) -> None:
    stripe.fake.send(short_paid(stripe, place(client, shop)))
    (review,) = reviews(client, admin)["items"]
    bodies = ({}, {"note": ""}, {"note": "   "}, {"note": "x" * 1001}, {"note": 7},
              {"note": "Refunded.", "status": "open"},
              {"note": "Ok.", "resolved_by": "me"})  # fmt: skip
    for body in bodies:
        assert_problem(resolve(client, admin, review["id"], body), 422, "validation_failed")
    for query in ({"status": "closed"}, {"limit": 0}, {"limit": 101}, {"offset": -1}):
        listed = client.get(REVIEWS, params=query, headers=admin)
        assert_problem(listed, 422, "validation_failed")
    assert reviews(client, admin)["items"][0]["status"] == "open"


def test_sessions_that_claim_an_order_are_one_review_each_even_delivered_at_once(
    client: Client, shop: Shop, tickex: TickEx, stripe: Stripe, admin: dict[str, str]
) -> None:
    placed = place(client, shop)
    other = place(client, shop, email="ben@example.com")
    stripe.fake.pay(session_of(placed))
    elsewhere = event_of(stripe.fake, "checkout.session.completed", session_of(placed))
    elsewhere["data"]["object"]["id"] = "cs_test_made_elsewhere"  # not the order's checkout
    stripe.fake.send(elsewhere)
    stripe.fake.pay(session_of(other))
    dollars = event_of(stripe.fake, "checkout.session.completed", session_of(other))
    dollars["data"]["object"]["currency"] = "usd"
    start = threading.Barrier(3)

    def deliver() -> None:
        start.wait(5)
        stripe.fake.send(dollars)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert stripe.outcomes()[0] == "flagged"
    assert sorted(stripe.outcomes()[1:]) == ["duplicate", "duplicate", "flagged"]
    found = reviews(client, admin, limit=1)
    assert found["next_offset"] == 1
    (newest,) = found["items"]
    (oldest,) = reviews(client, admin, limit=1, offset=1)["items"]
    assert reviews(client, admin, limit=1, offset=2) == {
        "items": [], "limit": 1, "offset": 2, "next_offset": None
    }  # fmt: skip
    by_order = {r["order_id"]: r for r in (newest, oldest)}
    assert by_order[placed["order_id"]]["payment_reference"] == "cs_test_made_elsewhere"
    assert by_order[placed["order_id"]]["problem"] == (
        "paid session cs_test_made_elsewhere is not the order's checkout"
    )
    assert by_order[other["order_id"]]["problem"] == "paid in USD, the order is in EUR"
    assert by_order[other["order_id"]]["amount_paid"] == {"amount_minor": 5150, "currency": "USD"}
    for placed_order, email in ((placed, EMAIL), (other, "ben@example.com")):
        assert order(client, placed_order, email)["tickets"] == []
    assert tickex.ledger_transactions() == ()
