"""The in-process worker: started with the application, expires holds and delivers the
outbox, stopped on shutdown.

The test drives the worker: ``Rounds`` stands in for ``worker_round``, so the worker runs a
round only when the test calls ``step()``, and ``step()`` returns when that round is over.
Nothing waits on a timer."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta

import anyio.to_thread
import pytest
from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, order_body
from tickex.entrypoints.http import create_app
from tickex.entrypoints.http import worker as http_worker
from tickex.entrypoints.http.worker import in_process_worker
from tickex.facade import TickEx


class Rounds:
    """``worker_round`` on the test's command: each ``step()`` lets exactly one round run
    and waits (up to ``timeout`` seconds) until it is done; between steps the worker's
    rounds do nothing."""

    def __init__(self, real: Callable[[TickEx], object]) -> None:
        self._real = real
        self._turns = threading.Semaphore(0)
        self._done = threading.Semaphore(0)
        self.ran = 0

    def __call__(self, tickex: TickEx) -> None:
        if not self._turns.acquire(timeout=0.01):  # not stepped: an empty round
            return
        try:
            self._real(tickex)
        finally:
            self.ran += 1
            self._done.release()

    def step(self, timeout: float = 5.0) -> bool:
        self._turns.release()
        return self._done.acquire(timeout=timeout)


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch) -> Rounds:
    stand_in = Rounds(http_worker.worker_round)
    monkeypatch.setattr(http_worker, "worker_round", stand_in)
    return stand_in


def test_the_worker_expires_holds_and_delivers_mail(
    tickex: TickEx, shop: Shop, rounds: Rounds
) -> None:
    mailer = tickex.services.delivery.mailer
    with TestClient(create_app(tickex, worker_interval=0.001)) as client:
        stale = client.post("/v1/orders", json=order_body(shop)).json()
        paid = client.post("/v1/orders", json=order_body(shop, customer_email="ben@example.com",
                           items=[{"ticket_type_id": shop.vip, "quantity": 1}])).json()  # fmt: skip
        client.post("/pay/" + paid["payment_url"].rsplit("/", 1)[1])
        assert not any(m.to == "ben@example.com" for m in mailer.sent)  # type: ignore[attr-defined]
        assert rounds.step()
        assert any(m.to == "ben@example.com" for m in mailer.sent)  # type: ignore[attr-defined]

        tickex.services.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]

        def status() -> str:
            order = client.get(f"/v1/orders/{stale['order_id']}",
                               params={"email": "ana@example.com"}).json()  # fmt: skip
            return str(order["status"])

        assert status() == "pending"
        assert rounds.step()
        assert status() == "expired"
    pending = tickex.services.transaction(lambda uow: uow.outbox.pending_count())
    assert pending == 0
    assert rounds.ran == 2


def test_without_an_interval_nothing_runs_in_process(
    tickex: TickEx, shop: Shop, rounds: Rounds
) -> None:
    with TestClient(create_app(tickex)) as client:
        placed = client.post("/v1/orders", json=order_body(shop)).json()
        client.post("/pay/" + placed["payment_url"].rsplit("/", 1)[1])
        assert not rounds.step(timeout=0.5)  # a worker would take the round it is offered
        assert tickex.services.transaction(lambda uow: uow.outbox.pending_count()) > 0
    assert rounds.ran == 0


def test_the_worker_stops_with_the_application(tickex: TickEx, rounds: Rounds) -> None:
    async def scenario() -> list[asyncio.Task[object]]:
        api = create_app(tickex)
        async with in_process_worker(tickex, 0.001)(api):
            assert await anyio.to_thread.run_sync(rounds.step)  # it is running rounds
            running = [t for t in asyncio.all_tasks() if t.get_name() == "tickex-worker"]
            assert len(running) == 1
        return [t for t in asyncio.all_tasks() if t.get_name() == "tickex-worker"]

    assert asyncio.run(scenario()) == []
    assert rounds.ran == 1
