"""Rate limiting over HTTP: the middleware on a small Litestar app built the way
``create_app`` builds the real one (the same problem handlers, request ids and hooks),
with routes named like the real ones.

The socket peer of a test request is set by the ``X-Test-Peer`` header (a test-only
middleware in front of everything), so that trusted and untrusted proxies can be played.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar, Request, get, post
from litestar.middleware import ASGIMiddleware
from litestar.params import FromPath
from litestar.testing import TestClient
from litestar.types import ASGIApp, Receive, Scope, Send

from tests.integration.http.conftest import assert_problem
from tests.integration.redis.support import redis_limiter
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.rate_limit import InMemoryRateLimiter
from tickex.adapters.redis import RedisRateLimiter
from tickex.entrypoints.http.observability import (
    HttpMetrics,
    RequestClockMiddleware,
    response_hook,
)
from tickex.entrypoints.http.problems import exception_handlers
from tickex.entrypoints.http.rate_limit import (
    DEFAULT_POLICIES,
    RateLimitMiddleware,
    RateLimits,
    RatePolicy,
    client_address,
    parse_networks,
)
from tickex.ports.rate_limit import RateLimiter

FIVE_A_MINUTE = {"placeOrder": RatePolicy(limit=5, window_seconds=60)}


@post("/v1/orders", operation_id="placeOrder", status_code=201)
async def place_order() -> dict[str, str]:
    return {"status": "pending"}


@get("/v1/orders/{order_id:str}", operation_id="getOrder")
async def get_order(order_id: FromPath[str]) -> dict[str, str]:
    return {"id": order_id}


@get("/v1/events", operation_id="listEvents")
async def list_events() -> list[str]:
    return []


@post("/v1/auth/login", operation_id="login", status_code=200)
async def login() -> dict[str, str]:
    return {"token": "t"}


class TestPeer(ASGIMiddleware):
    """Test only: the socket peer is whatever ``X-Test-Peer`` says."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        for name, value in scope.get("headers", ()):
            if name == b"x-test-peer":
                scope["client"] = (value.decode(), 50000)
        await next_app(scope, receive, send)


def build_app(
    limiter: RateLimiter,
    policies: Mapping[str, RatePolicy] | None = FIVE_A_MINUTE,
    trusted_proxies: tuple[str, ...] = (),
    metrics: HttpMetrics | None = None,
) -> Litestar:
    limits = RateLimits.build(limiter, policies, trusted_proxies)
    metrics = metrics or HttpMetrics(lambda: (0, 0))
    return Litestar(
        route_handlers=[place_order, get_order, list_events, login],
        exception_handlers=exception_handlers(),
        middleware=[TestPeer(), RequestClockMiddleware(), RateLimitMiddleware(limits, metrics)],
        before_send=[response_hook(metrics)],
        logging_config=None,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def limiter(clock: FixedClock) -> InMemoryRateLimiter:
    return InMemoryRateLimiter(clock)


@pytest.fixture
def client(limiter: InMemoryRateLimiter) -> Iterator[TestClient[Litestar]]:
    with TestClient(build_app(limiter)) as test_client:
        yield test_client


def order(client: TestClient[Litestar], peer: str = "203.0.113.7", **headers: str) -> Any:
    return client.post("/v1/orders", json={}, headers={"X-Test-Peer": peer, **headers})


# -- the limit ----------------------------------------------------------------------------
def test_the_sixth_request_in_the_window_gets_429_with_retry_after(
    client: TestClient[Litestar], clock: FixedClock
) -> None:
    for remaining in (4, 3, 2, 1, 0):
        response = order(client)
        assert response.status_code == 201
        assert response.headers["RateLimit-Limit"] == "5"
        assert response.headers["RateLimit-Remaining"] == str(remaining)
    sixth = order(client)
    body = assert_problem(sixth, 429, "rate_limited")
    assert sixth.headers["Retry-After"] == "60"
    assert sixth.headers["RateLimit-Remaining"] == "0"
    assert "60 seconds" in body["detail"]
    clock.advance(timedelta(seconds=30))
    assert order(client).headers["Retry-After"] == "30"
    clock.advance(timedelta(seconds=30))
    assert order(client).status_code == 201  # the window has passed


def test_other_routes_are_not_limited(client: TestClient[Litestar]) -> None:
    for _ in range(6):
        order(client)
    assert order(client).status_code == 429
    for _ in range(20):
        events = client.get("/v1/events", headers={"X-Test-Peer": "203.0.113.7"})
        assert events.status_code == 200
        assert "RateLimit-Limit" not in events.headers
    assert client.get("/v1/orders/o-1", headers={"X-Test-Peer": "203.0.113.7"}).status_code == 200
    login = client.post("/v1/auth/login", headers={"X-Test-Peer": "203.0.113.7"})
    assert login.status_code == 200


def test_clients_are_limited_separately(client: TestClient[Litestar]) -> None:
    for _ in range(5):
        assert order(client, "203.0.113.7").status_code == 201
    assert order(client, "203.0.113.7").status_code == 429
    assert order(client, "203.0.113.8").status_code == 201


def test_a_policy_may_name_a_route_by_method_and_path(limiter: InMemoryRateLimiter) -> None:
    policies = {"POST /v1/auth/login": RatePolicy(limit=2, window_seconds=60)}
    with TestClient(build_app(limiter, policies)) as client:
        codes = [client.post("/v1/auth/login").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert order(client).status_code == 201  # not in this table


def test_a_key_function_chooses_what_is_counted(limiter: InMemoryRateLimiter) -> None:
    def by_account(request: Request[Any, Any, Any], client: str) -> str | None:
        return request.headers.get("x-account")  # None: unlimited

    policies = {"placeOrder": RatePolicy(limit=1, window_seconds=60, key=by_account)}
    with TestClient(build_app(limiter, policies)) as client:
        assert order(client, "203.0.113.1", **{"X-Account": "ana"}).status_code == 201
        assert order(client, "203.0.113.2", **{"X-Account": "ana"}).status_code == 429
        assert order(client, "203.0.113.1", **{"X-Account": "bo"}).status_code == 201
        assert all(order(client).status_code == 201 for _ in range(3))


def test_policies_with_one_bucket_share_their_counts(limiter: InMemoryRateLimiter) -> None:
    shared = RatePolicy(limit=2, window_seconds=60, bucket="writes")
    with TestClient(build_app(limiter, {"placeOrder": shared, "login": shared})) as client:
        assert order(client).status_code == 201
        assert client.post("/v1/auth/login", headers={"X-Test-Peer": "203.0.113.7"}).is_success
        assert order(client).status_code == 429


def test_the_default_policy_limits_order_placement_to_ten_a_minute(
    limiter: InMemoryRateLimiter,
) -> None:
    assert DEFAULT_POLICIES["placeOrder"] == RatePolicy(limit=10, window_seconds=60)
    with TestClient(build_app(limiter, None)) as client:
        codes = [order(client).status_code for _ in range(11)]
        assert codes == [201] * 10 + [429]


class ThreadNoting(InMemoryRateLimiter):
    """Notes the thread each hit runs in."""

    def __init__(self, clock: FixedClock, blocking: bool) -> None:
        super().__init__(clock)
        self.blocking = blocking
        self.threads: list[int] = []

    def hit(self, key: str, limit: int, window_seconds: int) -> Any:
        self.threads.append(threading.get_ident())
        return super().hit(key, limit, window_seconds)


@get("/loop-thread")
async def loop_thread() -> int:
    return threading.get_ident()


@pytest.mark.parametrize("blocking", [True, False])
def test_a_blocking_limiter_waits_in_a_worker_thread_and_a_memory_one_on_the_loop(
    clock: FixedClock, blocking: bool
) -> None:
    limiter = ThreadNoting(clock, blocking)
    app = build_app(limiter)
    app.register(loop_thread)
    with TestClient(app) as client:
        assert order(client).status_code == 201
        loop = client.get("/loop-thread").json()
    assert len(limiter.threads) == 1
    assert (limiter.threads[0] == loop) is not blocking


# -- X-Forwarded-For ----------------------------------------------------------------------
def test_forwarded_for_is_ignored_from_an_untrusted_peer(limiter: InMemoryRateLimiter) -> None:
    with TestClient(build_app(limiter, trusted_proxies=("10.0.0.0/8",))) as client:
        codes = [
            order(client, "203.0.113.7", **{"X-Forwarded-For": f"198.51.100.{n}"}).status_code
            for n in range(6)
        ]
        assert codes == [201] * 5 + [429]  # a new made-up address each time did not help


def test_forwarded_for_is_honoured_from_a_trusted_proxy(limiter: InMemoryRateLimiter) -> None:
    with TestClient(build_app(limiter, trusted_proxies=("10.0.0.0/8",))) as client:
        via_proxy = {"X-Forwarded-For": "198.51.100.1"}
        assert all(order(client, "10.0.0.2", **via_proxy).status_code == 201 for _ in range(5))
        assert order(client, "10.0.0.3", **via_proxy).status_code == 429  # any proxy: one client
        other = {"X-Forwarded-For": "198.51.100.2"}
        assert order(client, "10.0.0.2", **other).status_code == 201
        # what the client itself wrote is left of the hop our proxy added: not believed
        spoofed = {"X-Forwarded-For": "192.0.2.99, 198.51.100.1"}
        assert order(client, "10.0.0.2", **spoofed).status_code == 429
        # and without a trusted proxy in front, the proxy's own address is the client
        assert order(client, "10.0.0.9").status_code == 201


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),  # untrusted peer: header ignored
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["192.0.2.1, 198.51.100.1, 10.0.0.5"], "198.51.100.1"),  # two proxies
        ("10.0.0.2", ["192.0.2.1", "198.51.100.1"], "198.51.100.1"),  # two header lines
        ("10.0.0.2", ["10.0.0.7, 10.0.0.5"], "10.0.0.7"),  # all trusted: the leftmost
        ("10.0.0.2", ["192.0.2.1, not-an-ip"], "10.0.0.2"),  # garbage: stop at last good
        ("10.0.0.2", ["198.51.100.1:4711"], "198.51.100.1"),
        ("10.0.0.2", ['"[2001:db8:1:2::9]:443"'], "2001:db8:1:2::/64"),
        ("2001:db8:5:6:a:b:c:d", [], "2001:db8:5:6::/64"),  # IPv6 clients by their /64
        ("::ffff:203.0.113.7", [], "203.0.113.7"),  # IPv4-mapped
        ("::1", ["198.51.100.1"], "198.51.100.1"),
        ("testclient", ["198.51.100.1"], "testclient"),  # not an address: never trusted
        ("10.0.0.2", ["x" * 200], "10.0.0.2"),
    ],
)
def test_the_client_address(peer: str, forwarded: list[str], expected: str) -> None:
    scope: Any = {
        "client": (peer, 1234),
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
    }
    assert client_address(scope, parse_networks(["10.0.0.0/8", "::1"])) == expected


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert [str(n) for n in parse_networks(["10.0.0.0/8", "192.0.2.1", " ::1 "])] == [
        "10.0.0.0/8",
        "192.0.2.1/32",
        "::1/128",
    ]
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33'")):
        parse_networks(["10.0.0.0/33"])


# -- when the store is down ---------------------------------------------------------------
def test_with_the_store_down_requests_go_through_and_a_warning_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = RedisRateLimiter("redis://127.0.0.1:1/0", timeout=0.2)
    metrics = HttpMetrics(lambda: (0, 0))
    with (
        caplog.at_level(logging.WARNING, "tickex.http.rate_limit"),
        TestClient(build_app(down, metrics=metrics)) as client,
    ):
        responses = [order(client) for _ in range(8)]
    assert [r.status_code for r in responses] == [201] * 8
    counted = metrics.registry.get_sample_value(
        "tickex_rate_limiter_unavailable_total", {"policy": "placeOrder", "outcome": "allowed"}
    )
    assert counted == 8  # every request the store could not count, though warned once
    assert "RateLimit-Limit" not in responses[0].headers
    warnings = [r for r in caplog.records if r.name == "tickex.http.rate_limit"]
    assert len(warnings) == 1  # not one per request
    assert warnings[0].fields["policy"] == "placeOrder"  # type: ignore[attr-defined]


def test_a_fail_closed_policy_answers_503_with_the_store_down() -> None:
    down = RedisRateLimiter("redis://127.0.0.1:1/0", timeout=0.2)
    policies = {"placeOrder": RatePolicy(limit=5, window_seconds=60, fail_open=False)}
    metrics = HttpMetrics(lambda: (0, 0))
    with TestClient(build_app(down, policies, metrics=metrics)) as client:
        response = order(client)
        assert_problem(response, 503, "rate_limit_unavailable")
        assert (
            metrics.registry.get_sample_value(
                "tickex_rate_limiter_unavailable_total",
                {"policy": "placeOrder", "outcome": "refused"},
            )
            == 1
        )
        assert response.headers["Retry-After"] == "1"
        assert client.get("/v1/events").status_code == 200


# -- with Redis ---------------------------------------------------------------------------
def test_the_sixth_request_gets_429_with_redis() -> None:
    with redis_limiter() as shared, TestClient(build_app(shared)) as client:
        codes = [order(client).status_code for _ in range(6)]
        assert codes == [201] * 5 + [429]
        retry_after = int(order(client).headers["Retry-After"])
        assert 59 <= retry_after <= 60
