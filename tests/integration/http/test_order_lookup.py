"""POST /v1/orders/lookup (``findOrder``): a buyer finds their order by its human code and
their email, on the reference storage, SQLite and PostgreSQL. It answers what getOrder
answers; an unknown code and a wrong email answer the same bytes (but the request id);
bad input is 422 and no input is a 5xx; each client gets 10 lookups a minute."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, assert_problem, open_shop, order_body
from tickex.entrypoints.http import create_app
from tickex.entrypoints.http.rate_limit import DEFAULT_POLICIES, RatePolicy
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage

Client = TestClient[Litestar]
LOOKUP = "/v1/orders/lookup"


@pytest.fixture
def tickex(storage: Storage) -> TickEx:
    return TickEx.in_memory(storage=storage)


@pytest.fixture
def shop(tickex: TickEx) -> Shop:
    return open_shop(tickex)


@pytest.fixture
def client(tickex: TickEx) -> Iterator[Client]:
    with TestClient(create_app(tickex)) as test_client:
        yield test_client


def free_order(client: Client, shop: Shop, email: str = "ana@example.com") -> dict[str, Any]:
    """A free order: paid at once, so it has its tickets."""
    body = order_body(shop, event_slug=shop.free_slug, customer_email=email,
                      items=[{"ticket_type_id": shop.free_type, "quantity": 2}])  # fmt: skip
    response = client.post("/v1/orders", json=body)
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


def without_request_id(text: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(text)
    body.pop("request_id")
    return body


def headers_but(response: Any, names: set[str]) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower() not in names}


def test_the_buyer_finds_their_order_by_code_and_email(client: Client, shop: Shop) -> None:
    placed = free_order(client, shop)
    found = client.post(LOOKUP, json={"order_code": placed["order_code"].lower(),
                                      "email": "Ana@Example.com"})  # fmt: skip
    assert found.status_code == 200, found.text
    by_id = client.get(f"/v1/orders/{placed['order_id']}", params={"email": "ana@example.com"})
    assert found.json() == by_id.json()  # what getOrder answers, tickets and tokens included
    assert found.json()["code"] == placed["order_code"]
    assert len(found.json()["tickets"]) == 2
    assert found.headers["cache-control"] == "no-store"


def test_a_wrong_email_and_an_unknown_code_answer_the_same_bytes(
    client: Client, shop: Shop
) -> None:
    placed = free_order(client, shop)
    wrong_email = client.post(LOOKUP, json={"order_code": placed["order_code"],
                                            "email": "eve@example.com"})  # fmt: skip
    unknown_code = client.post(LOOKUP, json={"order_code": "ZZZZZZZZ",
                                             "email": "ana@example.com"})  # fmt: skip
    assert_problem(wrong_email, 404, "not_found")
    assert_problem(unknown_code, 404, "not_found")
    id_a, id_b = wrong_email.json()["request_id"], unknown_code.json()["request_id"]
    assert wrong_email.text.replace(id_a, "") == unknown_code.text.replace(id_b, "")
    assert without_request_id(wrong_email.text) == without_request_id(unknown_code.text)
    assert placed["order_code"] not in wrong_email.text
    counted = {"x-request-id", "ratelimit-remaining"}  # one more request each time
    assert headers_but(wrong_email, counted) == headers_but(unknown_code, counted)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"order_code": "ABCDEFGH"},
        {"email": "ana@example.com"},
        {"order_code": "AB-CD", "email": "ana@example.com"},
        {"order_code": "A" * 33, "email": "ana@example.com"},
        {"order_code": "ABC\u0000", "email": "ana@example.com"},
        {"order_code": {"$ne": ""}, "email": "ana@example.com"},
        {"order_code": 12345678, "email": "ana@example.com"},
        {"order_code": "ABCDEFGH", "email": "nope"},
        {"order_code": "ABCDEFGH", "email": "ana@example.com", "order_id": "x"},
    ],
)
def test_bad_input_is_refused(client: Client, body: dict[str, Any]) -> None:
    assert_problem(client.post(LOOKUP, json=body), 422, "validation_failed")


def test_the_email_is_not_taken_from_the_url(client: Client, shop: Shop) -> None:
    placed = free_order(client, shop)
    response = client.post(f"{LOOKUP}?order_code={placed['order_code']}&email=ana@example.com",
                           json={})  # fmt: skip
    assert_problem(response, 422, "validation_failed")


def test_each_client_gets_ten_lookups_a_minute(client: Client, shop: Shop) -> None:
    assert DEFAULT_POLICIES["findOrder"] == RatePolicy(limit=10, window_seconds=60)
    placed = free_order(client, shop)
    # other emails and codes each time: the per-email and per-code counts stay low
    statuses = [
        client.post(LOOKUP, json={"order_code": f"GUESS{n:03d}",
                                  "email": f"guess{n}@example.com"}).status_code
        for n in range(10)
    ]  # fmt: skip
    assert statuses == [404] * 10
    refused = client.post(LOOKUP, json={"order_code": placed["order_code"],
                                        "email": "ana@example.com"})  # fmt: skip
    assert_problem(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"] == "60"


def test_guesses_for_one_email_are_counted_whatever_the_client(tickex: TickEx, shop: Shop) -> None:
    # without the per-address policy, the use case still counts per email (then 429)
    with TestClient(create_app(tickex, rate_policies={})) as client:
        placed = free_order(client, shop)
        for n in range(10):
            guess = client.post(LOOKUP, json={"order_code": f"GUESS{n:03d}",
                                              "email": "ana@example.com"})  # fmt: skip
            assert_problem(guess, 404, "not_found")
        refused = client.post(LOOKUP, json={"order_code": placed["order_code"],
                                            "email": "ana@example.com"})  # fmt: skip
        assert_problem(refused, 429, "rate_limited")
        assert int(refused.headers["Retry-After"]) > 0
