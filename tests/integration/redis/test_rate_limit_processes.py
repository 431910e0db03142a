"""The proof issue 6 asks for: the Redis limiter holds across worker processes.

Two processes (spawned, each with its own limiter and connection) wait at a barrier, then
fire 20 hits each at one key with a limit of 5, round after round. With
``RedisRateLimiter`` every round lets exactly 5 through. The negative control runs the
same harness on a limiter that reads the count, decides in Python and writes it back
(what Litestar's built-in middleware does with a shared store): it must let more than 5
through in some round, or the harness proves nothing.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier

import pytest
import redis

from tests.integration.redis.support import REDIS_URL, delete_prefix, new_prefix, require_redis
from tickex.adapters.redis import RedisRateLimiter
from tickex.ports.rate_limit import RateLimitDecision, RateLimiter, storage_key

PROCESSES = 2
HITS_PER_PROCESS = 20
LIMIT = 5
WINDOW = 60
ATOMIC_ROUNDS = 10
CONTROL_ROUNDS = 30  # the control must show an over-admission within this many rounds


class ReadThenWriteRateLimiter(RateLimiter):
    """Deliberately wrong (test only): GET the count, compare in Python, SET count + 1."""

    def __init__(self, url: str, prefix: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._prefix = prefix

    def hit(self, key: str, limit: int, window_seconds: int) -> RateLimitDecision:
        stored = storage_key(key, self._prefix)
        raw = self._client.get(stored)
        count = int(raw) if isinstance(raw, bytes | str | int) else 0
        reset_at = datetime.now(UTC) + timedelta(seconds=window_seconds)
        if count >= limit:
            return RateLimitDecision(False, limit, 0, window_seconds, reset_at)
        self._client.set(stored, count + 1, ex=window_seconds)
        return RateLimitDecision(True, limit, limit - count - 1, 0, reset_at)

    def reset(self, key: str) -> None:
        self._client.delete(storage_key(key, self._prefix))

    def close(self) -> None:
        self._client.close()


def fire(
    kind: str,
    prefix: str,
    rounds: int,
    barrier: Barrier,
    results: multiprocessing.Queue[tuple[int, int]],
) -> None:
    """One worker process: for each round, wait for the other, then hit the round's key."""
    limiter: RateLimiter = (
        RedisRateLimiter(REDIS_URL, prefix=prefix)
        if kind == "atomic"
        else ReadThenWriteRateLimiter(REDIS_URL, prefix)
    )
    limiter.hit("warm-up", LIMIT, WINDOW)  # connect (and load the script) before racing
    try:
        for round_no in range(rounds):
            barrier.wait(timeout=60)
            allowed = sum(
                limiter.hit(f"race:{round_no}", LIMIT, WINDOW).allowed
                for _ in range(HITS_PER_PROCESS)
            )
            results.put((round_no, allowed))
    finally:
        limiter.close()


def race(kind: str, rounds: int) -> list[int]:
    """Allowed hits per round, summed over the processes."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results: multiprocessing.Queue[tuple[int, int]] = context.Queue()
    prefix = new_prefix()
    workers = [
        context.Process(target=fire, args=(kind, prefix, rounds, barrier, results))
        for _ in range(PROCESSES)
    ]
    try:
        for worker in workers:
            worker.start()
        totals = [0] * rounds
        for _ in range(rounds * PROCESSES):
            round_no, allowed = results.get(timeout=120)
            totals[round_no] += allowed
        for worker in workers:
            worker.join(timeout=30)
            assert worker.exitcode == 0
        return totals
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        delete_prefix(prefix)


@pytest.fixture(autouse=True)
def _redis() -> None:
    require_redis()


@pytest.mark.slow
@pytest.mark.requires_redis
def test_two_processes_get_exactly_the_limit_between_them() -> None:
    totals = race("atomic", ATOMIC_ROUNDS)
    assert totals == [LIMIT] * ATOMIC_ROUNDS


@pytest.mark.slow
@pytest.mark.requires_redis
def test_negative_control_a_read_then_write_limiter_lets_more_through() -> None:
    totals = race("read-then-write", CONTROL_ROUNDS)
    assert max(totals) > LIMIT, (
        f"the harness never raced in {CONTROL_ROUNDS} rounds ({totals}): it proves nothing"
    )
    assert min(totals) >= LIMIT  # it does not lose admissions, it adds them
