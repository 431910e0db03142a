"""The rate-limiter contract on both adapters, plus what only the memory one can show.

- ``TestInMemoryRateLimiter``: the reference, on a fixed clock.
- ``TestRedisRateLimiter``: the same contract against the Redis on 127.0.0.1
  (``TICKEX_TEST_REDIS_URL``), in real time (the script reads the server's clock), each
  test under a key prefix of its own that is deleted afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.redis.support import redis_limiter
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.rate_limit import SWEEP_EVERY, InMemoryRateLimiter
from tickex.adapters.redis import RedisRateLimiter
from tickex.testing.rate_limit_contract import Advance, Now, RateLimiterContract


class TestInMemoryRateLimiter(RateLimiterContract):
    @pytest.fixture
    def clock(self) -> FixedClock:
        return FixedClock()

    @pytest.fixture
    def limiter(self, clock: FixedClock) -> InMemoryRateLimiter:
        return InMemoryRateLimiter(clock)

    @pytest.fixture
    def now(self, clock: FixedClock) -> Now:
        return clock.now

    @pytest.fixture
    def advance(self, clock: FixedClock) -> Advance:
        def advance(seconds: float) -> None:
            clock.advance(timedelta(seconds=seconds))

        return advance

    def test_idle_keys_are_swept(self, limiter: InMemoryRateLimiter, clock: FixedClock) -> None:
        for n in range(SWEEP_EVERY - 1):
            limiter.hit(f"client-{n}", 5, 60)
        assert limiter.key_count() == SWEEP_EVERY - 1
        clock.advance(timedelta(seconds=61))
        limiter.hit("after", 5, 60)  # the SWEEP_EVERY-th hit sweeps
        assert limiter.key_count() == 1

    def test_the_system_clock_is_the_default(self) -> None:
        decision = InMemoryRateLimiter().hit("k", 1, 60)
        expected = datetime.now(UTC) + timedelta(seconds=60)
        assert abs(decision.reset_at - expected) < timedelta(seconds=2)


class TestRedisRateLimiter(RateLimiterContract):
    time_tolerance_seconds = 1.0  # the server is local: its clock is ours

    @pytest.fixture
    def limiter(self) -> Iterator[RedisRateLimiter]:
        with redis_limiter() as limiter:
            yield limiter

    @pytest.fixture
    def now(self) -> Now:
        return lambda: datetime.now(UTC)

    @pytest.fixture
    def advance(self) -> Advance:
        return time.sleep
