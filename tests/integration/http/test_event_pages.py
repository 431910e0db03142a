"""The public event page from memory (``catalog/event_pages.py``): the same bytes as a
fresh read, an ETag that answers 304, a public Cache-Control, availability that lags by
at most the page's time to live, and the organizer's changes through the worker forgetting
the pages at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, assert_problem, order_body
from tests.integration.http.test_organizer import event_body, sign_up, ticket_type_body
from tickex.application.catalog.cancel_event import CancelEvent
from tickex.entrypoints.http import create_app
from tickex.entrypoints.http.catalog.event_pages import EventPages
from tickex.facade import TickEx

Client = TestClient[Litestar]
TTL = 60.0  # long enough that nothing expires during a test


@pytest.fixture
def cached(tickex: TickEx) -> Iterator[Client]:
    with TestClient(create_app(tickex, event_page_ttl=TTL)) as client:
        yield client


def left(page: dict[str, object], name: str) -> int:
    (offer,) = [t for t in page["ticket_types"] if t["name"] == name]  # type: ignore[attr-defined]
    return int(offer["availability"]["left"])


def test_a_page_is_the_same_bytes_as_a_fresh_read_with_an_etag_and_public_caching(
    cached: Client, client: Client, shop: Shop
) -> None:
    fresh = client.get(f"/v1/events/{shop.slug}")  # the cache off (create_app's default)
    first, second = cached.get(f"/v1/events/{shop.slug}"), cached.get(f"/v1/events/{shop.slug}")
    assert first.status_code == second.status_code == fresh.status_code == 200
    assert first.content == second.content == fresh.content
    assert first.headers["content-type"] == "application/json"
    assert first.headers["etag"] == second.headers["etag"] == fresh.headers["etag"]
    assert first.headers["etag"].startswith('"')
    assert len(first.headers["etag"]) == 26
    assert first.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=240"
    assert fresh.headers["cache-control"] == "public, max-age=1, stale-while-revalidate=4"


def test_the_etag_answers_not_modified(cached: Client, shop: Shop) -> None:
    etag = cached.get(f"/v1/events/{shop.slug}").headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}'):
        again = cached.get(f"/v1/events/{shop.slug}", headers={"If-None-Match": header})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    other = cached.get(f"/v1/events/{shop.slug}", headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200
    assert other.content


def test_what_is_left_lags_by_the_pages_time_to_live_and_placing_an_order_is_exact(
    cached: Client, tickex: TickEx, shop: Shop
) -> None:
    assert left(cached.get(f"/v1/events/{shop.slug}").json(), "General admission") == 5
    placed = cached.post("/v1/orders", json=order_body(shop, items=[
        {"ticket_type_id": shop.ga, "quantity": 5}]))  # fmt: skip
    assert placed.status_code == 201, placed.text
    assert left(cached.get(f"/v1/events/{shop.slug}").json(), "General admission") == 5
    assert_problem(cached.post("/v1/orders", json=order_body(shop, customer_email="b@x.io",
                                                             items=[{"ticket_type_id": shop.ga,
                                                                     "quantity": 1}])),
                   409, "sold_out")  # fmt: skip
    with TestClient(create_app(tickex)) as fresh:
        assert left(fresh.get(f"/v1/events/{shop.slug}").json(), "General admission") == 0


def test_an_organizers_change_through_the_worker_forgets_the_pages(tickex: TickEx) -> None:
    ana = sign_up(tickex, "ana@nightjar.example")
    with TestClient(create_app(tickex, event_page_ttl=TTL)) as client:
        made = client.post("/v1/organizer/events", json=event_body(tickex), headers=ana.headers)
        event_id = made.json()["id"]
        client.post(f"/v1/organizer/events/{event_id}/ticket-types", json=ticket_type_body(),
                    headers=ana.headers)  # fmt: skip
        assert client.post(f"/v1/organizer/events/{event_id}/publish",
                           headers=ana.headers).status_code == 200  # fmt: skip
        before = client.get("/v1/events/harbour-nights")
        assert before.json()["title"] == "Harbour nights"
        changed = client.patch(
            f"/v1/organizer/events/{event_id}",
            json={"title": "Harbour nights, moved"},
            headers=ana.headers,
        )
        assert changed.status_code == 200, changed.text
        after = client.get("/v1/events/harbour-nights")
        assert after.json()["title"] == "Harbour nights, moved"
        assert after.headers["etag"] != before.headers["etag"]
        client.get(f"/v1/organizer/events/{event_id}", headers=ana.headers)  # a read: kept
        assert client.get("/v1/events/harbour-nights").headers["etag"] == after.headers["etag"]


def test_a_missing_or_draft_event_is_not_kept(cached: Client, tickex: TickEx, shop: Shop) -> None:
    assert_problem(cached.get(f"/v1/events/{shop.draft_slug}"), 404, "not_found")
    assert_problem(cached.get("/v1/events/no-such-event"), 404, "not_found")


def test_a_due_page_is_rendered_by_one_request_while_the_others_get_the_old_one() -> None:
    now = [0.0]
    pages = EventPages(ttl=1.0, clock=lambda: now[0])
    assert pages.get("a") == (None, True)  # none yet: render it
    page = pages.put("a", b"{}")
    assert pages.get("a") == (page, False)
    now[0] = 0.99
    assert pages.get("a") == (page, False)
    now[0] = 1.0  # due: the first renders, the others answer the old page meanwhile
    assert pages.get("a") == (page, True)
    assert pages.get("a") == (page, False)
    newer = pages.put("a", b'{"v": 2}')
    assert pages.get("a") == (newer, False)
    now[0] = 5.0
    assert pages.get("a") == (newer, True)
    pages.forget("a")  # the render failed: the event is gone
    assert pages.get("a") == (None, True)
    off = EventPages(ttl=0)
    off.put("a", b"{}")
    assert off.get("a") == (None, True)
    pages.put("b", b"{}")
    pages.clear()
    assert pages.get("b") == (None, True)


def test_an_event_gone_since_its_page_was_kept_is_not_found(tickex: TickEx, shop: Shop) -> None:

    with TestClient(create_app(tickex, event_page_ttl=0.05)) as client:
        assert client.get(f"/v1/events/{shop.slug}").status_code == 200
        tickex.cancel_event(CancelEvent(organizer_id=shop.organizer_id, event_id=shop.event_id))
        import time

        time.sleep(0.06)
        again = client.get(f"/v1/events/{shop.slug}")
        assert again.json()["status"] == "cancelled"  # a cancelled event's page still shows
