"""The ``Idempotency-Key`` header of ``placeOrder`` and ``refundOrder`` against the real app
in memory: replays, mismatches, requests in flight, scopes, bad keys, expiry and purge,
and attempts that died halfway (on SQLite and PostgreSQL, with threads and a killed
process: ``test_idempotency_storage.py``)."""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, assert_problem, open_shop, order_body
from tests.integration.http.idempotency_support import (
    KEY,
    DyingPayments,
    DyingSecrets,
    GatedPayments,
    ProcessDied,
    active_holds,
    held,
    keyed,
    orders_of,
    paid_order,
    the_order_body_as_a_command,
)
from tests.integration.http.test_organizer import sign_up
from tickex.adapters.memory.clock import FixedClock
from tickex.application.idempotency import (
    KEY_LIFETIME,
    LEASE,
    Claim,
    IdempotencyRequestInFlight,
)
from tickex.entrypoints.http import create_app
from tickex.entrypoints.logs import JsonFormatter
from tickex.entrypoints.worker import worker_round
from tickex.facade import TickEx

Client = TestClient[Litestar]


def place(client: Client, body: dict[str, Any], key: str | None = KEY) -> Any:
    return client.post("/v1/orders", json=body, headers=keyed(key))


def advance(tickex: TickEx, delta: timedelta) -> None:
    clock = tickex.clock
    assert isinstance(clock, FixedClock)
    clock.advance(delta)


def test_a_retry_answers_the_same_status_and_body_and_places_one_order(
    client: Client, shop: Shop, tickex: TickEx
) -> None:
    first = place(client, order_body(shop))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = place(client, order_body(shop))
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"].startswith("application/json")
    assert again.headers["cache-control"] == "no-store"
    assert [o.id for o in orders_of(tickex, shop)] == [first.json()["order_id"]]
    assert held(tickex, shop) == 2
    assert len(active_holds(tickex)) == 1
    assert KEY not in repr(tickex.services.storage.tables)  # type: ignore[attr-defined]


def test_an_answer_with_a_key_reads_like_one_without(client: Client, shop: Shop) -> None:
    plain = place(client, order_body(shop, customer_email="bo@example.com"), key=None)
    with_key = place(client, order_body(shop))
    assert plain.status_code == with_key.status_code == 201
    a, b = plain.json(), with_key.json()
    assert a.keys() == b.keys()
    assert (a["totals"], a["expires_at"], a["status"]) == (b["totals"], b["expires_at"], "pending")


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
    client: Client, shop: Shop, tickex: TickEx
) -> None:
    first = place(client, order_body(shop))
    others = (
        order_body(shop, items=[{"ticket_type_id": shop.ga, "quantity": 1}]),
        order_body(shop, customer_email="Ana@example.com"),
        order_body(shop, event_slug=None, event_id=shop.event_id),
    )
    for body in others:
        problem = assert_problem(place(client, body), 422, "idempotency_key_reused")
        assert KEY not in problem["detail"]
    assert len(orders_of(tickex, shop)) == 1
    assert held(tickex, shop) == 2
    assert place(client, order_body(shop)).content == first.content  # the record is intact


def test_a_duplicate_while_the_first_is_running_is_a_conflict() -> None:
    payments = GatedPayments()
    tickex = TickEx.in_memory(payments=payments)
    shop = open_shop(tickex)
    with TestClient(create_app(tickex)) as client:
        answers: list[Any] = []
        first = threading.Thread(target=lambda: answers.append(place(client, order_body(shop))))
        first.start()
        try:
            assert payments.entered.wait(10), "the first request never reached the provider"
            assert_problem(place(client, order_body(shop)), 409, "idempotency_request_in_flight")
        finally:
            payments.gate.set()
            first.join(10)
        assert answers[0].status_code == 201, answers[0].text
        assert place(client, order_body(shop)).content == answers[0].content
    assert len(orders_of(tickex, shop)) == 1


def test_a_refused_request_frees_its_key(client: Client, shop: Shop, tickex: TickEx) -> None:
    stale = order_body(shop, expected_total_minor=1)
    assert_problem(place(client, stale), 409, "total_changed")
    assert_problem(place(client, stale), 409, "total_changed")  # run again, not replayed
    placed = place(client, order_body(shop, expected_total_minor=5150))
    assert placed.status_code == 201, placed.text
    assert len(orders_of(tickex, shop)) == 1


def test_keys_belong_to_their_caller(client: Client, shop: Shop, tickex: TickEx) -> None:
    ana, bob = sign_up(tickex, "ana@nightjar.example"), sign_up(tickex, "bob@gull.example")
    ana_order, bob_order = paid_order(tickex, ana, "ana-live"), paid_order(tickex, bob, "bob-live")
    assert place(client, order_body(shop)).status_code == 201  # a buyer's, with KEY
    for account, order_id in ((ana, ana_order), (bob, bob_order)):
        refunded = client.post(f"/v1/organizer/orders/{order_id}/refund", json={"reason": ""},
                               headers={**account.headers, **keyed(KEY)})  # fmt: skip
        assert refunded.status_code == 200, refunded.text
        assert "idempotent-replayed" not in refunded.headers
        assert refunded.json()["id"] == order_id
    # KEY names ana's refund of her order: another order under it is another request
    foreign = client.post(f"/v1/organizer/orders/{bob_order}/refund", json={"reason": ""},
                          headers={**ana.headers, **keyed(KEY)})  # fmt: skip
    assert_problem(foreign, 422, "idempotency_key_reused")


def test_a_refund_retried_with_its_key_refunds_once(client: Client, tickex: TickEx) -> None:
    ana = sign_up(tickex, "ana@nightjar.example")
    order_id = paid_order(tickex, ana, "ana-live")
    url, body = f"/v1/organizer/orders/{order_id}/refund", {"amount_minor": 500}
    first = client.post(url, json=body, headers={**ana.headers, **keyed(KEY)})
    assert first.status_code == 200, first.text
    again = client.post(url, json=body, headers={**ana.headers, **keyed(KEY)})
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json()["refunded"]["amount_minor"] == 500
    refunds = [t for t in tickex.ledger_transactions() if t.kind == "refund"]
    assert len(refunds) == 1
    # without a key the same request is a second refund: the key is what prevented it
    plain = client.post(url, json=body, headers=ana.headers)
    assert plain.json()["refunded"]["amount_minor"] == 1000


@pytest.mark.parametrize(
    "value",
    [
        "too-short-key",  # 13 characters
        "k" * 256,
        "has a space inside it",
        "tab\tinside-the-key-value",
        "",
        "ünïcode-is-not-visible-ascii".encode(),
    ],
)
def test_a_malformed_key_is_refused_and_nothing_runs(
    client: Client, shop: Shop, tickex: TickEx, value: str | bytes
) -> None:
    response = client.post("/v1/orders", json=order_body(shop), headers={"Idempotency-Key": value})
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["source"] == "header"
    assert not isinstance(value, str) or len(value) < 3 or value not in response.text
    assert orders_of(tickex, shop) == []
    assert held(tickex, shop) == 0


def test_a_key_is_forgotten_after_a_day(client: Client, shop: Shop, tickex: TickEx) -> None:
    one = order_body(shop, items=[{"ticket_type_id": shop.ga, "quantity": 1}])
    first = place(client, one)
    advance(tickex, KEY_LIFETIME - timedelta(microseconds=1))
    assert place(client, one).content == first.content
    advance(tickex, timedelta(microseconds=1))
    later = place(client, one)
    assert later.status_code == 201
    assert "idempotent-replayed" not in later.headers
    assert later.json()["order_id"] != first.json()["order_id"]
    assert len(orders_of(tickex, shop)) == 2


def test_the_worker_purges_expired_keys(client: Client, shop: Shop, tickex: TickEx) -> None:
    place(client, order_body(shop))
    place(client, order_body(shop, customer_email="bo@example.com"), key="y" * 40)
    worker_round(tickex)
    assert tickex.purge_idempotency_keys() == 0  # nothing expired yet
    advance(tickex, KEY_LIFETIME)
    worker_round(tickex)
    assert tickex.purge_idempotency_keys() == 0  # the round purged both
    assert "idempotent-replayed" not in place(client, order_body(shop)).headers


def test_a_process_killed_after_its_order_committed_leaves_that_order_to_the_retry() -> None:
    payments = DyingPayments()
    tickex = TickEx.in_memory(payments=payments)
    shop = open_shop(tickex)
    with pytest.raises(ProcessDied):  # the order committed; the checkout never started
        tickex.place_order_idempotently(the_order_body_as_a_command(shop), KEY, render=repr)
    [order] = orders_of(tickex, shop)
    assert order.payment_url is None
    with TestClient(create_app(tickex)) as client:
        assert_problem(place(client, order_body(shop)), 409, "idempotency_request_in_flight")
        advance(tickex, LEASE)  # the dead attempt's lease lapses
        resumed = place(client, order_body(shop))
        assert resumed.status_code == 201, resumed.text
        assert resumed.json()["order_id"] == order.id
        assert resumed.json()["payment_url"].endswith("/pay/cs_local_000001")
        assert "idempotent-replayed" not in resumed.headers
        again = place(client, order_body(shop))
        assert (again.content, again.headers["idempotent-replayed"]) == (resumed.content, "true")
    assert [o.id for o in orders_of(tickex, shop)] == [order.id]
    assert held(tickex, shop) == 2
    assert len(active_holds(tickex)) == 1
    assert len(payments.sessions) == 1


def test_a_process_killed_before_its_order_committed_leaves_the_retry_to_place_it() -> None:
    secrets = DyingSecrets()
    tickex = TickEx.in_memory(secrets=secrets)
    shop = open_shop(tickex)
    secrets.armed = True
    with pytest.raises(ProcessDied):  # inside the order's unit of work: nothing committed
        tickex.place_order_idempotently(the_order_body_as_a_command(shop), KEY, render=repr)
    assert orders_of(tickex, shop) == []
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    dead = tickex.services.read(lambda uow: uow.idempotency.find("anonymous", digest))
    assert dead is not None
    assert (dead.resource_id, dead.response) == (None, None)
    with TestClient(create_app(tickex)) as client:
        assert_problem(place(client, order_body(shop)), 409, "idempotency_request_in_flight")
        advance(tickex, LEASE)
        placed = place(client, order_body(shop))
        assert placed.status_code == 201, placed.text
    assert [o.id for o in orders_of(tickex, shop)] == [placed.json()["order_id"]]
    assert held(tickex, shop) == 2
    # had the first attempt only been slow, it could no longer bind an order to the key
    slow = Claim("anonymous", digest, dead.lease_id, render=repr)
    with pytest.raises(IdempotencyRequestInFlight):
        tickex.services.transaction(lambda uow: slow.bind(uow, "an-order-of-the-slow-one"))


def test_the_key_is_never_logged(
    client: Client, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        place(client, order_body(shop))
        place(client, order_body(shop))  # replayed
        place(client, order_body(shop, customer_name="Bo"))  # reused
        client.post("/v1/orders", json=order_body(shop), headers={"Idempotency-Key": KEY[:15]})
    assert len([r for r in caplog.records if r.name == "tickex.http.access"]) == 4
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert KEY[:15] not in everything


def test_without_a_key_nothing_changes(client: Client, shop: Shop, tickex: TickEx) -> None:
    assert place(client, order_body(shop), key=None).status_code == 201
    assert place(client, order_body(shop), key=None).status_code == 201
    assert len(orders_of(tickex, shop)) == 2
    advance(tickex, KEY_LIFETIME)
    assert tickex.purge_idempotency_keys() == 0  # no key, no record
