"""A login endpoint that always fails, rate limited, for the multi-worker HTTP proof.

Built from the environment by granian (``--factory``) in each worker process:

- ``RL_TEST_LIMITER=tickex``: TickEx's ``RateLimitMiddleware`` on a ``RedisRateLimiter``;
- ``RL_TEST_LIMITER=litestar``: Litestar's built-in ``RateLimitMiddleware`` on a Redis
  store (the negative control: it reads, decides and writes back from each process).

``RL_TEST_REDIS_URL`` and ``RL_TEST_PREFIX`` name the server and the key prefix. Every
response says which process answered (``X-Worker-Pid``).
"""

from __future__ import annotations

import os
from typing import Any

from litestar import Litestar, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.stores.redis import RedisStore
from litestar.types import Message, Scope

from tickex.adapters.redis import RedisRateLimiter
from tickex.entrypoints.http.observability import (
    HttpMetrics,
    RequestClockMiddleware,
    response_hook,
)
from tickex.entrypoints.http.problems import exception_handlers
from tickex.entrypoints.http.rate_limit import RateLimitMiddleware, RateLimits, RatePolicy

LIMIT = 5


@post("/v1/auth/login", operation_id="login")
async def login() -> None:
    raise NotAuthorizedException("wrong email or password")


@get("/healthz", operation_id="health")
async def health() -> dict[str, int]:
    return {"pid": os.getpid()}


async def worker_pid(message: Message, scope: Scope) -> None:
    if message["type"] == "http.response.start":
        headers = list(message.get("headers", []))
        headers.append((b"x-worker-pid", str(os.getpid()).encode()))
        message["headers"] = headers


def create() -> Litestar:
    kind = os.environ["RL_TEST_LIMITER"]
    url = os.environ["RL_TEST_REDIS_URL"]
    prefix = os.environ["RL_TEST_PREFIX"]
    middleware: list[Any] = [RequestClockMiddleware()]
    stores: dict[str, Any] = {}
    if kind == "tickex":
        limits = RateLimits.build(
            RedisRateLimiter(url, prefix=prefix),
            {"login": RatePolicy(limit=LIMIT, window_seconds=60)},
        )
        middleware.append(RateLimitMiddleware(limits))
    else:
        stores["rate_limit"] = RedisStore.with_client(url, namespace=prefix.rstrip(":"))
        config = RateLimitConfig(rate_limit=("minute", LIMIT), exclude=["/healthz"])
        middleware.append(config.middleware)
    return Litestar(
        route_handlers=[login, health],
        exception_handlers=exception_handlers(),
        middleware=middleware,
        stores=stores,
        before_send=[response_hook(HttpMetrics(lambda: (0, 0))), worker_pid],
        logging_config=None,
    )
