"""RateLimiter: how many times a key may act within a window, decided atomically.

The algorithm is a sliding-window log (docs/adr/0005-rate-limiting.md): a hit is allowed
when fewer than ``limit`` hits were allowed for the key in the last ``window_seconds``.
Unlike a fixed window it never lets ``2 * limit`` through across a window edge, and unlike
a token bucket (GCRA) it never lets more than ``limit`` through in any window.

``hit`` is one atomic operation in its store: the check and the record cannot be separated,
however many threads or worker processes share the store. Never read-then-write.
"""

from __future__ import annotations

import hashlib
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_LIMIT = 10_000  # the log keeps one entry per allowed hit: keep it small
MAX_WINDOW_SECONDS = 7 * 24 * 3600
KEY_PREFIX = "tickex:rl:"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    """The answer to one hit.

    ``remaining``: hits still allowed in the window after this one. ``reset_at``: when the
    oldest hit counted in the window leaves it, i.e. the earliest moment ``remaining`` can
    grow (for a refused hit: when to try again). ``retry_after_seconds``: 0 when allowed,
    else whole seconds until ``reset_at``, rounded up and never below 1 (for the
    ``Retry-After`` header).
    """

    allowed: bool
    limit: int
    remaining: int
    retry_after_seconds: int
    reset_at: datetime


class RateLimiterUnavailable(Exception):
    """The store cannot be reached. The caller decides whether to fail open or closed."""


class RateLimiter(ABC):
    #: whether ``hit`` waits on I/O (a server): the HTTP layer then calls it in a worker
    #: thread; a limiter in this process's memory is called in place
    blocking: bool = True

    @abstractmethod
    def hit(self, key: str, limit: int, window_seconds: int) -> RateLimitDecision:
        """Count one hit for ``key`` if fewer than ``limit`` were counted in the last
        ``window_seconds`` (refused hits are not counted). Atomic. Raises ``ValueError``
        for a limit or window out of bounds and ``RateLimiterUnavailable`` when the store
        cannot be reached."""

    @abstractmethod
    def reset(self, key: str) -> None:
        """Forget every hit of ``key`` (e.g. after a successful login)."""

    def ping(self) -> bool:
        """Readiness: can the store be reached?"""
        return True

    def close(self) -> None:
        return None


def check_bounds(limit: int, window_seconds: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if not 1 <= window_seconds <= MAX_WINDOW_SECONDS:
        raise ValueError(
            f"window_seconds must be between 1 and {MAX_WINDOW_SECONDS}, not {window_seconds}"
        )


def storage_key(key: str, prefix: str = KEY_PREFIX) -> str:
    """The key as stored: namespaced and hashed, so that user input (an email, a header)
    never reaches the store raw and every stored key has the same bounded length."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
    return prefix + digest


def seconds_until(moment_us: int, now_us: int) -> int:
    """Whole seconds from ``now_us`` to ``moment_us`` (microseconds), rounded up, >= 1."""
    return max(1, math.ceil((moment_us - now_us) / 1_000_000))


def to_microseconds(moment: datetime) -> int:
    """Microseconds since the Unix epoch (exact: no float on the way)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_microseconds(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)
