"""Rate limiting for the HTTP API: a policy table applied by one middleware.

The limiter is a ``RateLimiter`` port handed in by the caller (the composition root
chooses memory or Redis); nothing here knows which. Each policy names a route by its
operation id (``placeOrder``) or by ``"METHOD /path/template"``, and says how many
requests a key may make in a window; the key is the client's address unless the policy
says otherwise. The client's address is the socket peer; ``X-Forwarded-For`` is read only
when that peer is one of the configured trusted proxies (CIDRs), and then only as far as
the chain of trusted hops goes. IPv6 clients are keyed by their /64, the block one
subscriber gets.

A refused request gets ``429`` problem+json (code ``rate_limited``) with ``Retry-After``.
Every response of a limited route carries ``RateLimit-Limit`` and ``RateLimit-Remaining``.
When the limiter's store is down, a policy fails open by default (the request goes on and a
warning is logged, at most once every ``WARN_EVERY_SECONDS``) or, when it says so, closed
(``503`` with code ``rate_limit_unavailable``). See docs/adr/0005-rate-limiting.md.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from tickex.entrypoints.http.observability import HttpMetrics
from tickex.entrypoints.http.problems import problem
from tickex.ports.rate_limit import RateLimitDecision, RateLimiter, RateLimiterUnavailable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``(request, client address) -> key``; None leaves the request unlimited
KeyFunction = Callable[[Request[Any, Any, Any], str], str | None]

IPV6_CLIENT_PREFIX = 64
MAX_FORWARDED_HOPS = 32
MAX_HOP_LENGTH = 64
WARN_EVERY_SECONDS = 10.0
#: the response headers this module sets (a browser app reads them only if CORS exposes them)
RATE_LIMIT_HEADERS = ("Retry-After", "RateLimit-Limit", "RateLimit-Remaining")

logger = logging.getLogger("tickex.http.rate_limit")


def by_client(_: Request[Any, Any, Any], client: str) -> str:
    """The default key: the client's address."""
    return client


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """``limit`` requests per ``window_seconds`` for each key.

    ``bucket``: the namespace of the keys (default: the policy's name in the table); two
    policies with one bucket share their counts. ``fail_open``: let requests through when
    the limiter's store is down (False: refuse them with 503).
    """

    limit: int
    window_seconds: int
    key: KeyFunction = by_client
    fail_open: bool = True
    bucket: str | None = None


#: The policies an application starts with, per client address. Login is also limited per
#: account by the ``log_in`` use case (5 attempts a minute, cleared by a success), and the
#: order lookup per email and per code by ``find_order``.
DEFAULT_POLICIES: Mapping[str, RatePolicy] = {
    "placeOrder": RatePolicy(limit=10, window_seconds=60),
    "findOrder": RatePolicy(limit=10, window_seconds=60),
    "login": RatePolicy(limit=20, window_seconds=60),
    "register": RatePolicy(limit=10, window_seconds=600),
    "refreshToken": RatePolicy(limit=60, window_seconds=60),
    "requestPasswordReset": RatePolicy(limit=10, window_seconds=600),
    "requestEmailVerification": RatePolicy(limit=10, window_seconds=600),
    "verifyEmail": RatePolicy(limit=30, window_seconds=600),
    "resetPassword": RatePolicy(limit=30, window_seconds=600),
    # the account pages' forms (account_pages.py) count with the operations they stand for
    "verifyEmailPage": RatePolicy(limit=30, window_seconds=600, bucket="verifyEmail"),
    "resetPasswordPage": RatePolicy(limit=30, window_seconds=600, bucket="resetPassword"),
    "startGoogleSignIn": RatePolicy(limit=20, window_seconds=60),
    "completeGoogleSignIn": RatePolicy(limit=20, window_seconds=60),
}


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``"10.0.0.0/8"``, ``"::1"``, ...; a bare address is a network of one. Raises
    ``ValueError`` naming the first entry that is not an address or a network."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR network: {cidr!r}") from None
    return tuple(networks)


@dataclass(frozen=True)
class RateLimits:
    """What the middleware enforces: a limiter, the policies and the trusted proxies."""

    limiter: RateLimiter
    policies: Mapping[str, RatePolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    trusted_proxies: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(
        cls,
        limiter: RateLimiter,
        policies: Mapping[str, RatePolicy] | None = None,
        trusted_proxies: Iterable[str] = (),
    ) -> RateLimits:
        return cls(
            limiter,
            dict(DEFAULT_POLICIES if policies is None else policies),
            parse_networks(trusted_proxies),
        )

    def policy_for(self, scope: Scope) -> tuple[str, RatePolicy] | None:
        """The policy of the matched route: by operation id, else by method and path."""
        handler = scope.get("route_handler")
        operation_id = getattr(handler, "operation_id", None)
        if isinstance(operation_id, str) and operation_id in self.policies:
            return operation_id, self.policies[operation_id]
        name = f"{scope.get('method', '')} {scope.get('path_template') or scope.get('path')}"
        policy = self.policies.get(name)
        return None if policy is None else (name, policy)

    def client_address(self, scope: Scope) -> str:
        return client_address(scope, self.trusted_proxies)


# -- the client's address -----------------------------------------------------------------
# Addresses are compared as packed bytes and integers (``socket.inet_pton``), not as
# ``ipaddress`` objects: a flash sale keys every order by a new address, and the objects cost
# a tenth of the event loop's time per order. ``ipaddress`` reads what ``inet_pton`` refuses
# (an IPv6 zone id) and the configuration (``parse_networks``).
_MAPPED_PREFIX = bytes(10) + b"\xff\xff"  # ::ffff:a.b.c.d
#: a trusted network as (packed length, network as an integer, netmask as an integer)
_CompiledNetwork = tuple[int, int, int]


def _hop_text(text: str) -> str | None:
    """The address in a peer or an ``X-Forwarded-For`` hop (``1.2.3.4``, ``1.2.3.4:80``,
    ``2001:db8::1``, ``[2001:db8::1]:443``), or None when it is empty or too long."""
    text = text.strip().strip('"')
    if not text or len(text) > MAX_HOP_LENGTH:
        return None
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else None
    if text.count(":") == 1:  # IPv4 with a port
        return text.split(":", 1)[0]
    return text


def parse_ip(text: str) -> bytes | None:
    """The address of a peer or a hop, packed: 4 bytes for IPv4 (an IPv4-mapped IPv6
    address included), 16 for IPv6; None when it is not an address."""
    address = _hop_text(text)
    if address is None:
        return None
    try:
        packed = socket.inet_pton(socket.AF_INET6 if ":" in address else socket.AF_INET, address)
    except (OSError, ValueError):  # not an address, non-ASCII, a NUL
        try:
            packed = ipaddress.ip_address(address).packed
        except ValueError:
            return None
    return packed[12:] if packed[:12] == _MAPPED_PREFIX else packed


def client_key(packed: bytes) -> str:
    """An IPv4 client by its address, an IPv6 one by its /64 (``2001:db8:1:2::/64``)."""
    if len(packed) == 4:
        return socket.inet_ntop(socket.AF_INET, packed)
    prefix = IPV6_CLIENT_PREFIX // 8
    return f"{socket.inet_ntop(socket.AF_INET6, packed[:prefix] + bytes(16 - prefix))}/64"


@cache
def _compiled(networks: tuple[IPNetwork, ...]) -> tuple[_CompiledNetwork, ...]:
    return tuple((len(n.network_address.packed), int(n.network_address), int(n.netmask))
                 for n in networks)  # fmt: skip


def _forwarded_for(scope: Scope) -> list[str]:
    headers = scope.get("headers", ())
    values = [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for"]
    hops = [hop for value in values for hop in value.split(",")]
    return hops[-MAX_FORWARDED_HOPS:]


def client_address(scope: Scope, trusted_proxies: tuple[IPNetwork, ...]) -> str:
    """The address to key a client by. The socket peer, unless it is a trusted proxy:
    then the ``X-Forwarded-For`` chain is walked from the right (the hop the proxy itself
    added) past every trusted hop; the first untrusted hop is the client. A malformed hop
    ends the walk at the last address known good."""
    peer = scope.get("client")
    host = str(peer[0]) if peer else ""
    address = parse_ip(host)
    if address is None:
        return host or "unknown"  # a Unix socket or a test client: never a trusted proxy
    networks = _compiled(trusted_proxies)

    def trusted(candidate: bytes) -> bool:
        size, value = len(candidate), int.from_bytes(candidate)
        return any(size == n_size and value & mask == net for n_size, net, mask in networks)

    if trusted(address):
        for hop in reversed(_forwarded_for(scope)):
            forwarded = parse_ip(hop)
            if forwarded is None:
                break
            address = forwarded
            if not trusted(forwarded):
                break
    return client_key(address)


# -- the middleware -----------------------------------------------------------------------
class RateLimitMiddleware(ASGIMiddleware):
    """Enforce ``limits`` on the routes their policies name (others pass untouched)."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, limits: RateLimits, metrics: HttpMetrics | None = None) -> None:
        self.limits = limits
        self.metrics = metrics
        self._warned_at = -WARN_EVERY_SECONDS

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        found = self.limits.policy_for(scope)
        if found is None:
            await next_app(scope, receive, send)
            return
        name, policy = found
        request: Request[Any, Any, Any] = Request(scope, receive)
        subject = policy.key(request, self.limits.client_address(scope))
        if subject is None:
            await next_app(scope, receive, send)
            return
        key = f"{policy.bucket or name}:{subject}"
        limiter = self.limits.limiter
        try:
            if limiter.blocking:  # a server: wait for it in a worker thread, not on the loop
                # (the loop's executor, as Litestar's sync handlers: anyio's hop costs more)
                decision = await asyncio.get_running_loop().run_in_executor(
                    None, limiter.hit, key, policy.limit, policy.window_seconds
                )
            else:
                decision = limiter.hit(key, policy.limit, policy.window_seconds)
        except RateLimiterUnavailable as exc:
            self._warn(name, exc)
            if self.metrics is not None:
                outcome = "allowed" if policy.fail_open else "refused"
                self.metrics.rate_limiter_unavailable.labels(name, outcome).inc()
            if policy.fail_open:
                await next_app(scope, receive, send)
                return
            response = problem(
                request,
                "rate_limit_unavailable",
                "the rate limiter cannot be reached; try again shortly",
                status=503,
                headers={"Retry-After": "1"},
            )
            await response.to_asgi_response(None, request)(scope, receive, send)
            return
        if not decision.allowed:
            response = problem(
                request,
                "rate_limited",
                f"too many requests: at most {decision.limit} every "
                f"{policy.window_seconds} seconds; retry after "
                f"{decision.retry_after_seconds} seconds",
                status=429,
                headers={
                    "Retry-After": str(decision.retry_after_seconds),
                    **rate_limit_headers(decision),
                },
            )
            await response.to_asgi_response(None, request)(scope, receive, send)
            return
        await next_app(scope, receive, _with_headers(send, rate_limit_headers(decision)))

    def _warn(self, policy: str, exc: RateLimiterUnavailable) -> None:
        now = time.monotonic()
        if now - self._warned_at < WARN_EVERY_SECONDS:
            return
        self._warned_at = now
        logger.warning(
            "rate limiter unavailable",
            extra={"fields": {"policy": policy, "error": str(exc)[:200]}},
        )


def rate_limit_headers(decision: RateLimitDecision) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
    }


def _with_headers(send: Send, headers: Mapping[str, str]) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            mutable = MutableScopeHeaders.from_message(message)
            for name, value in headers.items():
                mutable[name] = value
        await send(message)

    return send_with_headers
