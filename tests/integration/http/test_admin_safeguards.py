"""What keeps the platform administered and an API key within bounds, over HTTP on the
reference storage, SQLite and PostgreSQL: an admin neither disables their own account nor
approves their own organizer request (403 ``self_decision``), and another admin does; a
disabled owner's API key is refused on its next request (401); and giving money back
(``refundOrder``, ``cancelEvent``, which refunds every paid order) takes the
``orders:refund`` scope, which ``events:write`` does not include. (The last active admin,
which a request can only reach racing another: ``tests/integration/sql/test_last_admin.py``.)"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import ACCOUNT_PASSWORD, assert_problem, login
from tests.integration.http.idempotency_support import paid_order
from tests.integration.http.test_api_keys import KEYS, bearer, create_key
from tests.integration.http.test_organizer import Account, sign_up
from tickex.application.identity.create_admin import CreateAdmin
from tickex.domain.order import OrderStatus
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage

Client = TestClient[Litestar]
REQUESTS = "/v1/admin/organizer-requests"


@pytest.fixture
def tickex(storage: Storage) -> TickEx:  # conftest's ``client`` serves it
    return TickEx.in_memory(storage=storage)


@pytest.fixture
def deputy(client: Client, tickex: TickEx) -> dict[str, str]:
    """A second admin's bearer header."""
    tickex.create_admin(CreateAdmin(email="deputy@tickex.example", name="Deputy",
                                    password=ACCOUNT_PASSWORD))  # fmt: skip
    return login(client, "deputy@tickex.example")


@pytest.fixture
def owner(tickex: TickEx) -> Account:
    return sign_up(tickex, "owner@nightjar.example")


def user_id(client: Client, headers: dict[str, str]) -> str:
    me: dict[str, Any] = client.get("/v1/me", headers=headers).json()
    return str(me["id"])


def disable(client: Client, headers: dict[str, str], target: str) -> Any:
    return client.post(f"/v1/admin/users/{target}/disable", headers=headers)


def test_an_admin_does_not_disable_their_own_account_another_admin_does(
    client: Client, admin: dict[str, str], deputy: dict[str, str]
) -> None:
    boss_id, deputy_id = user_id(client, admin), user_id(client, deputy)
    refused = disable(client, admin, boss_id)
    assert "another admin" in assert_problem(refused, 403, "self_decision")["detail"]
    assert client.get("/v1/me", headers=admin).status_code == 200  # nothing ended

    assert disable(client, deputy, boss_id).status_code == 200
    assert_problem(client.get("/v1/me", headers=admin), 401, "invalid_token")
    assert_problem(disable(client, admin, deputy_id), 401, "invalid_token")
    assert client.get("/v1/me", headers=deputy).status_code == 200  # one admin is left


def test_an_admin_does_not_approve_their_own_request_another_admin_does(
    client: Client, admin: dict[str, str], deputy: dict[str, str]
) -> None:
    asked = client.post("/v1/me/organizer-request", headers=admin,
                        json={"organizer_name": "Boss events"})  # fmt: skip
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    refused = client.post(f"{REQUESTS}/{request_id}/approve", headers=admin)
    assert_problem(refused, 403, "self_decision")
    [pending] = client.get(REQUESTS, headers=admin).json()["items"]
    assert (pending["id"], pending["status"], pending["decided_by"]) == (request_id, "pending",
                                                                         None)  # fmt: skip
    assert_problem(client.get("/v1/organizer/events", headers=admin), 403, "forbidden")

    approved = client.post(f"{REQUESTS}/{request_id}/approve", headers=deputy)
    assert approved.status_code == 200, approved.text
    assert approved.json()["decided_by"] == user_id(client, deputy)
    [listed] = client.get(REQUESTS, headers=deputy, params={"status": "approved"}).json()["items"]
    assert (listed["id"], listed["decided_by"]) == (request_id, user_id(client, deputy))


def test_a_disabled_owners_key_is_refused_on_its_next_request(
    client: Client, admin: dict[str, str], owner: Account
) -> None:
    secret = create_key(client, owner, "events:read")["secret"]
    assert client.get("/v1/organizer/events", headers=bearer(secret)).status_code == 200
    assert disable(client, admin, owner.user_id).status_code == 200
    refused = client.get("/v1/organizer/events", headers=bearer(secret))
    assert_problem(refused, 401, "invalid_token")
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert secret not in refused.text


def test_refunds_and_cancellations_take_the_refund_scope_not_events_write(
    client: Client, tickex: TickEx, owner: Account
) -> None:
    order_id = paid_order(tickex, owner, "harbour-live")
    [event] = client.get("/v1/organizer/events", headers=owner.headers).json()["items"]
    refund = f"/v1/organizer/orders/{order_id}/refund"
    cancel = f"/v1/organizer/events/{event['id']}/cancel"
    writer = bearer(create_key(client, owner, "events:read", "events:write")["secret"])
    for path, body in ((refund, {}), (cancel, None)):
        refused = client.post(path, headers=writer, **({"json": body} if body is not None else {}))
        assert "orders:refund" in assert_problem(refused, 403, "forbidden")["detail"]
    assert _order_status(tickex, order_id) is OrderStatus.PAID  # nothing was given back
    event_now = client.get(f"/v1/organizer/events/{event['id']}", headers=writer).json()
    assert event_now["status"] == "published"
    renamed = client.patch(f"/v1/organizer/events/{event['id']}", headers=writer,
                           json={"title": "Harbour live, again"})  # fmt: skip
    assert renamed.status_code == 200, renamed.text  # events:write still writes events

    refunder = bearer(create_key(client, owner, "orders:refund", name="Refunds")["secret"])
    refunded = client.post(refund, headers=refunder, json={"amount_minor": 100})
    assert refunded.status_code == 200, refunded.text
    cancelled = client.post(cancel, headers=refunder)
    assert cancelled.status_code == 200, cancelled.text
    assert _order_status(tickex, order_id) is OrderStatus.REFUNDED
    assert [k["scopes"] for k in client.get(KEYS, headers=owner.headers).json()["items"]] == [
        ["events:read", "events:write"],
        ["orders:refund"],
    ]


def _order_status(tickex: TickEx, order_id: str) -> OrderStatus:
    order = tickex.services.read(lambda uow: uow.orders.get(order_id))
    assert order is not None
    return order.status
