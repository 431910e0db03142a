"""Per-request plumbing: request ids, security headers, access logs and metrics.

Litestar runs middleware only for requests that matched a route, so the work that must
cover *every* response (404s and 405s included) happens in a ``before_send`` hook, which
the application applies to all of them. A light middleware only notes the start time of
matched requests; for unmatched ones the context is created when the error is rendered,
microseconds after the request arrived.

Logs are stdlib ``logging`` records on ``tickex.http`` with a ``fields`` attribute (request
id, method, route template, status, latency): never a body, a query string or a header
value, so no email, token or secret reaches them. ``tickex.entrypoints.logs.JsonFormatter``
renders them as one JSON object per line.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_STATE_KEY = "tickex_request"

access_logger = logging.getLogger("tickex.http.access")

# One policy for every response. API responses are JSON and need none of it; the two kinds
# of HTML page we serve (the docs UI and the local checkout) load only our own files, with
# no inline script. Swagger UI sets style attributes, hence 'unsafe-inline' for styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
#: the same, as the raw (lowercase name, value) pairs of an ASGI message, built once
_SECURITY_RAW = tuple((k.lower().encode("latin-1"), v.encode("latin-1"))
                      for k, v in SECURITY_HEADERS.items())  # fmt: skip
_HSTS_RAW = (b"strict-transport-security", HSTS.encode("latin-1"))
_REQUEST_ID_RAW = REQUEST_ID_HEADER.lower().encode("latin-1")


# -- request context --------------------------------------------------------------------
@dataclass(slots=True)
class RequestContext:
    request_id: str
    started: float  # perf_counter
    status: int = 0
    finished: bool = False
    problem_code: str | None = None
    user_id: str | None = None  # set once a bearer token was accepted
    api_key_id: str | None = None  # set once an organizer's API key was accepted


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_REQUEST_ID.match(text) else None
    return None


def request_context(scope: Scope) -> RequestContext:
    """This request's context, created on first use: the incoming ``X-Request-ID`` when it
    is sane (1-128 of ``A-Z a-z 0-9 . _ : -``), otherwise a new random one."""
    state = scope.setdefault("state", {})
    context = state.get(_STATE_KEY)
    if not isinstance(context, RequestContext):
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        context = RequestContext(request_id, time.perf_counter())
        state[_STATE_KEY] = context
    return context


def problem_counted(scope: Scope, code: str) -> None:
    request_context(scope).problem_code = code


class RequestClockMiddleware(ASGIMiddleware):
    """Start the request's clock (and id) before the handler runs, then the ``checks`` of
    the matched route (cheap ones on the scope; an exception answers as a guard's does)."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, checks: Iterable[Callable[[Scope], None]] = ()) -> None:
        self.checks = tuple(checks)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_context(scope)
        for check in self.checks:
            check(scope)
        await next_app(scope, receive, send)


# -- metrics --------------------------------------------------------------------------
#: the outbox's (pending, dead) message counts, read in one go
OutboxCounts = Callable[[], tuple[int, int]]


class _Backlog(Collector):
    """The outbox backlog and its dead letters, read from storage when Prometheus scrapes
    (alert on ``tickex_outbox_dead`` > 0: each one waits for a person)."""

    def __init__(self, counts: OutboxCounts) -> None:
        self._counts = counts

    def collect(self) -> Iterable[Metric]:
        pending, dead = self._counts()
        backlog = GaugeMetricFamily(
            "tickex_outbox_pending", "Outbox messages waiting to be delivered"
        )
        backlog.add_metric([], float(pending))
        yield backlog
        given_up = GaugeMetricFamily(
            "tickex_outbox_dead",
            "Outbox messages the worker gave up on (tickex outbox dead / retry)",
        )
        given_up.add_metric([], float(dead))
        yield given_up

    def describe(self) -> Iterable[Metric]:
        return []  # do not touch storage when the collector is registered


@dataclass(slots=True)
class HttpMetrics:
    """Prometheus metrics of one application, in a registry of its own (never the global
    one: a process may build many applications, tests do)."""

    outbox_counts: OutboxCounts
    registry: CollectorRegistry = field(init=False)
    requests: Counter = field(init=False)
    latency: Histogram = field(init=False)
    problems: Counter = field(init=False)
    orders_placed: Counter = field(init=False)
    sold_out: Counter = field(init=False)
    rate_limiter_unavailable: Counter = field(init=False)
    _children: dict[tuple[str, str, str], tuple[Any, Any]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "tickex_http_requests", "HTTP requests by method, route template and status",
            ["method", "route", "status"], registry=registry,
        )  # fmt: skip
        self.latency = Histogram(
            "tickex_http_request_duration_seconds", "HTTP request latency",
            ["method", "route"], registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )  # fmt: skip
        self.problems = Counter(
            "tickex_http_problems", "Problem responses by error code", ["code"], registry=registry
        )
        self.orders_placed = Counter(
            "tickex_orders_placed", "Orders placed through the API", registry=registry
        )
        self.sold_out = Counter(
            "tickex_sold_out_rejections",
            "Orders refused by the inventory guard (sold out or promo code used up)",
            registry=registry,
        )
        self.rate_limiter_unavailable = Counter(
            "tickex_rate_limiter_unavailable",
            "Requests the rate-limit store could not count, by policy and by what was done "
            "(allowed: the policy fails open; refused: 503)",
            ["policy", "outcome"], registry=registry,
        )  # fmt: skip
        registry.register(_Backlog(self.outbox_counts))

    def count(self, method: str, route: str, status: str, elapsed: float) -> None:
        """A request and its latency; the labelled children are looked up once per label
        set (``labels()`` takes a lock and builds a key on every call)."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(method, route, status), self.latency.labels(method, route)
            )  # fmt: skip
        children[0].inc()
        children[1].observe(elapsed)


# -- the before_send hook -------------------------------------------------------------
def _route(scope: Scope) -> str:
    template = scope.get("path_template")
    return str(template) if template else "unmatched"


def response_hook(metrics: HttpMetrics) -> Callable[[Message, Scope], Any]:
    async def before_send(message: Message, scope: Scope) -> None:
        if scope["type"] != ScopeType.HTTP:
            return
        context = request_context(scope)
        if message["type"] == "http.response.start":
            context.status = message["status"]
            # the raw header list, appended to once: the security headers a route did not
            # set itself, the request id and (over https) HSTS
            raw = message.setdefault("headers", [])
            if not isinstance(raw, list):
                raw = message["headers"] = list(raw)
            present = {name.lower() for name, _ in raw}
            if _REQUEST_ID_RAW in present:  # ours replaces one a route set
                raw[:] = [pair for pair in raw if pair[0].lower() != _REQUEST_ID_RAW]
            raw.append((_REQUEST_ID_RAW, context.request_id.encode("latin-1")))
            raw.extend(pair for pair in _SECURITY_RAW if pair[0] not in present)
            if scope.get("scheme") == "https":
                raw.append(_HSTS_RAW)
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            if context.finished:
                return
            context.finished = True
            _record(metrics, scope, context)

    return before_send


def _record(metrics: HttpMetrics, scope: Scope, context: RequestContext) -> None:
    elapsed = time.perf_counter() - context.started
    method = str(scope.get("method", ""))
    route = _route(scope)
    metrics.count(method, route, str(context.status), elapsed)
    if context.problem_code is not None:
        metrics.problems.labels(context.problem_code).inc()
        if context.problem_code in ("sold_out", "promo_code_exhausted"):
            metrics.sold_out.inc()
    fields: dict[str, object] = {
        "request_id": context.request_id, "method": method, "route": route,
        "status": context.status, "latency_ms": round(elapsed * 1000, 3),
    }  # fmt: skip
    if context.user_id is not None:
        fields["user_id"] = context.user_id
    if context.api_key_id is not None:
        fields["api_key_id"] = context.api_key_id
    if access_logger.isEnabledFor(logging.INFO):  # the record made directly: no caller lookup
        access_logger.handle(
            access_logger.makeRecord(
                access_logger.name, logging.INFO, __file__, 0, "request", (), None,
                extra={"fields": fields},
            )
        )  # fmt: skip
