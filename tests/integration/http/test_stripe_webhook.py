"""The Stripe flow over HTTP on both the reference storage and SQLite: an order placed
through the API, paid on the fake Stripe's hosted page, and fulfilled by the webhook the
fake signs and sends to ``POST /webhooks/stripe``; bad signatures, duplicates (in a row and
at once), disorder, delayed payment methods, expiry and mismatches."""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from tests.integration.http.conftest import assert_problem
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.adapters.sql import SqlStorage, schema
from tickex.adapters.stripe_payments import StripePaymentGateway
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import SettingsInput, VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.application.organizers.payment_account import StartPaymentOnboarding
from tickex.application.sales.cancel_order import CancelOrder
from tickex.application.sales.refund_order import RefundOrder
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage
from tickex.testing import builders as b
from tickex.testing.fake_stripe import FakeStripe, WebhookEndpoint, signature_header

ACCOUNT = "acct_1Nightjar"
EMAIL = "ana@example.com"
WEBHOOK = "/webhooks/stripe"


@dataclass
class Stripe:
    """The fake Stripe, its endpoint at our API, and what the API answered each delivery."""

    fake: FakeStripe
    endpoint: WebhookEndpoint
    answers: list[dict[str, Any]]

    def outcomes(self, event_type: str | None = None) -> list[str]:
        return [a["outcome"] for a in self.answers
                if event_type is None or a["type"] == event_type]  # fmt: skip


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(b.T0)


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "memory":
        yield InMemoryStorage()
        return
    sql = SqlStorage(f"sqlite:///{tmp_path / 'tickex.db'}")
    sql.migrate()
    yield sql
    sql.close()


@pytest.fixture
def fake(clock: FixedClock) -> Iterator[FakeStripe]:
    with FakeStripe(clock=clock) as server:
        yield server


@pytest.fixture
def endpoint(fake: FakeStripe) -> WebhookEndpoint:
    return fake.add_endpoint(lambda body, headers: 500)  # the sender is set by ``stripe``


@pytest.fixture
def tickex(storage: Storage, clock: FixedClock, fake: FakeStripe,
           endpoint: WebhookEndpoint) -> TickEx:  # fmt: skip
    gateway = StripePaymentGateway(
        fake.secret_key, webhook_secrets=[endpoint.secret], clock=clock, base_url=fake.url,
        max_network_retries=0,
    )  # fmt: skip
    return TickEx.in_memory(clock=clock, storage=storage, payments=gateway)


@pytest.fixture
def client(tickex: TickEx) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(tickex)) as test_client:
        yield test_client


@pytest.fixture
def stripe(fake: FakeStripe, endpoint: WebhookEndpoint, client: TestClient[Litestar]) -> Stripe:
    answers: list[dict[str, Any]] = []
    lock = threading.Lock()

    def send(body: bytes, headers: Mapping[str, str]) -> int:
        response = client.post(WEBHOOK, content=body, headers=dict(headers))
        with lock:
            answers.append({"type": json.loads(body)["type"], "status": response.status_code,
                            **response.json()})  # fmt: skip
        return response.status_code

    endpoint.target = send
    return Stripe(fake, endpoint, answers)


@dataclass(frozen=True)
class Shop:
    slug: str
    ga: str  # 25.00 EUR, 5 seats; the buyer pays the 3 % fee on top
    organizer: str


def enabled_account(fake: FakeStripe, tickex: TickEx, organizer_id: str) -> None:
    """The organizer's account (``ACCOUNT``) at the fake can take charges, and TickEx has
    read it back (the onboarding of an organizer whose account exists)."""
    fake.add_account(ACCOUNT, charges_enabled=True, payouts_enabled=True, currently_due=[],
                     disabled_reason=None)  # fmt: skip
    tickex.start_payment_onboarding(StartPaymentOnboarding(organizer_id=organizer_id))


@pytest.fixture
def shop(tickex: TickEx, fake: FakeStripe) -> Shop:
    now = tickex.clock.now()
    org = tickex.create_organizer(CreateOrganizer(name="Nightjar", email="hi@nightjar.example",
                                                  payment_account_id=ACCOUNT))  # fmt: skip
    enabled_account(fake, tickex, org.id)
    event = tickex.create_event(CreateEvent(
        organizer_id=org.id, title="Nightjar Live", slug="nightjar-live",
        starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=30, hours=3),
        venue=VenueInput(name="Harbour Hall", address="1 Quay Street"),
        settings=SettingsInput(currency="EUR")))  # fmt: skip
    ga = tickex.create_ticket_type(CreateTicketType(
        organizer_id=org.id, event_id=event.id, name="General admission", price_minor=2500,
        quantity_total=5))  # fmt: skip
    tickex.publish_event(PublishEvent(organizer_id=org.id, event_id=event.id))
    return Shop("nightjar-live", ga.id, org.id)


def place(client: TestClient[Litestar], shop: Shop, quantity: int = 2,
          email: str = EMAIL) -> dict[str, Any]:  # fmt: skip
    response = client.post("/v1/orders", json={
        "event_slug": shop.slug, "customer_email": email, "customer_name": "Ana",
        "items": [{"ticket_type_id": shop.ga, "quantity": quantity}]})  # fmt: skip
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


def session_of(placed: Mapping[str, Any]) -> str:
    return str(placed["payment_url"]).rsplit("/", 1)[1]


def order(client: TestClient[Litestar], placed: Mapping[str, Any],
          email: str = EMAIL) -> dict[str, Any]:  # fmt: skip
    found: dict[str, Any] = client.get(f"/v1/orders/{placed['order_id']}",
                                       params={"email": email}).json()  # fmt: skip
    return found


def seats_left(client: TestClient[Litestar], shop: Shop) -> int:
    event = client.get(f"/v1/events/{shop.slug}").json()
    (ga,) = event["ticket_types"]
    return int(ga["availability"]["left"])


def event_of(fake: FakeStripe, event_type: str, session_id: str) -> dict[str, Any]:
    (event,) = [e for e in fake.events_of(event_type)
                if e["data"]["object"]["id"] == session_id]  # fmt: skip
    return event


def assert_ledger_balanced(tickex: TickEx) -> None:
    totals: dict[str, int] = {}
    for transaction in tickex.ledger_transactions():
        per_currency: dict[str, int] = {}
        for entry in transaction.entries:
            per_currency[entry.amount.currency] = (per_currency.get(entry.amount.currency, 0)
                                                   + entry.amount.amount_minor)  # fmt: skip
        assert set(per_currency.values()) <= {0}, transaction
        for entry in transaction.entries:
            totals[entry.account] = totals.get(entry.account, 0) + entry.amount.amount_minor
    assert sum(totals.values()) == 0


def stored(tickex: TickEx) -> Any:
    """Everything the storage holds (to prove a request wrote nothing)."""
    storage = tickex.services.storage
    if isinstance(storage, InMemoryStorage):
        return copy.deepcopy(dict(storage.tables))
    assert isinstance(storage, SqlStorage)
    with storage.engine.connect() as connection:
        return {table.name: sorted(map(repr, connection.execute(select(table)).all()))
                for table in schema.metadata.sorted_tables}  # fmt: skip


def emails_for(tickex: TickEx, code: str) -> list[str]:
    return [m.subject for m in tickex.sent_mail() if code in m.subject]


# -- the whole flow ---------------------------------------------------------------------------
def test_an_order_is_paid_on_stripe_checkout_and_the_webhook_issues_its_tickets(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = place(client, shop)
    session_id = session_of(placed)
    session = stripe.fake.session(session_id)
    made = stripe.fake.created_with[session_id]
    assert placed["payment_url"] == session["url"]
    assert (session["amount_total"], session["currency"]) == (5150, "eur")
    assert [(i["price_data"]["product_data"]["name"], i["quantity"], i["price_data"]["unit_amount"])
            for i in made["line_items"]] == [("General admission", "2", "2500"),
                                             ("Service fee", "1", "150")]  # fmt: skip
    assert made["payment_intent_data"]["application_fee_amount"] == "150"
    assert made["payment_intent_data"]["transfer_data"] == {"destination": ACCOUNT}
    assert session["client_reference_id"] == placed["order_id"]
    assert session["metadata"] == {"order_id": placed["order_id"],
                                   "order_code": placed["order_code"],
                                   "destination": ACCOUNT}  # fmt: skip
    assert session["customer_email"] == EMAIL
    assert session["expires_at"] == int((b.T0 + timedelta(minutes=31)).timestamp())
    assert session["success_url"] == (f"http://127.0.0.1:8000/v1/orders/{placed['order_id']}"
                                      f"?email={EMAIL}")  # fmt: skip
    assert seats_left(client, shop) == 3

    page = httpx.get(placed["payment_url"])  # the buyer on Stripe's page
    assert "51.50 EUR" in page.text
    paid = httpx.post(placed["payment_url"], data={"outcome": "paid"})
    assert paid.headers["location"] == session["success_url"]
    assert order(client, placed)["status"] == "pending"  # until Stripe says so
    stripe.fake.deliver()

    assert all(a["status"] == 200 and a["received"] is True for a in stripe.answers)
    assert stripe.outcomes() == ["ignored", "ignored", "paid"]  # charge, intent, session
    got = order(client, placed)
    assert got["status"] == "paid"
    assert len(got["tickets"]) == 2
    assert seats_left(client, shop) == 3
    tickex.process_outbox()
    assert len(emails_for(tickex, placed["order_code"])) == 1
    assert_ledger_balanced(tickex)


# -- signatures ----------------------------------------------------------------------------------
def forged(stripe: Stripe, body: bytes, choice: str) -> tuple[bytes, str | None]:
    now = int(b.T0.timestamp())
    secret = stripe.endpoint.secret
    if choice == "missing":
        return body, None
    if choice == "malformed":
        return body, "v1=abc"
    if choice == "wrong secret":
        return body, signature_header(body, ["whsec_someone_else"], now)
    if choice == "stale":
        return body, signature_header(body, [secret], now - 301)
    if choice == "tampered":
        return body.replace(b'"paid"', b'"paid" '), signature_header(body, [secret], now)
    live = json.dumps({**json.loads(body), "livemode": True}).encode()
    return live, signature_header(live, [secret], now)  # signed, but for the live account


@pytest.mark.parametrize("choice", ["missing", "malformed", "wrong secret", "stale", "tampered",
                                    "other mode"])  # fmt: skip
def test_a_bad_signature_is_a_400_and_writes_nothing(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe, choice: str
) -> None:
    placed = place(client, shop)
    stripe.fake.pay(session_of(placed))
    event = event_of(stripe.fake, "checkout.session.completed", session_of(placed))
    body, signature = forged(stripe, json.dumps(event, indent=2).encode(), choice)
    before = stored(tickex)
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    problem = assert_problem(client.post(WEBHOOK, content=body, headers=headers), 400,
                             "webhook_rejected")  # fmt: skip
    assert stripe.endpoint.secret not in json.dumps(problem)
    assert stored(tickex) == before
    stripe.fake.send(event)  # the genuine delivery still counts: nothing was recorded
    assert stripe.outcomes() == ["paid"]


def test_the_local_provider_takes_no_stripe_webhooks() -> None:
    app = TickEx.in_memory()
    with TestClient(create_app(app)) as local:
        assert_problem(local.post(WEBHOOK, content=b"{}", headers={"Stripe-Signature": "t=1"}),
                       400, "webhook_rejected")  # fmt: skip


# -- duplicates and disorder ----------------------------------------------------------------------
def test_the_same_event_five_times_in_a_row_or_three_at_once_fulfils_once(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    in_a_row = place(client, shop)
    at_once = place(client, shop, email="ben@example.com")
    for placed in (in_a_row, at_once):
        stripe.fake.pay(session_of(placed))
    first = event_of(stripe.fake, "checkout.session.completed", session_of(in_a_row))
    stripe.fake.send(first, times=5)
    assert stripe.outcomes() == ["paid"] + ["duplicate"] * 4
    stripe.answers.clear()
    second = event_of(stripe.fake, "checkout.session.completed", session_of(at_once))
    start = threading.Barrier(3)

    def deliver() -> None:
        start.wait(5)
        stripe.fake.send(second)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(stripe.outcomes()) == ["duplicate", "duplicate", "paid"]
    tickex.process_outbox()
    for placed, email in ((in_a_row, EMAIL), (at_once, "ben@example.com")):
        assert len(order(client, placed, email)["tickets"]) == 2
        assert len(emails_for(tickex, placed["order_code"])) == 1
        sales = [t for t in tickex.ledger_transactions()
                 if t.order_id == placed["order_id"] and t.kind == "sale"]  # fmt: skip
        assert len(sales) == 1
    assert seats_left(client, shop) == 1
    assert_ledger_balanced(tickex)


def test_events_delivered_in_reverse_and_twice_end_as_in_order(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = place(client, shop)
    stripe.fake.pay(session_of(placed), outcome="processing")
    stripe.fake.settle(session_of(placed))
    stripe.fake.deliver(order="reverse", times=2)  # succeeded, then completed (unpaid)
    assert stripe.outcomes("checkout.session.async_payment_succeeded") == ["paid", "duplicate"]
    assert stripe.outcomes("checkout.session.completed") == ["awaiting_payment"] * 2
    got = order(client, placed)
    assert (got["status"], len(got["tickets"])) == ("paid", 2)
    assert_ledger_balanced(tickex)


def test_an_expiry_after_the_payment_is_ignored(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = place(client, shop)
    stripe.fake.pay(session_of(placed))
    stripe.fake.deliver()
    late = event_of(stripe.fake, "checkout.session.completed", session_of(placed))
    late.update(id="evt_late_expiry", type="checkout.session.expired")
    late["data"]["object"]["status"] = "expired"
    stripe.fake.send(late)
    assert stripe.outcomes("checkout.session.expired") == ["ignored"]
    got = order(client, placed)
    assert (got["status"], len(got["tickets"])) == ("paid", 2)
    assert {t["status"] for t in got["tickets"]} == {"active"}
    assert seats_left(client, shop) == 3  # the seats stay sold
    assert_ledger_balanced(tickex)


def test_an_expired_session_releases_the_hold(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe, clock: FixedClock
) -> None:
    placed = place(client, shop)
    assert seats_left(client, shop) == 3
    clock.advance(timedelta(minutes=31))
    assert stripe.fake.expire_due() == [session_of(placed)]
    stripe.fake.deliver(times=2)
    assert stripe.outcomes() == ["expired", "duplicate"]
    assert order(client, placed)["status"] == "expired"
    assert seats_left(client, shop) == 5
    assert tickex.expire_holds().released == 0  # nothing left for the sweeper


# -- delayed payment methods --------------------------------------------------------------------
def test_a_delayed_payment_is_fulfilled_when_it_settles(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = place(client, shop)
    stripe.fake.pay(session_of(placed), outcome="processing")
    stripe.fake.deliver()
    assert stripe.outcomes("checkout.session.completed") == ["awaiting_payment"]
    assert order(client, placed)["status"] == "pending"
    assert order(client, placed)["tickets"] == []
    stripe.fake.settle(session_of(placed))
    stripe.fake.deliver()
    assert stripe.outcomes("checkout.session.async_payment_succeeded") == ["paid"]
    got = order(client, placed)
    assert (got["status"], len(got["tickets"])) == ("paid", 2)
    tickex.process_outbox()
    assert len(emails_for(tickex, placed["order_code"])) == 1
    assert_ledger_balanced(tickex)


def test_a_failed_delayed_payment_fails_the_order_and_gives_the_seats_back(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = place(client, shop)
    stripe.fake.pay(session_of(placed), outcome="processing")
    stripe.fake.settle(session_of(placed), succeeded=False)
    stripe.fake.deliver(order="reverse")  # the failure first, then completed (unpaid)
    assert stripe.outcomes("checkout.session.async_payment_failed") == ["payment_failed"]
    assert stripe.outcomes("checkout.session.completed") == ["awaiting_payment"]
    got = order(client, placed)
    assert (got["status"], got["tickets"]) == ("failed", [])
    assert seats_left(client, shop) == 5
    tickex.process_outbox()
    assert emails_for(tickex, placed["order_code"]) == [
        f"Order {placed['order_code']}: your payment did not go through"]  # fmt: skip
    assert tickex.ledger_transactions() == ()


# -- mismatches -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "said"),
    [({"amount_total": 5149}, "paid 51.49 EUR, the order's total is 51.50 EUR"),
     ({"currency": "usd"}, "paid in USD, the order is in EUR"),
     ({"client_reference_id": "another-order"}, "the session names order another-order")],
)  # fmt: skip
def test_a_payment_that_does_not_match_its_order_is_flagged_and_not_fulfilled(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe,
    caplog: pytest.LogCaptureFixture, change: dict[str, Any], said: str,
) -> None:  # fmt: skip
    placed = place(client, shop)
    stripe.fake.pay(session_of(placed))
    event = event_of(stripe.fake, "checkout.session.completed", session_of(placed))
    event["data"]["object"].update(change)
    with caplog.at_level(logging.WARNING, logger="tickex.payments"):
        stripe.fake.send(event, times=2)
    # acknowledged: Stripe stops resending; the second delivery is the same event
    assert stripe.outcomes() == ["flagged", "duplicate"]
    (record,) = [r for r in caplog.records if r.name == "tickex.payments"]
    assert said in record.getMessage()
    assert event["id"] in record.getMessage()
    assert placed["order_id"] in record.getMessage()
    assert EMAIL not in record.getMessage()
    got = order(client, placed)
    assert (got["status"], got["tickets"]) == ("pending", [])
    assert tickex.ledger_transactions() == ()


def test_a_paid_session_that_is_not_the_orders_checkout_is_flagged(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    placed = place(client, shop)
    stripe.fake.pay(session_of(placed))
    event = event_of(stripe.fake, "checkout.session.completed", session_of(placed))
    event["data"]["object"]["id"] = "cs_test_made_elsewhere"
    foreign = copy.deepcopy(event)
    foreign["data"]["object"]["client_reference_id"] = None
    foreign["data"]["object"]["metadata"] = {}
    with caplog.at_level(logging.WARNING, logger="tickex.payments"):
        stripe.fake.send(event)
        stripe.fake.send({**foreign, "id": "evt_foreign"})  # another integration's session
    assert stripe.outcomes() == ["flagged", "ignored"]
    assert len([r for r in caplog.records if r.name == "tickex.payments"]) == 1
    assert order(client, placed)["status"] == "pending"


# -- refunds ---------------------------------------------------------------------------------
def test_an_organizer_refund_takes_the_organizers_share_back_from_their_transfer(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    """As the ledger books it: a refund leaves the organizer's payable and the platform
    returns its share of the fee (the event's policy), so Stripe reverses the organizer's
    transfer and refunds the application fee in proportion, never from the platform's own
    balance."""
    placed = place(client, shop)
    stripe.fake.pay(session_of(placed))
    stripe.fake.deliver()
    ticket = order(client, placed)["tickets"][0]["id"]
    refunded = tickex.refund_order(RefundOrder(organizer_id=shop.organizer,
                                               order_id=placed["order_id"],
                                               ticket_ids=[ticket]))  # fmt: skip
    assert tickex.process_outbox().dead == 0
    (refund,) = stripe.fake.objects["refund"].values()
    assert refund["amount"] == refunded.refunded_amount.amount_minor == 2575  # 25.00 + 3 %
    options = stripe.fake.refund_options[refund["id"]]
    assert (options["reverse_transfer"], options["refund_application_fee"]) == (True, True)
    assert_ledger_balanced(tickex)


# -- holds that end before the session -------------------------------------------------------
def test_a_session_still_open_when_its_hold_ends_is_expired_at_stripe_first(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe, clock: FixedClock
) -> None:
    swept, cancelled = place(client, shop), place(client, shop, email="ben@example.com")
    tickex.cancel_order(CancelOrder(order_id=cancelled["order_id"],
                                    customer_email="ben@example.com"))  # fmt: skip
    clock.advance(timedelta(minutes=16))  # the hold (15 min) ends, the session (31) would not
    assert tickex.expire_holds().released == 1
    for placed in (swept, cancelled):
        assert stripe.fake.session(session_of(placed))["status"] == "expired"
    assert [r[1] for r in stripe.fake.requests if r[0] == "POST"][-2:] == [
        f"/v1/checkout/sessions/{session_of(p)}/expire" for p in (cancelled, swept)]  # fmt: skip
    stripe.fake.deliver()
    assert stripe.outcomes() == ["ignored", "ignored"]  # the orders had already ended
    assert seats_left(client, shop) == 5


def test_a_payment_after_the_hold_ended_and_the_seats_were_sold_is_refunded_through_stripe(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe, clock: FixedClock
) -> None:
    late = place(client, shop, quantity=5)
    clock.advance(timedelta(minutes=16))
    stripe.fake.fail_next(503)  # Stripe is down while the sweeper runs: the session stays open
    assert tickex.expire_holds().released == 1
    other = place(client, shop, quantity=5, email="ben@example.com")
    stripe.fake.pay(session_of(other))
    stripe.fake.pay(session_of(late))  # within the session's 31 minutes
    stripe.fake.deliver()
    assert stripe.outcomes("checkout.session.completed") == ["paid", "late_refunded"]
    assert seats_left(client, shop) == 0
    assert order(client, late)["status"] == "refunded"
    assert order(client, late)["tickets"] == []
    assert tickex.process_outbox().dead == 0
    (refund,) = stripe.fake.objects["refund"].values()
    intent = stripe.fake.session(session_of(late))["payment_intent"]
    assert (refund["payment_intent"], refund["amount"]) == (intent, 12875)  # all of it
    assert stripe.fake.refund_options[refund["id"]]["idempotency_key"] == (
        f"refund:{late['order_id']}:at-once")  # fmt: skip
    assert len(order(client, other, "ben@example.com")["tickets"]) == 5
    assert_ledger_balanced(tickex)


def test_a_checkout_stripe_refuses_for_good_is_a_502_and_gives_the_seats_back(
    client: TestClient[Litestar], shop: Shop, stripe: Stripe, caplog: pytest.LogCaptureFixture
) -> None:
    """Not an outage (503, try again) but a refusal: the same request would be refused
    again, so the buyer is not told to retry, and the operator finds Stripe's reason in
    the log."""
    stripe.fake.fail_next(400, message="Invalid destination", code="account_invalid")
    with caplog.at_level(logging.ERROR, logger="tickex.payments"):
        response = client.post("/v1/orders", json={
            "event_slug": shop.slug, "customer_email": EMAIL,
            "items": [{"ticket_type_id": shop.ga, "quantity": 2}]})  # fmt: skip
    assert_problem(response, 502, "payment_refused")
    assert "account_invalid" not in response.text
    assert [r.getMessage() for r in caplog.records if "account_invalid" in r.getMessage()]
    assert seats_left(client, shop) == 5
    stripe.fake.fail_next(503)
    response = client.post("/v1/orders", json={
        "event_slug": shop.slug, "customer_email": EMAIL,
        "items": [{"ticket_type_id": shop.ga, "quantity": 2}]})  # fmt: skip
    assert_problem(response, 503, "payment_unavailable")
