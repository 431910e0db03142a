"""In-memory rate limiter: the embedded default and the reference of the contract.

A sliding-window log per key (the times of the hits it allowed, oldest first), guarded
by one lock, so ``hit`` is atomic across the threads of one process. It does not hold
across processes: with several workers, use ``RedisRateLimiter``.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from tickex.adapters.system import SystemClock
from tickex.ports.clock import Clock
from tickex.ports.rate_limit import (
    RateLimitDecision,
    RateLimiter,
    check_bounds,
    from_microseconds,
    seconds_until,
    storage_key,
    to_microseconds,
)

SWEEP_EVERY = 1024  # hits between sweeps of keys whose every hit has left its window


@dataclass(slots=True)
class _Log:
    hits: deque[int] = field(default_factory=deque)  # microseconds, oldest first
    expires_us: int = 0  # when the newest hit leaves its window


class InMemoryRateLimiter(RateLimiter):
    blocking = False  # a dictionary under a lock: no I/O to wait for

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._logs: dict[str, _Log] = {}
        self._lock = threading.Lock()
        self._since_sweep = 0

    def hit(self, key: str, limit: int, window_seconds: int) -> RateLimitDecision:
        check_bounds(limit, window_seconds)
        window_us = window_seconds * 1_000_000
        stored = storage_key(key)
        with self._lock:
            now = to_microseconds(self._clock.now())
            self._maybe_sweep(now)
            log = self._logs.setdefault(stored, _Log())
            hits = log.hits
            while len(hits) > limit:  # the limit was lowered: only the newest count
                hits.popleft()
            while hits and hits[0] <= now - window_us:
                hits.popleft()
            if len(hits) >= limit:
                reset_us = hits[0] + window_us
                return RateLimitDecision(
                    allowed=False,
                    limit=limit,
                    remaining=0,
                    retry_after_seconds=seconds_until(reset_us, now),
                    reset_at=from_microseconds(reset_us),
                )
            stamp = max(now, hits[-1]) if hits else now  # a clock set back keeps the order
            hits.append(stamp)
            log.expires_us = stamp + window_us
            return RateLimitDecision(
                allowed=True,
                limit=limit,
                remaining=limit - len(hits),
                retry_after_seconds=0,
                reset_at=from_microseconds(hits[0] + window_us),
            )

    def reset(self, key: str) -> None:
        with self._lock:
            self._logs.pop(storage_key(key), None)

    def key_count(self) -> int:
        """How many keys are kept (memory stays bounded by the sweep)."""
        with self._lock:
            return len(self._logs)

    def _maybe_sweep(self, now: int) -> None:
        self._since_sweep += 1
        if self._since_sweep < SWEEP_EVERY:
            return
        self._since_sweep = 0
        for stored in [k for k, log in self._logs.items() if log.expires_us <= now]:
            del self._logs[stored]
