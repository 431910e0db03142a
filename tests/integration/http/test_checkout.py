"""The whole buyer flow over HTTP, through the local provider's hosted checkout page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, assert_problem, open_shop, order_body
from tickex.adapters.memory.payment import InMemoryPaymentGateway
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx
from tickex.ports.signer import TicketClaims

EXTERNAL = re.compile(r"(https?:)?//[^\s\"'<>]")


def place(client: TestClient[Litestar], shop: Shop, **overrides: object) -> dict[str, str]:
    response = client.post("/v1/orders", json=order_body(shop, **overrides))
    assert response.status_code == 201, response.text
    placed: dict[str, str] = response.json()
    return placed


def pay_path(placed: dict[str, str]) -> str:
    path = "/pay/" + placed["payment_url"].rsplit("/pay/", 1)[1]
    assert re.fullmatch(r"/pay/cs_local_\d{6}", path)
    return path


def test_a_buyer_finds_an_event_orders_pays_and_gets_signed_tickets(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    event = client.get(f"/v1/events/{shop.slug}").json()
    ga = next(t for t in event["ticket_types"] if t["name"] == "General admission")
    placed = place(client, shop, items=[{"ticket_type_id": ga["id"], "quantity": 2}],
                   expected_total_minor=5150)  # fmt: skip

    page = client.get(pay_path(placed))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "51.50 EUR" in page.text
    assert placed["order_code"] in page.text
    assert '<form method="post">' in page.text
    assert "ana@example.com" not in page.text  # references are guessable: no personal data

    paid = client.post(pay_path(placed))
    assert paid.status_code == 200
    assert "Payment received" in paid.text
    assert placed["order_code"] in paid.text

    order = client.get(f"/v1/orders/{placed['order_id']}",
                       params={"email": "ana@example.com"}).json()  # fmt: skip
    assert order["status"] == "paid"
    assert order["paid_at"]
    assert order["payment_url"] is None
    assert len(order["tickets"]) == 2
    signer = tickex.services.signer
    for ticket in order["tickets"]:
        assert ticket["status"] == "active"
        assert ticket["ticket_type_id"] == ga["id"]
        claims = signer.verify(ticket["token"])
        assert isinstance(claims, TicketClaims)
        assert claims.event_id == shop.event_id
    types = {t["id"]: t for t in client.get(f"/v1/events/{shop.slug}").json()["ticket_types"]}
    assert types[ga["id"]]["availability"]["left"] == 3


def test_paying_twice_confirms_once(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    placed = place(client, shop)
    first = client.post(pay_path(placed))
    second = client.post(pay_path(placed))
    assert "Payment received" in first.text
    assert "Payment received" in second.text
    order = client.get(f"/v1/orders/{placed['order_id']}",
                       params={"email": "ana@example.com"}).json()  # fmt: skip
    assert len(order["tickets"]) == 2
    ledger = tickex.services.transaction(lambda uow: uow.ledger.list_for_order(placed["order_id"]))
    assert len([t for t in ledger if str(t.kind) == "sale"]) == 1


def test_a_late_payment_for_sold_out_tickets_is_refunded(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    vip = [{"ticket_type_id": shop.vip, "quantity": 1}]
    late = place(client, shop, items=vip)
    tickex.services.clock.advance(timedelta(minutes=20))  # type: ignore[attr-defined]
    tickex.expire_holds()
    other = place(client, shop, items=vip, customer_email="ben@example.com")
    assert "Payment received" in client.post(pay_path(other)).text
    refunded = client.post(pay_path(late))
    assert refunded.status_code == 200
    assert "Payment refunded" in refunded.text
    assert late["order_code"] in refunded.text
    assert "Payment refunded" in client.post(pay_path(late)).text  # and again: no change
    order = client.get(f"/v1/orders/{late['order_id']}",
                       params={"email": "ana@example.com"}).json()  # fmt: skip
    assert order["status"] == "refunded"
    assert order["tickets"] == []


def test_an_unknown_checkout_is_a_404_page(client: TestClient[Litestar], shop: Shop) -> None:
    for response in (client.get("/pay/cs_local_999999"), client.post("/pay/cs_local_999999")):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Checkout not found" in response.text
    assert_problem(client.get("/pay/" + "x" * 101), 422, "validation_failed")


def test_checkout_pages_escape_what_they_show_and_load_nothing_from_elsewhere(
    client: TestClient[Litestar], shop: Shop
) -> None:
    placed = place(client, shop)
    page = client.get(pay_path(placed))
    assert "<h1>Nightjar &lt;Live&gt; &amp; friends</h1>" in page.text
    for response in (page, client.post(pay_path(placed)), client.get("/pay/cs_local_999999")):
        assert "<Live>" not in response.text
        assert "<script" not in response.text
        assert "<link" not in response.text
        assert not EXTERNAL.search(response.text), EXTERNAL.search(response.text)
        assert response.headers["cache-control"] == "no-store"


def test_checkout_pages_exist_only_for_the_local_provider(tickex: TickEx, shop: Shop) -> None:
    class OtherProvider(InMemoryPaymentGateway):
        name = "stripe"

    placed = tickex.place_order(
        PlaceOrder(event_id=shop.event_id, customer_email="ana@example.com",
                   items=[OrderItem(ticket_type_id=shop.ga, quantity=1)])
    )  # fmt: skip
    path = "/pay/" + placed.payment_url.rsplit("/", 1)[1]  # type: ignore[union-attr]
    elsewhere = TickEx(tickex.services.with_ports(payments=OtherProvider()))
    with TestClient(create_app(elsewhere)) as other:
        assert other.get(path).status_code == 404
        assert other.post(path).status_code == 404


def test_a_checkout_page_survives_a_restart_of_the_provider(tickex: TickEx, shop: Shop) -> None:
    """The page is built from the order in storage, not from the provider's memory: any API
    process (and one started after a restart) shows it and takes the payment."""
    placed = tickex.place_order(
        PlaceOrder(event_id=shop.event_id, customer_email="ana@example.com",
                   items=[OrderItem(ticket_type_id=shop.ga, quantity=1)])
    )  # fmt: skip
    path = "/pay/" + placed.payment_url.rsplit("/", 1)[1]  # type: ignore[union-attr]
    restarted = TickEx(tickex.services.with_ports(payments=InMemoryPaymentGateway()))
    with TestClient(create_app(restarted)) as client:
        page = client.get(path)
        assert page.status_code == 200
        assert placed.order_code in page.text
        assert "Payment received" in client.post(path).text
        assert "Payment received" in client.get(path).text


def test_the_buyer_flow_on_the_embedded_sqlite_storage(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    from tickex.adapters.sql import SqlStorage

    storage = SqlStorage(f"sqlite:///{tmp_path}/tickex.db")
    storage.migrate()
    tickex = TickEx.in_memory(storage=storage)
    shop = open_shop(tickex)
    try:
        with TestClient(create_app(tickex)) as client:
            assert client.get("/readyz").json() == {"status": "ready"}
            event = client.get(f"/v1/events/{shop.slug}").json()
            assert {t["name"] for t in event["ticket_types"]} == {"General admission", "VIP"}
            placed = place(client, shop)
            assert "Payment received" in client.post(pay_path(placed)).text
            assert "Payment received" in client.post(pay_path(placed)).text
            order = client.get(f"/v1/orders/{placed['order_id']}",
                               params={"email": "ana@example.com"}).json()  # fmt: skip
            assert order["status"] == "paid"
            assert len(order["tickets"]) == 2
            assert_problem(client.post("/v1/orders", json=order_body(shop, status="paid")),
                           422, "validation_failed")  # fmt: skip
    finally:
        storage.close()
