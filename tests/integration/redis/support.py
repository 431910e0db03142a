"""Test support for the Redis adapters: availability and isolated key prefixes.

Every limiter built here gets a key prefix of its own (``tickex:rl:test:<random>:``), so
parallel runs on one server never share a key; its keys are deleted at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import redis

from tests.conftest import require_service
from tickex.adapters.redis import RedisRateLimiter

REDIS_URL = os.environ.get("TICKEX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@cache
def redis_problem() -> str | None:
    """None when Redis answers, else why not (asked once per process)."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"{REDIS_URL}: {type(exc).__name__}: {exc}"
    finally:
        client.close()
    return None


def require_redis() -> None:
    problem = redis_problem()
    require_service("Redis", problem is None, problem or "")


def new_prefix() -> str:
    return f"tickex:rl:test:{uuid.uuid4().hex[:12]}:"


def delete_prefix(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextmanager
def redis_limiter(prefix: str | None = None) -> Iterator[RedisRateLimiter]:
    """A RedisRateLimiter on the test server under a fresh prefix, cleaned up afterwards
    (skips, or fails under TICKEX_REQUIRE_SERVICES=1, without a server)."""
    require_redis()
    prefix = prefix or new_prefix()
    limiter = RedisRateLimiter(REDIS_URL, prefix=prefix)
    try:
        yield limiter
    finally:
        limiter.close()
        delete_prefix(prefix)
