"""The in-process worker: started with the application, expires holds and delivers the
outbox, stopped on shutdown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, order_body
from tickex.entrypoints.http import create_app
from tickex.entrypoints.http.worker import in_process_worker
from tickex.facade import TickEx


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def test_the_worker_expires_holds_and_delivers_mail(tickex: TickEx, shop: Shop) -> None:
    mailer = tickex.services.delivery.mailer
    with TestClient(create_app(tickex, worker_interval=0.02)) as client:
        stale = client.post("/v1/orders", json=order_body(shop)).json()
        paid = client.post("/v1/orders", json=order_body(shop, customer_email="ben@example.com",
                           items=[{"ticket_type_id": shop.vip, "quantity": 1}])).json()  # fmt: skip
        client.post("/pay/" + paid["payment_url"].rsplit("/", 1)[1])
        assert eventually(lambda: any(m.to == "ben@example.com" for m in mailer.sent))  # type: ignore[attr-defined]

        tickex.services.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]

        def expired() -> bool:
            order = client.get(f"/v1/orders/{stale['order_id']}",
                               params={"email": "ana@example.com"}).json()  # fmt: skip
            return bool(order["status"] == "expired")

        assert eventually(expired)
    pending = tickex.services.transaction(lambda uow: uow.outbox.pending_count())
    assert pending == 0


def test_without_an_interval_nothing_runs_in_process(tickex: TickEx, shop: Shop) -> None:
    with TestClient(create_app(tickex)) as client:
        placed = client.post("/v1/orders", json=order_body(shop)).json()
        client.post("/pay/" + placed["payment_url"].rsplit("/", 1)[1])
        time.sleep(0.2)
        assert tickex.services.transaction(lambda uow: uow.outbox.pending_count()) > 0


def test_the_worker_stops_with_the_application(tickex: TickEx, shop: Shop) -> None:
    async def scenario() -> list[asyncio.Task[object]]:
        api = create_app(tickex)
        async with in_process_worker(tickex, 0.01)(api):
            await asyncio.sleep(0.05)
            running = [t for t in asyncio.all_tasks() if t.get_name() == "tickex-worker"]
            assert len(running) == 1
        return [t for t in asyncio.all_tasks() if t.get_name() == "tickex-worker"]

    assert asyncio.run(scenario()) == []
