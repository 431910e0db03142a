"""Brute force over HTTP, the way production runs: granian with 2 worker processes and
real Redis. 40 failed logins fired at once from one address, with a limit of 5: exactly
5 are answered (401) and 35 are refused (429), and both workers took part.

The negative control runs the same harness on Litestar's built-in rate-limit middleware
with a Redis store (the measurement in issue 6): it must let more than 5 through in some
round, or the harness proves nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.integration.redis.http_app import LIMIT
from tests.integration.redis.support import REDIS_URL, delete_prefix, new_prefix, require_redis

WORKERS = 2
REQUESTS = 40
ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(limiter: str, prefix: str) -> Iterator[str]:
    pytest.importorskip("granian")
    port = _free_port()
    env = {
        **os.environ,
        "RL_TEST_LIMITER": limiter,
        "RL_TEST_REDIS_URL": REDIS_URL,
        "RL_TEST_PREFIX": prefix,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
         "--workers", str(WORKERS), "--host", "127.0.0.1", "--port", str(port), "--no-log",
         "tests.integration.redis.http_app:create"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the server did not start"
            try:
                httpx.get(f"{base}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def burst(base: str) -> tuple[Counter[int], set[str]]:
    """REQUESTS failed logins, each on a connection of its own, released together."""
    barrier = threading.Barrier(REQUESTS)

    def attempt(_: int) -> tuple[int, str]:
        with httpx.Client(base_url=base, timeout=10) as client:
            client.get("/healthz")  # connect first, so the logins race
            barrier.wait(timeout=30)
            response = client.post("/v1/auth/login", json={"email": "ana@example.com"})
            return response.status_code, response.headers["x-worker-pid"]

    with ThreadPoolExecutor(REQUESTS) as pool:
        results = list(pool.map(attempt, range(REQUESTS)))
    return Counter(status for status, _ in results), {pid for _, pid in results}


@pytest.fixture(autouse=True)
def _redis() -> None:
    require_redis()


@pytest.mark.slow
@pytest.mark.requires_redis
def test_the_sixth_failed_login_gets_429_across_two_worker_processes() -> None:
    prefix = new_prefix()
    pids: set[str] = set()
    try:
        with server("tickex", prefix) as base:
            for _ in range(3):
                statuses, answered_by = burst(base)
                assert statuses == Counter({401: LIMIT, 429: REQUESTS - LIMIT})
                pids |= answered_by
                delete_prefix(prefix)  # a new window for the next round
    finally:
        delete_prefix(prefix)
    assert len(pids) == WORKERS, f"one process answered everything: {pids}"


@pytest.mark.slow
@pytest.mark.requires_redis
def test_negative_control_litestars_built_in_middleware_lets_more_through() -> None:
    prefix = new_prefix()
    rounds: list[Counter[int]] = []
    try:
        with server("litestar", prefix) as base:
            for _ in range(10):
                statuses, _ = burst(base)
                rounds.append(statuses)
                delete_prefix(prefix)
                if statuses[401] > LIMIT:
                    break
    finally:
        delete_prefix(prefix)
    assert max(r[401] for r in rounds) > LIMIT, f"the harness never raced: {rounds}"
