"""What the contract cannot see of the Redis limiter: the keys it stores, the server's
clock, the script cache, and a server that does not answer."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis

from tests.integration.redis.support import REDIS_URL, new_prefix, redis_limiter
from tickex.adapters.redis import RedisRateLimiter
from tickex.ports.rate_limit import RateLimiterUnavailable, from_microseconds

DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS_URL)
    yield connection
    connection.close()


def stored_keys(client: redis.Redis, prefix: str) -> list[str]:
    return sorted(key.decode() for key in client.scan_iter(match=prefix + "*"))


def test_keys_are_namespaced_hashed_and_bounded(client: redis.Redis) -> None:
    prefix = new_prefix()
    with redis_limiter(prefix) as limiter:
        raw = "login:ana@example.com\r\n" + "x" * 5000
        limiter.hit(raw, 3, 60)
        limiter.hit("placeOrder:203.0.113.7", 3, 60)
        keys = stored_keys(client, prefix)
        assert len(keys) == 2
        for key in keys:
            assert re.fullmatch(re.escape(prefix) + "[0-9a-f]{40}", key), key
        assert prefix.startswith("tickex:rl:")


def test_the_log_is_bounded_by_the_limit_and_expires_with_its_window(
    client: redis.Redis,
) -> None:
    prefix = new_prefix()
    with redis_limiter(prefix) as limiter:
        for _ in range(50):
            limiter.hit("k", 5, 30)
        (key,) = stored_keys(client, prefix)
        assert client.llen(key) == 5
        ttl_ms = client.pttl(key)
        assert isinstance(ttl_ms, int)
        assert 28_000 < ttl_ms <= 30_000
        limiter.reset("k")
        assert stored_keys(client, prefix) == []


def test_the_window_is_measured_by_the_server_clock(client: redis.Redis) -> None:
    with redis_limiter() as limiter:
        seconds, micros = client.time()
        server_now = from_microseconds(int(seconds) * 1_000_000 + int(micros))
        decision = limiter.hit("k", 1, 60)
        started = decision.reset_at - timedelta(seconds=60)
        assert timedelta(0) <= started - server_now < timedelta(seconds=1)


def test_a_script_missing_from_the_server_cache_is_loaded_again() -> None:
    """EVALSHA answers NOSCRIPT after a restart or SCRIPT FLUSH; the limiter loads the
    script again and goes on (simulated with a digest the server has never seen, so the
    shared server's script cache is left alone)."""
    with redis_limiter() as limiter:
        script = limiter._script
        script.sha = "0" * 40
        assert limiter.hit("k", 1, 60).allowed
        assert not limiter.hit("k", 1, 60).allowed
        assert script.sha != "0" * 40


def test_a_client_passed_in_is_used_and_left_open(client: redis.Redis) -> None:
    prefix = new_prefix()
    with redis_limiter(prefix):  # only to require the server and clean the prefix up
        limiter = RedisRateLimiter(client, prefix=prefix)
        assert limiter.hit("k", 1, 60).allowed
        assert limiter.ping()
        limiter.close()
        assert client.ping()  # still usable: the limiter did not own it


def test_a_server_that_does_not_answer_is_unavailable_quickly() -> None:
    limiter = RedisRateLimiter(DOWN, timeout=0.2)
    started = time.perf_counter()
    with pytest.raises(RateLimiterUnavailable, match="ConnectionError"):
        limiter.hit("k", 1, 60)
    with pytest.raises(RateLimiterUnavailable):
        limiter.reset("k")
    assert not limiter.ping()
    assert time.perf_counter() - started < 2
    limiter.close()


def test_bounds_are_checked_before_the_server_is_asked() -> None:
    limiter = RedisRateLimiter(DOWN, timeout=0.2)
    with pytest.raises(ValueError, match="limit"):
        limiter.hit("k", 0, 60)
