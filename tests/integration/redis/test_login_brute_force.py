"""The real application served by `tickex serve --workers 2` with real Redis and a SQLite
database. Issue 6's brute-force proof: 12 wrong passwords for one account fired at once
get exactly 5 answers (401 invalid_credentials) and 7 refusals (429 with Retry-After),
and the right password is refused too until the window passes. And a session started on
one worker is honoured by the other (the workers share their signing keys)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.integration.redis.support import REDIS_URL, require_redis

ATTEMPTS = 12
PASSWORD = "correct horse battery staple"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "the server did not start"
        try:
            httpx.get(f"{base}/healthz", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.requires_redis
def test_the_sixth_wrong_password_gets_429_with_two_workers(tmp_path: Path) -> None:
    pytest.importorskip("granian")
    require_redis()
    port = _free_port()
    env = {
        **os.environ,
        "TICKEX_ENVIRONMENT": "development",
        "TICKEX_DATABASE_URL": f"sqlite:///{tmp_path}/tickex.db",
        "TICKEX_REDIS_URL": REDIS_URL,
        "TICKEX_ACCESS_TOKEN_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
        "TICKEX_WORKER_INTERVAL": "0",
        # each run is its own client (a documentation address, only ever a header value),
        # so the per-address limits of earlier runs in the same minute do not interfere
        "TICKEX_TRUSTED_PROXIES": "127.0.0.1",
    }
    net = uuid.uuid4().hex  # a random /64 of the documentation prefix 2001:db8::/32
    client_ip = {"X-Forwarded-For": f"2001:db8:{net[:4]}:{net[4:8]}::1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tickex.entrypoints.cli", "serve", "--workers", "2",
         "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    email = f"brute-{uuid.uuid4().hex[:10]}@example.com"
    try:
        _wait_until_up(base, process)
        registered = httpx.post(
            f"{base}/v1/auth/register",
            timeout=10,
            headers=client_ip,
            json={"email": email, "password": PASSWORD, "name": "Ana"},
        )
        assert registered.status_code == 201, registered.text
        barrier = threading.Barrier(ATTEMPTS)

        def wrong(_: int) -> tuple[int, str, str | None]:
            with httpx.Client(base_url=base, timeout=20, headers=client_ip) as client:
                client.get("/healthz")  # connect first, so the attempts race
                barrier.wait(timeout=30)
                r = client.post("/v1/auth/login", json={"email": email, "password": "nope-nope"})
                return r.status_code, r.json().get("code", ""), r.headers.get("retry-after")

        with ThreadPoolExecutor(ATTEMPTS) as pool:
            results = list(pool.map(wrong, range(ATTEMPTS)))
        assert Counter((s, c) for s, c, _ in results) == Counter(
            {(401, "invalid_credentials"): 5, (429, "rate_limited"): ATTEMPTS - 5}
        ), results
        assert all(int(after) > 0 for s, _, after in results if s == 429 and after)
        right = httpx.post(
            f"{base}/v1/auth/login",
            timeout=10,
            headers=client_ip,
            json={"email": email, "password": PASSWORD},
        )
        assert right.status_code == 429
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.mark.slow
@pytest.mark.requires_redis
def test_a_token_from_one_worker_is_accepted_by_the_other(tmp_path: Path) -> None:
    pytest.importorskip("granian")
    require_redis()
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("TICKEX_ACCESS_TOKEN_KEY", "TICKEX_SIGNING_KEY")}  # fmt: skip
    env.update({
        "TICKEX_ENVIRONMENT": "development",
        "TICKEX_DATABASE_URL": f"sqlite:///{tmp_path}/tickex.db",
        "TICKEX_REDIS_URL": REDIS_URL,
        "TICKEX_WORKER_INTERVAL": "0",
        "TICKEX_TRUSTED_PROXIES": "127.0.0.1",
    })  # fmt: skip
    net = uuid.uuid4().hex  # a client of its own (see the test above)
    client_ip = {"X-Forwarded-For": f"2001:db8:{net[:4]}:{net[4:8]}::1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tickex.entrypoints.cli", "serve", "--workers", "2",
         "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    email = f"tabs-{uuid.uuid4().hex[:10]}@example.com"
    try:
        _wait_until_up(base, process)
        credentials = {"email": email, "password": PASSWORD}
        httpx.post(f"{base}/v1/auth/register", timeout=10, headers=client_ip,
                   json={**credentials, "name": "Ana"}).raise_for_status()  # fmt: skip
        login = httpx.post(f"{base}/v1/auth/login", timeout=10, headers=client_ip,
                           json=credentials)  # fmt: skip
        token = login.json()["access_token"]
        statuses = set()
        for _ in range(12):  # new connections land on both workers
            with httpx.Client(base_url=base, timeout=10) as client:
                me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
                statuses.add(me.status_code)
        assert statuses == {200}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
