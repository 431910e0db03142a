"""Staff device credentials and the door: an organizer issues a scanner token for one
event, the scanner checks tickets in with it (``POST /v1/scan``), and a revoked token stops
working at once. The event is always the credential's: a ticket of another event is a
``wrong_event`` rejection (200, a decision at the door), never a 404."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tests.integration.http.test_organizer import Account, event_body, sign_up
from tickex.facade import TickEx

Client = TestClient[Litestar]
BUYER = "ana@example.com"


def on_sale_event(client: Client, tickex: TickEx, owner: Account, slug: str) -> tuple[str, str]:
    event = client.post("/v1/organizer/events", headers=owner.headers,
                        json=event_body(tickex, slug=slug))  # fmt: skip
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]
    tt = client.post(f"/v1/organizer/events/{event_id}/ticket-types", headers=owner.headers,
                     json={"name": "Entry", "price_minor": 2000, "quantity_total": 50})  # fmt: skip
    assert tt.status_code == 201, tt.text
    published = client.post(f"/v1/organizer/events/{event_id}/publish", headers=owner.headers)
    assert published.status_code == 200, published.text
    return event_id, tt.json()["id"]


def paid_ticket_token(client: Client, event_id: str, ticket_type_id: str) -> str:
    placed = client.post("/v1/orders", json={
        "event_id": event_id, "items": [{"ticket_type_id": ticket_type_id, "quantity": 1}],
        "customer_email": BUYER, "customer_name": "Ana",
    })  # fmt: skip
    assert placed.status_code == 201, placed.text
    pay = "/pay/" + placed.json()["payment_url"].rsplit("/pay/", 1)[1]
    assert client.post(pay).status_code == 200
    order = client.get(f"/v1/orders/{placed.json()['order_id']}", params={"email": BUYER})
    assert order.json()["status"] == "paid", order.text
    token: str = order.json()["tickets"][0]["token"]
    return token


def issue(client: Client, owner: Account, event_id: str, label: str = "North gate") -> Any:
    response = client.post(f"/v1/organizer/events/{event_id}/staff-credentials",
                           headers=owner.headers, json={"label": label})  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


def scan(client: Client, staff_token: str, ticket: str, nonce: str) -> Any:
    return client.post("/v1/scan", headers={"Authorization": f"Bearer {staff_token}"},
                       json={"token": ticket, "nonce": nonce, "gate": "north"})  # fmt: skip


def test_a_staff_device_checks_tickets_in_at_its_event(client: Client, tickex: TickEx) -> None:
    owner = sign_up(tickex, "owner@nightjar.example")
    event_id, tt = on_sale_event(client, tickex, owner, "door-night")
    other_event, _ = on_sale_event(client, tickex, owner, "other-night")
    ticket = paid_ticket_token(client, event_id, tt)
    issued = issue(client, owner, event_id)
    assert issued["token"].startswith("tkx_sc_")
    assert issued["credential"]["event_id"] == event_id
    assert issued["credential"]["last_used_at"] is None
    staff = issued["token"]

    first = scan(client, staff, ticket, "nonce-0001")
    assert first.status_code == 200, first.text
    assert first.json()["result"] == "accepted"
    assert first.json()["attendee_name"] == "Ana"
    assert first.json()["replayed"] is False
    again = scan(client, staff, ticket, "nonce-0002").json()
    assert (again["result"], again["reason"]) == ("rejected", "already_checked_in")
    replay = scan(client, staff, ticket, "nonce-0001").json()
    assert (replay["result"], replay["replayed"]) == ("accepted", True)

    elsewhere = issue(client, owner, other_event, "Other door")["token"]
    wrong = scan(client, elsewhere, ticket, "nonce-0003")
    assert wrong.status_code == 200, wrong.text
    assert (wrong.json()["result"], wrong.json()["reason"]) == ("rejected", "wrong_event")

    listed = client.get(f"/v1/organizer/events/{event_id}/staff-credentials",
                        headers=owner.headers)  # fmt: skip
    assert listed.status_code == 200, listed.text
    [credential] = listed.json()["items"]
    assert credential["id"] == issued["credential"]["id"]
    assert credential["last_used_at"] is not None
    assert "token" not in credential
    assert staff not in listed.text


def test_a_revoked_or_unknown_credential_is_refused(client: Client, tickex: TickEx) -> None:
    owner = sign_up(tickex, "owner@nightjar.example")
    event_id, tt = on_sale_event(client, tickex, owner, "door-night")
    ticket = paid_ticket_token(client, event_id, tt)
    issued = issue(client, owner, event_id)
    revoked = client.post(
        f"/v1/organizer/staff-credentials/{issued['credential']['id']}/revoke",
        headers=owner.headers,
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["active"] is False
    assert revoked.json()["revoked_at"]
    assert_problem(scan(client, issued["token"], ticket, "nonce-0001"), 401, "invalid_token")
    assert_problem(scan(client, "tkx_sc_" + "A" * 43, ticket, "nonce-0001"), 401,
                   "invalid_token")  # fmt: skip
    # an organizer's access token is not a staff credential
    owner_token = owner.headers["Authorization"].split(" ", 1)[1]
    assert_problem(scan(client, owner_token, ticket, "nonce-0001"), 401, "invalid_token")
    missing = client.post("/v1/scan", json={"token": ticket, "nonce": "nonce-0001"})
    assert_problem(missing, 401, "invalid_token")


def test_the_event_comes_from_the_credential_never_the_body(client: Client, tickex: TickEx) -> None:
    owner = sign_up(tickex, "owner@nightjar.example")
    event_id, tt = on_sale_event(client, tickex, owner, "door-night")
    staff = issue(client, owner, event_id)["token"]
    response = client.post(
        "/v1/scan", headers={"Authorization": f"Bearer {staff}"},
        json={"token": paid_ticket_token(client, event_id, tt), "nonce": "nonce-0001",
              "event_id": event_id},
    )  # fmt: skip
    assert_problem(response, 422, "validation_failed")
