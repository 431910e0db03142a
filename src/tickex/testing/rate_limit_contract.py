"""The contract of a :class:`~tickex.ports.rate_limit.RateLimiter`.

Subclass it (name the subclass ``Test...``) and provide three fixtures::

    class TestMyRateLimiter(RateLimiterContract):
        time_tolerance_seconds = 1.0  # the store's clock vs. now() below

        @pytest.fixture
        def limiter(self):
            limiter = MyRateLimiter(...)   # fresh: no key has any hit
            yield limiter
            limiter.close()

        @pytest.fixture
        def now(self):
            return lambda: datetime.now(UTC)   # the time the limiter sees, roughly

        @pytest.fixture
        def advance(self):
            return time.sleep                  # let that time pass by so many seconds

A limiter with an injectable clock passes a fixed clock and its ``advance``
(``time_tolerance_seconds = 0``); one that reads a server's clock sleeps. The windows
used here are one or two seconds long where time has to pass, so a sleeping run stays
short.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ClassVar

import pytest

from tickex.ports.rate_limit import MAX_LIMIT, RateLimitDecision, RateLimiter
from tickex.testing.provided import provided

Now = Callable[[], datetime]
Advance = Callable[[float], None]


class RateLimiterContract:
    #: how far ``reset_at`` may be from what ``now()`` predicts (a server's clock, the
    #: time a call takes); 0 for a limiter driven by a fixed clock
    time_tolerance_seconds: ClassVar[float] = 0.0

    limiter = provided("limiter", ": the RateLimiter under test")
    now = provided("now", ": what the limiter's clock reads")
    advance = provided("advance", ": moves the limiter's clock on, in seconds")

    # -- the limit ------------------------------------------------------------------------
    def test_the_limit_is_honoured_exactly(self, limiter: RateLimiter) -> None:
        decisions = [limiter.hit("login:ana", 3, 60) for _ in range(5)]
        assert [d.allowed for d in decisions] == [True, True, True, False, False]
        assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
        assert all(d.limit == 3 for d in decisions)

    def test_a_limit_of_one_allows_one_hit(self, limiter: RateLimiter) -> None:
        assert limiter.hit("k", 1, 60).allowed
        assert not limiter.hit("k", 1, 60).allowed

    def test_remaining_retry_after_and_reset_at(self, limiter: RateLimiter, now: Now) -> None:
        before = now()
        first = limiter.hit("k", 3, 60)
        rest = [limiter.hit("k", 3, 60) for _ in range(3)]
        tolerance = timedelta(seconds=self.time_tolerance_seconds)
        # reset_at: when the oldest counted hit (the first) leaves the window
        assert abs(first.reset_at - (before + timedelta(seconds=60))) <= tolerance
        assert all(d.reset_at == first.reset_at for d in rest)
        assert first.retry_after_seconds == 0 and rest[1].retry_after_seconds == 0
        refused = rest[2]
        assert not refused.allowed
        expected = math.ceil((first.reset_at - now()).total_seconds())
        assert abs(refused.retry_after_seconds - expected) <= math.ceil(tolerance.total_seconds())
        assert 59 <= refused.retry_after_seconds <= 60
        assert refused.reset_at.utcoffset() == timedelta(0)

    def test_refused_hits_are_not_counted(self, limiter: RateLimiter, advance: Advance) -> None:
        assert limiter.hit("k", 1, 1).allowed
        for _ in range(5):
            assert not limiter.hit("k", 1, 1).allowed
        advance(1.05)
        assert limiter.hit("k", 1, 1).allowed  # the refusals did not extend the window

    # -- the window -----------------------------------------------------------------------
    def test_the_window_resets(self, limiter: RateLimiter, advance: Advance) -> None:
        assert [limiter.hit("k", 2, 1).allowed for _ in range(3)] == [True, True, False]
        advance(1.05)
        again = limiter.hit("k", 2, 1)
        assert again.allowed
        assert again.remaining == 1

    def test_the_window_slides(self, limiter: RateLimiter, advance: Advance) -> None:
        """A hit counts for exactly one window after it, wherever window edges fall: a
        fixed window would allow two more hits right after a boundary."""
        assert limiter.hit("k", 2, 2).allowed  # t = 0
        advance(1.0)
        assert limiter.hit("k", 2, 2).allowed  # t = 1
        refused = limiter.hit("k", 2, 2)
        assert not refused.allowed
        assert refused.retry_after_seconds == 1
        advance(1.05)  # t = 2.05: the first hit has left the window, the second has not
        third = limiter.hit("k", 2, 2)
        assert third.allowed
        assert third.remaining == 0
        again = limiter.hit("k", 2, 2)
        assert not again.allowed
        assert again.retry_after_seconds == 1  # when the t = 1 hit leaves: t = 3

    # -- keys -----------------------------------------------------------------------------
    def test_keys_are_independent(self, limiter: RateLimiter) -> None:
        assert limiter.hit("ip:10.0.0.1", 1, 60).allowed
        assert not limiter.hit("ip:10.0.0.1", 1, 60).allowed
        for other in ("ip:10.0.0.2", "ip:10.0.0.1 ", "IP:10.0.0.1", "ip:10.0.0.1\n", ""):
            assert limiter.hit(other, 1, 60).allowed, repr(other)

    def test_any_text_is_a_key(self, limiter: RateLimiter) -> None:
        for key in ("a key with spaces\r\n", "émoji 🎟️", "x" * 10_000, "\x00", "*", "a:b:c"):
            assert limiter.hit(key, 1, 60).allowed, repr(key[:20])
            assert not limiter.hit(key, 1, 60).allowed, repr(key[:20])

    def test_reset_forgets_the_hits_of_one_key(self, limiter: RateLimiter) -> None:
        for key in ("a", "b"):
            assert limiter.hit(key, 1, 60).allowed
        limiter.reset("a")
        after = limiter.hit("a", 1, 60)
        assert after.allowed and after.remaining == 0
        assert not limiter.hit("b", 1, 60).allowed
        limiter.reset("never-seen")  # a no-op

    def test_lowering_the_limit_counts_the_hits_already_made(self, limiter: RateLimiter) -> None:
        for _ in range(4):
            assert limiter.hit("k", 10, 60).allowed
        assert not limiter.hit("k", 3, 60).allowed

    def test_limits_and_windows_out_of_bounds_are_refused(self, limiter: RateLimiter) -> None:
        for limit, window in ((0, 60), (-1, 60), (MAX_LIMIT + 1, 60), (5, 0), (5, -3)):
            with pytest.raises(ValueError):
                limiter.hit("k", limit, window)

    # -- concurrency ----------------------------------------------------------------------
    def test_concurrent_hits_on_one_key_allow_exactly_the_limit(self, limiter: RateLimiter) -> None:
        threads, hits_each, limit = 12, 10, 25
        barrier = threading.Barrier(threads)
        decisions: list[RateLimitDecision] = []
        lock = threading.Lock()
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                barrier.wait(timeout=10)
                mine = [limiter.hit("hot", limit, 60) for _ in range(hits_each)]
            except BaseException as exc:  # surfaced below
                errors.append(exc)
                return
            with lock:
                decisions.extend(mine)

        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=30)
        assert not errors, errors
        assert len(decisions) == threads * hits_each
        allowed = [d for d in decisions if d.allowed]
        assert len(allowed) == limit
        # every remaining count from limit - 1 down to 0 was handed out exactly once
        assert sorted(d.remaining for d in allowed) == list(range(limit))
