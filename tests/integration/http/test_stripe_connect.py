"""Stripe Connect over HTTP on the reference storage and SQLite: an organizer opens their
connected account (``POST /v1/organizer/payment-account/onboarding``) against the fake
Stripe, the fake's signed ``account.updated`` keeps the account's state on the organizer,
and a paid event is neither published nor sold while its charges are disabled. The local
provider needs no account. (The fake Stripe, its endpoint and the API: the harness of
``test_stripe_webhook``, whose fixtures are imported.)"""

# ruff: noqa: F811 - the imported fixtures are the tests' parameters

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tests.integration.http.test_organizer import Account, event_body, sign_up, ticket_type_body
from tests.integration.http.test_stripe_webhook import (  # noqa: F401 - the fixtures
    Stripe,
    assert_ledger_balanced,
    client,
    clock,
    endpoint,
    fake,
    storage,
    stored,
    stripe,
    tickex,
)
from tickex.adapters.memory.clock import FixedClock
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx

Client = TestClient[Litestar]
ACCOUNT_ROUTE = "/v1/organizer/payment-account"
ONBOARDING = f"{ACCOUNT_ROUTE}/onboarding"


def paid_event(client: Client, tickex: TickEx, ana: Account, price_minor: int = 2500) -> str:
    """A draft event with one ticket type at ``price_minor``; its id."""
    event = client.post("/v1/organizer/events", json=event_body(tickex), headers=ana.headers)
    assert event.status_code == 201, event.text
    event_id: str = event.json()["id"]
    added = client.post(
        f"/v1/organizer/events/{event_id}/ticket-types",
        json=ticket_type_body(price_minor=price_minor), headers=ana.headers,
    )  # fmt: skip
    assert added.status_code == 201, added.text
    return event_id


def publish(client: Client, ana: Account, event_id: str) -> Any:
    return client.post(f"/v1/organizer/events/{event_id}/publish", headers=ana.headers)


def order_for(client: Client) -> Any:
    """A buyer orders one ticket of the published ``event_body`` event."""
    public = client.get("/v1/events/harbour-nights").json()
    (ga,) = public["ticket_types"]
    return client.post("/v1/orders", json={
        "event_slug": "harbour-nights", "customer_email": "bo@example.com",
        "items": [{"ticket_type_id": ga["id"], "quantity": 1}]})  # fmt: skip


def account_of(client: Client, ana: Account) -> dict[str, Any]:
    response = client.get(ACCOUNT_ROUTE, headers=ana.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_an_organizer_onboards_and_sells_only_while_stripe_lets_the_account_charge(
    client: Client, tickex: TickEx, stripe: Stripe, clock: FixedClock
) -> None:
    ana = sign_up(tickex, "ana@nightjar.example")
    assert account_of(client, ana) == {
        "provider": "stripe", "required": True, "account_id": None, "charges_enabled": False,
        "payouts_enabled": False, "requirements_due": [], "disabled_reason": None,
        "as_of": None,
    }  # fmt: skip
    event_id = paid_event(client, tickex, ana)
    refused = assert_problem(publish(client, ana, event_id), 409, "payments_not_enabled")
    assert "onboarding" in refused["detail"]

    started = client.post(ONBOARDING, headers=ana.headers)
    assert started.status_code == 201, started.text
    body = started.json()
    account_id = body["account"]["account_id"]
    assert account_id.startswith("acct_")
    assert body["url"].startswith(stripe.fake.url)
    assert body["account"]["charges_enabled"] is False
    assert body["account"]["requirements_due"]  # Stripe's example account: details due
    links = tickex.services.delivery.links
    (link,) = stripe.fake.account_links
    assert (link["account"], link["type"], link["refresh_url"], link["return_url"]) == (
        account_id, "account_onboarding", links.payment_onboarding_refresh(),
        links.payment_onboarding_return())  # fmt: skip
    made = stripe.fake.account(account_id)
    assert (made["type"], made["email"]) == ("express", "ana@nightjar.example")
    assert made["metadata"] == {"organizer_id": ana.organizer_id}

    again = client.post(ONBOARDING, headers=ana.headers)  # a new link, the same account
    assert again.status_code == 201, again.text
    assert again.json()["account"]["account_id"] == account_id
    assert again.json()["url"] != body["url"]
    assert list(stripe.fake.objects["account"]) == [account_id]
    assert_problem(publish(client, ana, event_id), 409, "payments_not_enabled")

    clock.advance(timedelta(minutes=5))  # ana gives Stripe what it asked for
    stripe.fake.update_account(
        account_id, charges_enabled=True, payouts_enabled=True, details_submitted=True,
        currently_due=[], disabled_reason=None,
    )  # fmt: skip
    stripe.fake.deliver()
    assert stripe.outcomes("account.updated") == ["account_updated"]
    state = account_of(client, ana)
    assert (state["charges_enabled"], state["payouts_enabled"]) == (True, True)
    assert (state["requirements_due"], state["disabled_reason"]) == ([], None)
    assert publish(client, ana, event_id).status_code == 200
    placed = order_for(client)
    assert placed.status_code == 201, placed.text
    session = stripe.fake.session(placed.json()["payment_url"].rsplit("/", 1)[1])
    assert stripe.fake.created_with[session["id"]]["payment_intent_data"]["transfer_data"] == {
        "destination": account_id}  # fmt: skip

    clock.advance(timedelta(minutes=5))  # Stripe needs more and turns charges off
    stripe.fake.update_account(account_id, charges_enabled=False,
                               currently_due=["external_account"],
                               disabled_reason="requirements.past_due")  # fmt: skip
    stripe.fake.deliver()
    before = stored(tickex)
    blocked = assert_problem(order_for(client), 409, "payments_not_enabled")
    assert "disabled_reason" not in blocked  # the organizer's business, not the buyer's
    state = account_of(client, ana)
    assert (state["charges_enabled"], state["requirements_due"], state["disabled_reason"]) == (
        False, ["external_account"], "requirements.past_due")  # fmt: skip
    assert stored(tickex) == before  # no order, no hold
    assert_ledger_balanced(tickex)


def test_an_older_account_state_arriving_late_or_twice_changes_nothing(
    client: Client, tickex: TickEx, stripe: Stripe, clock: FixedClock
) -> None:
    ana = sign_up(tickex, "ana@nightjar.example")
    account_id = client.post(ONBOARDING, headers=ana.headers).json()["account"]["account_id"]
    clock.advance(timedelta(seconds=2))
    stripe.fake.update_account(account_id, charges_enabled=True, currently_due=["external_account"],
                               disabled_reason=None)  # fmt: skip
    clock.advance(timedelta(seconds=2))
    stripe.fake.update_account(account_id, payouts_enabled=True, currently_due=[])
    stripe.fake.deliver(order="reverse", times=2)  # the newest first, each twice
    assert stripe.outcomes("account.updated") == ["account_updated", "duplicate", "stale",
                                                  "duplicate"]  # fmt: skip
    state = account_of(client, ana)
    assert (state["charges_enabled"], state["payouts_enabled"], state["requirements_due"]) == (
        True, True, [])  # fmt: skip
    assert state["as_of"] is not None

    before = stored(tickex)  # an account no organizer is paid through: acknowledged only
    stripe.fake.update_account(stripe.fake.add_account()["id"], charges_enabled=True)
    stripe.fake.deliver()
    assert stripe.outcomes("account.updated")[-1] == "ignored"
    after = stored(tickex)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed <= {"processed_events"}  # the event id, so a redelivery is a duplicate


def test_a_free_event_needs_no_payment_account(
    client: Client, tickex: TickEx, stripe: Stripe
) -> None:
    ana = sign_up(tickex, "ana@nightjar.example")
    event_id = paid_event(client, tickex, ana, price_minor=0)
    assert publish(client, ana, event_id).status_code == 200
    placed = order_for(client)
    assert placed.status_code == 201, placed.text
    assert placed.json()["status"] == "paid"
    assert stripe.fake.objects["account"] == {}


def test_the_local_provider_needs_no_onboarding_and_its_organizers_always_sell() -> None:
    local = TickEx.in_memory()
    with TestClient(create_app(local)) as client:
        ana = sign_up(local, "ana@nightjar.example")
        assert account_of(client, ana) == {
            "provider": "local", "required": False, "account_id": None,
            "charges_enabled": True, "payouts_enabled": True, "requirements_due": [],
            "disabled_reason": None, "as_of": None,
        }  # fmt: skip
        assert_problem(client.post(ONBOARDING, headers=ana.headers), 409,
                       "payment_onboarding_unavailable")  # fmt: skip
        event_id = paid_event(client, local, ana)
        assert publish(client, ana, event_id).status_code == 200
        assert order_for(client).status_code == 201


def test_only_an_organizer_reaches_the_payment_account(client: Client, tickex: TickEx) -> None:
    bo = sign_up(tickex, "bo@example.com", organizer=False)
    assert_problem(client.post(ONBOARDING, headers=bo.headers), 403, "forbidden")
    assert_problem(client.get(ACCOUNT_ROUTE), 401, "invalid_token")
