"""POST /v1/orders, GET /v1/orders/{id}, POST /v1/orders/{id}/cancel."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, assert_problem, order_body
from tickex.facade import TickEx


def left(client: TestClient[Litestar], shop: Shop, type_id: str) -> int:
    types = client.get(f"/v1/events/{shop.slug}").json()["ticket_types"]
    return int(next(t for t in types if t["id"] == type_id)["availability"]["left"])


def stored_orders(tickex: TickEx, shop: Shop) -> list[Any]:
    return tickex.services.transaction(lambda uow: uow.orders.list_by_event(shop.event_id))


def test_placing_an_order_holds_tickets_and_starts_the_payment(
    client: TestClient[Litestar], shop: Shop
) -> None:
    response = client.post("/v1/orders", json=order_body(shop, expected_total_minor=5150))
    assert response.status_code == 201, response.text
    placed = response.json()
    assert placed["status"] == "pending"
    assert placed["order_id"]
    assert placed["order_code"]
    assert placed["totals"]["subtotal"] == {"amount_minor": 5000, "currency": "EUR"}
    assert placed["totals"]["platform_fee"] == {"amount_minor": 150, "currency": "EUR"}
    assert placed["totals"]["total"] == {"amount_minor": 5150, "currency": "EUR"}
    assert placed["expires_at"].startswith("2030-01-01T12:15:00")
    assert placed["payment_url"].endswith("/pay/cs_local_000001")
    assert placed["ticket_ids"] == []
    assert response.headers["cache-control"] == "no-store"
    assert left(client, shop, shop.ga) == 3


def test_an_order_can_name_the_event_by_id(client: TestClient[Litestar], shop: Shop) -> None:
    body = order_body(shop)
    del body["event_slug"]
    body["event_id"] = shop.event_id
    assert client.post("/v1/orders", json=body).status_code == 201


def test_exactly_one_event_reference_is_required(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    both = order_body(shop, event_id=shop.event_id)
    neither = order_body(shop)
    del neither["event_slug"]
    for body in (both, neither):
        problem = assert_problem(client.post("/v1/orders", json=body), 422, "validation_failed")
        assert "exactly one of event_slug and event_id" in problem["errors"][0]["message"]
    assert stored_orders(tickex, shop) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "paid"),
        ("price", 1),
        ("organizer_id", "id-000001"),
        ("total", 0),
        ("customer_id", "someone-else"),
        ("totals", {"total": {"amount_minor": 0, "currency": "EUR"}}),
    ],
)
def test_mass_assignment_is_refused_and_changes_nothing(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, field: str, value: object
) -> None:
    response = client.post("/v1/orders", json=order_body(shop, **{field: value}))
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"] == [
        {"field": field, "message": "Extra inputs are not permitted", "source": "body"}
    ]
    assert stored_orders(tickex, shop) == []
    assert left(client, shop, shop.ga) == 5


def test_unknown_fields_inside_items_are_refused(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    items = [{"ticket_type_id": shop.ga, "quantity": 1, "unit_price": 1}]
    problem = assert_problem(
        client.post("/v1/orders", json=order_body(shop, items=items)), 422, "validation_failed"
    )
    assert problem["errors"][0]["field"] == "items.0.unit_price"
    assert stored_orders(tickex, shop) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [{"ticket_type_id": "t", "quantity": 0}]}, "items.0.quantity"),
        ({"items": [{"ticket_type_id": "t", "quantity": 501}]}, "items.0.quantity"),
        ({"items": [{"ticket_type_id": "bad id!", "quantity": 1}]}, "items.0.ticket_type_id"),
        ({"customer_email": "not-an-email"}, "customer_email"),
        ({"customer_email": "a@" + "b" * 300 + ".com"}, "customer_email"),
        ({"customer_name": "x" * 201}, "customer_name"),
        ({"promo_code": "P" * 41}, "promo_code"),
        ({"expected_total_minor": -1}, "expected_total_minor"),
        ({"expected_total_minor": 10**13}, "expected_total_minor"),
        ({"event_slug": "Not A Slug"}, "event_slug"),
    ],
)
def test_out_of_bounds_input_is_refused(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, overrides: dict[str, Any], field: str
) -> None:
    problem = assert_problem(
        client.post("/v1/orders", json=order_body(shop, **overrides)), 422, "validation_failed"
    )
    assert field in [e["field"] for e in problem["errors"]]
    assert stored_orders(tickex, shop) == []


def test_a_ticket_type_twice_is_refused_by_the_command(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    items = [{"ticket_type_id": shop.ga, "quantity": 1}] * 2
    problem = assert_problem(
        client.post("/v1/orders", json=order_body(shop, items=items)), 422, "validation_failed"
    )
    assert "only once" in problem["errors"][0]["message"]
    assert stored_orders(tickex, shop) == []


def test_malformed_json_is_a_bad_request(client: TestClient[Litestar], shop: Shop) -> None:
    response = client.post(
        "/v1/orders", content=b'{"items": [', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "malformed_request")


def test_an_oversized_body_is_refused(client: TestClient[Litestar], shop: Shop) -> None:
    body = order_body(shop, customer_name="x" * 70_000)
    assert_problem(client.post("/v1/orders", json=body), 413, "request_too_large")


def test_selling_out_is_a_conflict(client: TestClient[Litestar], shop: Shop) -> None:
    vip = {"items": [{"ticket_type_id": shop.vip, "quantity": 1}]}
    assert client.post("/v1/orders", json=order_body(shop, **vip)).status_code == 201
    response = client.post("/v1/orders", json=order_body(shop, customer_email="ben@example.com",
                                                         **vip))  # fmt: skip
    assert_problem(response, 409, "sold_out")


def test_a_changed_total_is_a_conflict_that_tells_the_new_total(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    response = client.post("/v1/orders", json=order_body(shop, expected_total_minor=5000))
    problem = assert_problem(response, 409, "total_changed")
    assert problem["context"] == {"total_minor": 5150}
    assert stored_orders(tickex, shop) == []


def test_hidden_and_unknown_ticket_types_are_not_found(
    client: TestClient[Litestar], shop: Shop
) -> None:
    for type_id in (shop.crew, "no-such-type"):
        items = [{"ticket_type_id": type_id, "quantity": 1}]
        problem = assert_problem(
            client.post("/v1/orders", json=order_body(shop, items=items)), 404, "not_found"
        )
        assert problem.get("context", {}).get("ticket_type_id") == type_id


def test_a_promo_code_unlocks_the_hidden_type(client: TestClient[Litestar], shop: Shop) -> None:
    items = [{"ticket_type_id": shop.crew, "quantity": 1}]
    response = client.post("/v1/orders", json=order_body(shop, items=items, promo_code="CREW"))
    assert response.status_code == 201, response.text
    assert response.json()["totals"]["discount"]["amount_minor"] == 100


def test_an_unknown_promo_code_is_refused(client: TestClient[Litestar], shop: Shop) -> None:
    response = client.post("/v1/orders", json=order_body(shop, promo_code="NOPE"))
    assert_problem(response, 422, "promo_code_invalid")


def test_an_unknown_event_is_not_found(client: TestClient[Litestar], shop: Shop) -> None:
    assert_problem(
        client.post("/v1/orders", json=order_body(shop, event_slug="no-such-event")),
        404, "not_found",
    )  # fmt: skip
    assert_problem(
        client.post("/v1/orders", json=order_body(shop, event_slug=shop.draft_slug)),
        404, "not_found",
    )  # fmt: skip


def test_a_provider_outage_is_unavailable_and_gives_the_tickets_back(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    """The local provider makes its checkout inside the order's unit of work: when it
    fails, nothing was written. (A remote provider's failure after the order committed
    leaves a failed order: tests/integration/http/test_stripe_webhook.py.)"""
    tickex.services.sales.payments.fail_next_checkout = "provider down"  # type: ignore[attr-defined]
    assert_problem(client.post("/v1/orders", json=order_body(shop)), 503, "payment_unavailable")
    assert left(client, shop, shop.ga) == 5
    assert stored_orders(tickex, shop) == []


def test_a_free_order_is_paid_at_once(client: TestClient[Litestar], shop: Shop) -> None:
    body = order_body(shop, event_slug=shop.free_slug,
                      items=[{"ticket_type_id": shop.free_type, "quantity": 2}])  # fmt: skip
    placed = client.post("/v1/orders", json=body).json()
    assert placed["status"] == "paid"
    assert placed["payment_url"] is None
    assert len(placed["ticket_ids"]) == 2


def test_the_buyer_reads_their_order_by_email(client: TestClient[Litestar], shop: Shop) -> None:
    placed = client.post("/v1/orders", json=order_body(shop)).json()
    response = client.get(f"/v1/orders/{placed['order_id']}",
                          params={"email": "ANA@example.com"})  # fmt: skip
    assert response.status_code == 200, response.text
    order = response.json()
    assert order["id"] == placed["order_id"]
    assert order["code"] == placed["order_code"]
    assert order["status"] == "pending"
    assert order["customer_name"] == "Ana"
    assert order["lines"] == [{
        "ticket_type_id": shop.ga, "quantity": 2,
        "unit_price": {"amount_minor": 2500, "currency": "EUR"},
        "discount": {"amount_minor": 0, "currency": "EUR"},
    }]  # fmt: skip
    assert order["payment_url"] == placed["payment_url"]
    assert order["tickets"] == []
    assert "customer_email" not in order
    assert response.headers["cache-control"] == "no-store"


def test_a_wrong_email_or_unknown_order_is_not_found(
    client: TestClient[Litestar], shop: Shop
) -> None:
    placed = client.post("/v1/orders", json=order_body(shop)).json()
    wrong = client.get(f"/v1/orders/{placed['order_id']}", params={"email": "eve@example.com"})
    unknown = client.get("/v1/orders/no-such-order", params={"email": "ana@example.com"})
    assert assert_problem(wrong, 404, "not_found")["detail"] == assert_problem(
        unknown, 404, "not_found"
    )["detail"].replace("no-such-order", placed["order_id"])


def test_reading_an_order_needs_a_valid_email(client: TestClient[Litestar], shop: Shop) -> None:
    placed = client.post("/v1/orders", json=order_body(shop)).json()
    for params in ({}, {"email": "nope"}):
        problem = assert_problem(client.get(f"/v1/orders/{placed['order_id']}", params=params),
                                 422, "validation_failed")  # fmt: skip
        assert problem["errors"][0]["field"] == "email"
        assert "nope" not in problem["detail"]  # the query string is not echoed


def test_the_buyer_cancels_a_pending_order(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    placed = client.post("/v1/orders", json=order_body(shop)).json()
    url = f"/v1/orders/{placed['order_id']}/cancel"
    response = client.post(url, json={"email": "ana@example.com", "reason": "changed my mind"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert response.json()["payment_url"] is None
    assert left(client, shop, shop.ga) == 5
    again = client.post(url, json={"email": "ana@example.com"})
    assert_problem(again, 409, "invalid_transition")


def test_cancelling_needs_the_right_email_and_a_strict_body(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    placed = client.post("/v1/orders", json=order_body(shop)).json()
    url = f"/v1/orders/{placed['order_id']}/cancel"
    assert_problem(client.post(url, json={"email": "eve@example.com"}), 404, "not_found")
    assert_problem(client.post(url, json={"email": "ana@example.com", "status": "cancelled"}),
                   422, "validation_failed")  # fmt: skip
    assert_problem(client.post(url, json={"email": "ana@example.com", "reason": "x" * 501}),
                   422, "validation_failed")  # fmt: skip
    assert [str(o.status) for o in stored_orders(tickex, shop)] == ["pending"]
    assert left(client, shop, shop.ga) == 3


def test_malformed_order_ids_are_refused(client: TestClient[Litestar], shop: Shop) -> None:
    response = client.get("/v1/orders/" + "x" * 65, params={"email": "ana@example.com"})
    assert assert_problem(response, 422, "validation_failed")["errors"][0]["field"] == "order_id"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_bodies_must_be_declared_json(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, content_type: str | None
) -> None:
    body = json.dumps(order_body(shop)).encode()
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/v1/orders", content=body, headers=headers)
    assert_problem(response, 415, "unsupported_media_type")
    placed = client.post("/v1/orders", json=order_body(shop)).json()
    cancel = client.post(f"/v1/orders/{placed['order_id']}/cancel", headers=headers,
                         content=json.dumps({"email": "ana@example.com"}).encode())  # fmt: skip
    assert_problem(cancel, 415, "unsupported_media_type")
    assert [str(o.status) for o in stored_orders(tickex, shop)] == ["pending"]


def test_json_with_a_charset_is_json(client: TestClient[Litestar], shop: Shop) -> None:
    response = client.post("/v1/orders", content=json.dumps(order_body(shop)).encode(),
                           headers={"content-type": "Application/JSON; charset=utf-8"})  # fmt: skip
    assert response.status_code == 201, response.text
