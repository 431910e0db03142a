"""Deterministic clock, ids and secrets for tests, demos and property suites."""

from __future__ import annotations

import hashlib
import itertools
import threading
from datetime import UTC, datetime, timedelta

from tickex.adapters.system import ORDER_CODE_ALPHABET
from tickex.ports.clock import Clock, IdGenerator, SecretGenerator


class FixedClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime(2030, 1, 1, 12, 0, tzinfo=UTC)).astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(UTC)


class SequentialIdGenerator(IdGenerator):
    """``prefix-000001``, ``prefix-000002``, ... (zero-padded so they sort in order)."""

    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        with self._lock:
            return f"{self._prefix}-{next(self._counter):06d}"


class SeededSecretGenerator(SecretGenerator):
    """Reproducible secrets from a seed (never use in production)."""

    def __init__(self, seed: str = "tickex") -> None:
        self._seed = seed
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def _digest(self, purpose: str) -> bytes:
        with self._lock:
            n = next(self._counter)
        return hashlib.sha256(f"{self._seed}:{purpose}:{n}".encode()).digest()

    def order_code(self) -> str:
        digest = self._digest("order")
        return "".join(ORDER_CODE_ALPHABET[b % len(ORDER_CODE_ALPHABET)] for b in digest[:8])

    def ticket_secret(self) -> str:
        return self._digest("ticket").hex()[:32]
