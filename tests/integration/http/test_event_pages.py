"""The public event page from memory (``catalog/event_pages.py``): the same bytes as a
fresh read, an ETag that answers 304, a public Cache-Control, availability that lags by
at most the page's time to live, and the organizer's changes through the worker forgetting
the pages at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, assert_problem, order_body
from tests.integration.http.test_organizer import event_body, sign_up, ticket_type_body
from tickex.application.catalog.cancel_event import CancelEvent
from tickex.entrypoints.http import create_app
from tickex.entrypoints.http.catalog.event_pages import EventPages, KeptPageShortcut
from tickex.entrypoints.http.rate_limit import RatePolicy
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


# -- the shortcut: a fresh page answered before routing ----------------------------------
def _routed_and_short(client: Client, path: str, **kwargs: Any) -> tuple[Any, Any]:
    """The same request answered by the route (the page not yet kept: it is rendered) and
    by the shortcut (now kept)."""
    client.app.state.event_pages.clear()
    return client.get(path, **kwargs), client.get(path, **kwargs)


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k != "x-request-id"}


def test_the_shortcut_answers_what_the_route_answers(cached: Client, shop: Shop) -> None:
    assert isinstance(cached.app.asgi_handler, KeptPageShortcut)
    path = f"/v1/events/{shop.slug}"
    routed, short = _routed_and_short(cached, path)
    assert (short.status_code, short.content) == (routed.status_code, routed.content)
    assert _headers(short) == _headers(routed)
    assert short.headers["x-request-id"] != routed.headers["x-request-id"]
    etag = routed.headers["etag"]
    routed, short = _routed_and_short(cached, path, headers={"If-None-Match": f'"x", W/{etag}'})
    assert (short.status_code, short.content) == (routed.status_code, routed.content) == (304, b"")
    assert _headers(short) == _headers(routed)
    sane = cached.get(path, headers={"X-Request-ID": "trace-7"})
    assert sane.headers["x-request-id"] == "trace-7"


def test_the_shortcut_is_counted_and_logged_as_the_route(
    cached: Client, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    path = f"/v1/events/{shop.slug}"
    cached.get(path)  # kept
    with caplog.at_level(logging.INFO, logger="tickex.http.access"):
        cached.get(path, headers={"X-Request-ID": "trace-8"})
    (fields,) = [f for r in caplog.records if r.name == "tickex.http.access"
                 and (f := getattr(r, "fields", {}))["request_id"] == "trace-8"]  # fmt: skip
    assert (fields["route"], fields["status"]) == ("/v1/events/{slug}", 200)
    metrics = cached.get("/metrics").text
    assert (
        'tickex_http_requests_total{method="GET",route="/v1/events/{slug}",status="200"} 2.0'
        in (metrics)
    )


class _Next:
    """The application behind the shortcut: notes what reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])


Headers = tuple[tuple[bytes, bytes], ...]


def _ask(shortcut: KeptPageShortcut, method: str = "GET", path: str = "/v1/events/kept",
         query: bytes = b"", headers: Headers = ()) -> list[Any]:  # fmt: skip
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": query,
             "root_path": "", "headers": [(b"host", b"tickex.example"), *headers]}  # fmt: skip
    asyncio.run(shortcut(scope, receive, send))
    return sent


def test_only_what_the_shortcut_answers_exactly_skips_the_route() -> None:
    now = [0.0]
    pages = EventPages(ttl=1.0, clock=lambda: now[0])
    pages.put("kept", b'{"title": "kept"}')
    routed = _Next()
    shortcut = KeptPageShortcut(routed, pages, cors=True)
    answered = _ask(shortcut)
    assert [m["type"] for m in answered] == ["http.response.start", "http.response.body"]
    assert answered[1]["body"] == b'{"title": "kept"}'
    assert dict(answered[0]["headers"])[b"content-length"] == b"17"
    assert (
        _ask(shortcut, headers=((b"if-none-match", pages.fresh("kept").etag.encode()),))[0][  # type: ignore[union-attr]
            "status"
        ]
        == 304
    )
    assert routed.paths == []
    for asked in (
        {"path": "/v1/events/other"},  # not kept: rendered by the route
        {"method": "HEAD"},
        {"method": "POST"},
        {"query": b"x=1"},
        {"path": "/v1/events/kept/"},
        {"headers": ((b"origin", b"https://shop.example"),)},  # CORS: the middleware answers
        {"headers": ((b"if-none-match", b'"' + b"a" * 200 + b'"'),)},  # too long: a 422
        {"headers": ((b"if-none-match", b'"a"'), (b"if-none-match", b'"b"'))},
        {"headers": ((b"host", b"bad host/"),)},  # a 400, as routing says
    ):
        assert _ask(shortcut, **asked) == []  # type: ignore[arg-type]
    assert len(routed.paths) == 9
    now[0] = 1.0  # due: the route renders it again
    assert _ask(shortcut) == []
    assert _ask(KeptPageShortcut(_Next(), pages, cors=False),
                headers=((b"origin", b"https://shop.example"),)) == []  # fmt: skip


def test_a_cors_request_gets_the_cors_headers(tickex: TickEx, shop: Shop) -> None:
    origin = "https://shop.example"
    with TestClient(create_app(tickex, event_page_ttl=TTL, cors_origins=[origin])) as client:
        path = f"/v1/events/{shop.slug}"
        client.get(path)  # kept
        again = client.get(path, headers={"Origin": origin})
        assert again.status_code == 200
        assert again.headers["access-control-allow-origin"] == origin


def test_a_rate_limited_event_page_is_always_routed(tickex: TickEx, shop: Shop) -> None:
    policies = {"getEvent": RatePolicy(limit=2, window_seconds=60)}
    with TestClient(create_app(tickex, event_page_ttl=TTL, rate_policies=policies)) as client:
        assert not isinstance(client.app.asgi_handler, KeptPageShortcut)
        statuses = [client.get(f"/v1/events/{shop.slug}").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
    with TestClient(create_app(tickex)) as uncached:  # no pages kept: no shortcut either
        assert not isinstance(uncached.app.asgi_handler, KeptPageShortcut)
