"""GET /v1/events and /v1/events/{slug}: the public catalogue."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, assert_problem, order_body
from tickex.facade import TickEx


def test_the_catalogue_lists_published_events_soonest_first(
    client: TestClient[Litestar], shop: Shop
) -> None:
    response = client.get("/v1/events")
    assert response.status_code == 200
    page = response.json()
    assert [e["slug"] for e in page["items"]] == [shop.slug, shop.free_slug, shop.later_slug]
    assert page["limit"] == 20
    assert page["offset"] == 0
    assert page["next_offset"] is None
    first = page["items"][0]
    assert first["title"] == "Nightjar <Live> & friends"
    assert first["status"] == "published"
    assert first["currency"] == "EUR"
    assert first["venue"]["city"] == "Lisbon"
    assert first["starts_at"].endswith(("Z", "+00:00"))


def test_drafts_are_not_listed(client: TestClient[Litestar], shop: Shop) -> None:
    slugs = [e["slug"] for e in client.get("/v1/events").json()["items"]]
    assert shop.draft_slug not in slugs


def test_the_catalogue_is_paginated(client: TestClient[Litestar], shop: Shop) -> None:
    first = client.get("/v1/events", params={"limit": 2}).json()
    assert [e["slug"] for e in first["items"]] == [shop.slug, shop.free_slug]
    assert first["next_offset"] == 2
    second = client.get("/v1/events", params={"limit": 2, "offset": 2}).json()
    assert [e["slug"] for e in second["items"]] == [shop.later_slug]
    assert second["next_offset"] is None


def test_ended_events_leave_the_catalogue(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    from datetime import timedelta

    tickex.services.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    slugs = [e["slug"] for e in client.get("/v1/events").json()["items"]]
    assert slugs == [shop.free_slug, shop.later_slug]


def test_page_bounds_are_enforced(client: TestClient[Litestar], shop: Shop) -> None:
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"offset": 10_001},
                   {"limit": "many"}):  # fmt: skip
        body = assert_problem(client.get("/v1/events", params=params), 422, "validation_failed")
        assert body["errors"][0]["field"] in ("limit", "offset")
        assert body["errors"][0]["source"] == "query"


def test_an_event_page_shows_prices_and_what_is_left(
    client: TestClient[Litestar], shop: Shop
) -> None:
    response = client.get(f"/v1/events/{shop.slug}")
    assert response.status_code == 200
    event = response.json()
    assert event["id"] == shop.event_id
    assert event["on_sale"] is True
    types = {t["name"]: t for t in event["ticket_types"]}
    assert set(types) == {"General admission", "VIP"}  # the hidden crew type is not listed
    ga = types["General admission"]
    assert ga["id"] == shop.ga
    assert ga["price"] == {"amount_minor": 2500, "currency": "EUR"}
    assert ga["availability"] == {"state": "ok", "left": 5}
    assert ga["on_sale"] is True


def test_availability_follows_orders(client: TestClient[Litestar], shop: Shop) -> None:
    assert client.post("/v1/orders", json=order_body(shop)).status_code == 201
    vip = {"items": [{"ticket_type_id": shop.vip, "quantity": 1}]}
    assert client.post("/v1/orders", json=order_body(shop, **vip)).status_code == 201
    types = {t["id"]: t for t in client.get(f"/v1/events/{shop.slug}").json()["ticket_types"]}
    assert types[shop.ga]["availability"] == {"state": "ok", "left": 3}
    # the only VIP ticket is held by a pending order: it may free up again
    assert types[shop.vip]["availability"] == {"state": "ordered", "left": 0}


def test_a_draft_is_not_found(client: TestClient[Litestar], shop: Shop) -> None:
    assert_problem(client.get(f"/v1/events/{shop.draft_slug}"), 404, "not_found")
    assert_problem(client.get("/v1/events/no-such-event"), 404, "not_found")


def test_a_malformed_slug_is_refused(client: TestClient[Litestar], shop: Shop) -> None:
    for slug in ("Nightjar-Live", "ab", "x" * 81, "semi;colon"):
        body = assert_problem(client.get(f"/v1/events/{slug}"), 422, "validation_failed")
        assert body["errors"][0]["field"] == "slug"
