"""``POST /v1/admin/orders/{order_id}/refund`` on the reference storage, SQLite and
PostgreSQL: an admin refunds a paid order of any organizer's, by amount or by tickets,
with the organizer's body and answer; the order's recorded reason (the one the provider is
given) names the admin; organizers, customers and anonymous callers are refused before
anything is read; an ``Idempotency-Key`` is the admin's own (replayed, refused with
another body, and not the organizer's key space)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tests.integration.http.idempotency_support import KEY, keyed, paid_order
from tests.integration.http.test_organizer import Account, sign_up
from tests.integration.http.test_stripe_webhook import assert_ledger_balanced
from tickex.domain.ledger import TransactionKind, organizer_payable
from tickex.domain.order import Order
from tickex.domain.outbox import MessageKind
from tickex.domain.ticket import Ticket
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage

Client = TestClient[Litestar]


@pytest.fixture
def tickex(storage: Storage) -> TickEx:  # conftest's ``client`` serves it
    return TickEx.in_memory(storage=storage)


@pytest.fixture
def ana(tickex: TickEx) -> Account:
    return sign_up(tickex, "ana@nightjar.example")


@pytest.fixture
def bob(tickex: TickEx) -> Account:
    return sign_up(tickex, "bob@gull.example")


def admin_refund(client: Client, headers: dict[str, str], order_id: str, body: Any,
                 key: str | None = None) -> Any:  # fmt: skip
    return client.post(f"/v1/admin/orders/{order_id}/refund", json=body,
                       headers={**headers, **keyed(key)})  # fmt: skip


def stored_order(tickex: TickEx, order_id: str) -> Order:
    found = tickex.services.read(lambda uow: uow.orders.get(order_id))
    assert found is not None
    return found


def tickets_of(tickex: TickEx, order_id: str) -> list[Ticket]:
    return tickex.services.read(lambda uow: uow.tickets.list_by_order(order_id))


def refunds_of(tickex: TickEx, organizer_id: str | None) -> list[int]:
    """The refunds booked at the organizer's cost (what left their payable)."""
    return [e.amount.amount_minor for tx in tickex.ledger_transactions()
            if tx.kind is TransactionKind.REFUND and tx.organizer_id == organizer_id
            for e in tx.entries if e.account == organizer_payable(organizer_id or "")]  # fmt: skip


def admin_id(client: Client, admin: dict[str, str]) -> str:
    me: dict[str, Any] = client.get("/v1/me", headers=admin).json()
    return str(me["id"])


def test_an_admin_refunds_any_organizers_order_by_amount_and_by_tickets(
    client: Client, tickex: TickEx, admin: dict[str, str], ana: Account, bob: Account
) -> None:
    anas, bobs = paid_order(tickex, ana, "ana-live"), paid_order(tickex, bob, "bob-live")
    by_amount = admin_refund(client, admin, anas, {"amount_minor": 700, "reason": "Late doors"})
    assert by_amount.status_code == 200, by_amount.text
    assert by_amount.headers["cache-control"] == "no-store"
    body = by_amount.json()
    assert (body["id"], body["status"], body["refunded"]) == (
        anas, "partially_refunded", {"amount_minor": 700, "currency": "EUR"}
    )  # fmt: skip
    assert body["tickets"] == []  # as the organizer's route answers: no ticket tokens
    assert [t.status for t in tickets_of(tickex, anas)] == ["active", "active"]

    first, second = tickets_of(tickex, bobs)
    by_ticket = admin_refund(client, admin, bobs, {"ticket_ids": [first.id]})
    assert by_ticket.status_code == 200, by_ticket.text
    assert by_ticket.json()["status"] == "partially_refunded"
    assert by_ticket.json()["refunded"]["amount_minor"] == first.price_paid.amount_minor
    assert {t.id: t.status for t in tickets_of(tickex, bobs)} == {
        first.id: "revoked", second.id: "active"
    }  # fmt: skip

    # each at its own organizer's cost, in the ledger, and asked of the provider
    assert refunds_of(tickex, ana.organizer_id) == [700]
    assert refunds_of(tickex, bob.organizer_id) == [first.price_paid.amount_minor]
    assert_ledger_balanced(tickex)
    who = admin_id(client, admin)
    assert stored_order(tickex, anas).status_reason == f"refunded by admin {who}: Late doors"
    assert stored_order(tickex, bobs).status_reason == f"refunded by admin {who}"
    asked = [m.payload for m in tickex.services.read(lambda uow: uow.outbox.due(
        tickex.clock.now(), 100)) if m.kind is MessageKind.REFUND_PAYMENT]  # fmt: skip
    assert sorted((p["order_id"], p["amount_minor"], p["reason"]) for p in asked) == sorted([
        (anas, 700, f"refunded by admin {who}: Late doors"),
        (bobs, first.price_paid.amount_minor, f"refunded by admin {who}"),
    ])  # fmt: skip

    # the rest of bob's order, all of it: refunded, every ticket revoked
    rest = admin_refund(client, admin, bobs, {})
    assert rest.json()["status"] == "refunded", rest.text
    assert rest.json()["refunded"] == rest.json()["totals"]["total"]
    assert_problem(admin_refund(client, admin, "no-such-order", {}), 404, "not_found")
    assert_problem(admin_refund(client, admin, anas, {"amount_minor": 10**9}), 422,
                   "refund_not_allowed")  # fmt: skip


def test_only_admins_reach_the_route_and_nothing_changes_otherwise(
    client: Client, tickex: TickEx, admin: dict[str, str], ana: Account
) -> None:
    order_id = paid_order(tickex, ana, "ana-live")
    customer = sign_up(tickex, "cy@example.com", organizer=False)
    for headers in (ana.headers, customer.headers):  # the order's own organizer too
        for body in ({}, {"amount_minor": 100}):
            assert_problem(admin_refund(client, headers, order_id, body), 403, "forbidden")
        assert_problem(admin_refund(client, headers, "no-such-order", {}), 403, "forbidden")
    assert_problem(admin_refund(client, {}, order_id, {}), 401, "invalid_token")
    assert stored_order(tickex, order_id).status == "paid"
    assert refunds_of(tickex, ana.organizer_id) == []
    # the organizer's own route is still theirs alone: the admin has no organizer
    assert_problem(client.post(f"/v1/organizer/orders/{order_id}/refund", json={},
                               headers=admin), 403, "forbidden")  # fmt: skip


def test_the_body_is_the_organizers_strict_one(
    client: Client, tickex: TickEx, admin: dict[str, str], ana: Account
) -> None:
    order_id = paid_order(tickex, ana, "ana-live")
    [ticket, _] = tickets_of(tickex, order_id)
    for body in ({"ticket_ids": [ticket.id], "amount_minor": 100}, {"amount_minor": 0},
                 {"amount_minor": "100"}, {"organizer_id": ana.organizer_id},
                 {"ticket_ids": []}, {"reason": "x" * 501}):  # fmt: skip
        assert_problem(admin_refund(client, admin, order_id, body), 422, "validation_failed")
    assert stored_order(tickex, order_id).status == "paid"


def test_a_retry_with_the_admins_key_refunds_once_and_another_body_is_refused(
    client: Client, tickex: TickEx, admin: dict[str, str], ana: Account
) -> None:
    order_id = paid_order(tickex, ana, "ana-live")
    body = {"amount_minor": 500, "reason": "Goodwill"}
    first = admin_refund(client, admin, order_id, body, key=KEY)
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    again = admin_refund(client, admin, order_id, body, key=KEY)
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    for other in ({"amount_minor": 501, "reason": "Goodwill"}, {"amount_minor": 500}, {}):
        reused = admin_refund(client, admin, order_id, other, key=KEY)
        assert KEY not in assert_problem(reused, 422, "idempotency_key_reused")["detail"]
    assert refunds_of(tickex, ana.organizer_id) == [500]

    # the key is the admin's: stored in their scope, not the organizer's, who may use it
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    mine, organizers = f"admin:{admin_id(client, admin)}", f"organizer:{ana.organizer_id}"
    assert tickex.services.read(lambda uow: uow.idempotency.find(mine, digest)) is not None
    assert tickex.services.read(lambda uow: uow.idempotency.find(organizers, digest)) is None
    own = client.post(f"/v1/organizer/orders/{order_id}/refund", json=body,
                      headers={**ana.headers, **keyed(KEY)})  # fmt: skip
    assert own.status_code == 200, own.text
    assert "idempotent-replayed" not in own.headers
    assert own.json()["refunded"]["amount_minor"] == 1000
    assert refunds_of(tickex, ana.organizer_id) == [500, 500]
    assert stored_order(tickex, order_id).status_reason == "Goodwill"  # the organizer's own
    assert_ledger_balanced(tickex)
