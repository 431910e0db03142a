"""``StripePaymentGateway`` over real HTTP against the local fake of Stripe
(``tickex.testing.fake_stripe``): the payment contract, the Checkout Session as Stripe
takes it, idempotency keys, which failures are retryable, webhook signatures with the real
algorithm, and every Stripe fixture the adapter reads (Stripe's own published examples)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe

from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.stripe_payments import (
    StripePaymentGateway,
    charge_state,
    checkout_state,
    dispute_state,
    notification,
    refund_receipt,
)
from tickex.domain.money import Money
from tickex.ports.payment import (
    ChargeState,
    CheckoutLine,
    CheckoutRequest,
    CheckoutStatus,
    ConnectedAccountRequest,
    ConnectedAccountState,
    DisputeOutcome,
    DisputeState,
    NotificationKind,
    PaymentError,
    PaymentGateway,
    PaymentStatus,
    PayoutState,
    RefundReceipt,
    RefundRequest,
    WebhookRejected,
)
from tickex.testing import builders as b
from tickex.testing.contracts import PaymentGatewayContract
from tickex.testing.fake_stripe import FakeStripe, fixtures, signature_header

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "stripe" / "fixtures3.json"
SECRET = "whsec_test_endpoint_secret"
ACCOUNT = "acct_1Organizer"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(b.T0)


@pytest.fixture
def fake(clock: FixedClock) -> Iterator[FakeStripe]:
    with FakeStripe(clock=clock) as server:
        yield server


def gateway_for(fake: FakeStripe, clock: FixedClock, **options: Any) -> StripePaymentGateway:
    settings: dict[str, Any] = {
        "webhook_secrets": [SECRET], "clock": clock, "base_url": fake.url,
        "max_network_retries": 0, **options,
    }  # fmt: skip
    return StripePaymentGateway(fake.secret_key, **settings)


@pytest.fixture
def gateway(fake: FakeStripe, clock: FixedClock) -> StripePaymentGateway:
    return gateway_for(fake, clock)


def seen_request(fake: FakeStripe, reference: str) -> CheckoutRequest:
    """The checkout request a session was made of, read back from what Stripe holds."""
    session, made = fake.session(reference), fake.created_with[reference]
    intent = made.get("payment_intent_data", {})
    currency = session["currency"].upper()
    return CheckoutRequest(
        order_id=session["client_reference_id"], order_code=session["metadata"]["order_code"],
        amount=Money(session["amount_total"], currency),
        platform_fee=Money(int(intent.get("application_fee_amount", 0)), currency),
        description=intent["description"], customer_email=session["customer_email"],
        expires_at=datetime.fromtimestamp(session["expires_at"], UTC),
        organizer_account_id=intent.get("transfer_data", {}).get("destination"),
    )  # fmt: skip


def seen_refunds(fake: FakeStripe) -> list[RefundRequest]:
    by_intent = {s["payment_intent"]: s["id"] for s in fake.objects["checkout.session"].values()}
    return [RefundRequest(by_intent[r["payment_intent"]], Money(r["amount"], r["currency"].upper()),
                          fake.refund_options[r["id"]]["idempotency_key"])
            for r in fake.objects["refund"].values()]  # fmt: skip


class TestStripePaymentGateway(PaymentGatewayContract):
    organizer_account = ACCOUNT

    @pytest.fixture
    def gateway(self, fake: FakeStripe, clock: FixedClock) -> PaymentGateway:
        self.fake = fake
        return gateway_for(fake, clock)

    def checkout_seen(self, gateway: PaymentGateway, reference: str) -> CheckoutRequest:
        return seen_request(self.fake, reference)

    def refunds_seen(self, gateway: PaymentGateway) -> list[RefundRequest]:
        return seen_refunds(self.fake)

    def settle(self, gateway: PaymentGateway, reference: str) -> None:
        self.fake.pay(reference)


def request(order_id: str = "o1", **fields: Any) -> CheckoutRequest:
    values: dict[str, Any] = {
        "order_id": order_id, "order_code": "ABCD2345", "amount": Money(5150, "EUR"),
        "platform_fee": Money(150, "EUR"), "description": "Nightjar - order ABCD2345",
        "customer_email": "ana@example.com", "expires_at": b.T0 + timedelta(minutes=15),
        "organizer_account_id": ACCOUNT, **fields,
    }  # fmt: skip
    return CheckoutRequest(**values)


# -- the Checkout Session -------------------------------------------------------------------
def test_a_session_has_a_line_per_ticket_type_with_its_discount_and_the_fee_on_top(
    fake: FakeStripe, gateway: StripePaymentGateway
) -> None:
    lines = (
        CheckoutLine("General admission", 2, Money(4500, "EUR"), discount=Money(500, "EUR")),
        CheckoutLine("VIP", 3, Money(10000, "EUR")),  # 3 into 100.00 does not go: one line
        CheckoutLine("Service fee", 1, Money(435, "EUR")),
    )
    session = gateway.create_checkout(request(amount=Money(14935, "EUR"), platform_fee=Money(
        435, "EUR"), lines=lines, success_url="https://shop.example/ok?s={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/cancelled"))  # fmt: skip
    made = fake.created_with[session.reference]
    assert [(item["quantity"], item["price_data"]) for item in made["line_items"]] == [
        ("2", {"currency": "eur", "unit_amount": "2250", "product_data": {
            "name": "General admission", "description": "Includes a discount of 5.00 EUR"}}),
        ("1", {"currency": "eur", "unit_amount": "10000", "product_data": {"name": "VIP x 3"}}),
        ("1", {"currency": "eur", "unit_amount": "435", "product_data": {"name": "Service fee"}}),
    ]  # fmt: skip
    stored = fake.session(session.reference)
    assert stored["amount_total"] == 14935
    assert (stored["client_reference_id"], stored["metadata"]) == (
        "o1", {"order_id": "o1", "order_code": "ABCD2345", "destination": ACCOUNT})  # fmt: skip
    assert stored["customer_email"] == "ana@example.com"
    assert stored["success_url"] == "https://shop.example/ok?s={CHECKOUT_SESSION_ID}"
    assert stored["cancel_url"] == "https://shop.example/cancelled"
    assert made["payment_intent_data"]["application_fee_amount"] == "435"
    assert made["payment_intent_data"]["transfer_data"] == {"destination": ACCOUNT}
    assert session.url == stored["url"]


def test_without_a_connected_account_no_application_fee_is_asked(
    fake: FakeStripe, gateway: StripePaymentGateway
) -> None:
    session = gateway.create_checkout(request(organizer_account_id=None))
    intent = fake.created_with[session.reference]["payment_intent_data"]
    assert "application_fee_amount" not in intent  # Stripe refuses a fee without a payee
    assert "transfer_data" not in intent
    assert seen_request(fake, session.reference).amount == Money(5150, "EUR")


def test_lines_that_do_not_add_up_to_the_amount_are_refused_before_stripe_is_asked(
    fake: FakeStripe, gateway: StripePaymentGateway
) -> None:
    with pytest.raises(PaymentError, match="add up") as refused:
        gateway.create_checkout(request(lines=(CheckoutLine("GA", 2, Money(5000, "EUR")),)))
    assert not refused.value.retryable
    assert fake.requests == []


@pytest.mark.parametrize(
    ("hold", "expected"),
    [(timedelta(minutes=15), timedelta(minutes=31)),  # shorter than Stripe allows
     (timedelta(hours=2), timedelta(hours=2)),  # as held
     (timedelta(days=2), timedelta(hours=24) - timedelta(minutes=1))],  # at most a day
)  # fmt: skip
def test_the_session_expires_with_the_hold_within_stripes_bounds(
    fake: FakeStripe, gateway: StripePaymentGateway, hold: timedelta, expected: timedelta
) -> None:
    session = gateway.create_checkout(request(expires_at=b.T0 + hold))
    assert fake.session(session.reference)["expires_at"] == int((b.T0 + expected).timestamp())


def test_the_fake_refuses_an_expiry_outside_stripes_bounds(
    fake: FakeStripe, clock: FixedClock
) -> None:
    late = gateway_for(fake, FixedClock(b.T0 - timedelta(minutes=5)))  # our clock is behind
    with pytest.raises(PaymentError, match=r"400 invalid_request_error .* expires_at") as exc:
        late.create_checkout(request())
    assert not exc.value.retryable


def test_every_post_carries_an_idempotency_key_and_a_retry_makes_no_second_session(
    fake: FakeStripe, gateway: StripePaymentGateway
) -> None:
    first = gateway.create_checkout(request("o7"))
    again = gateway.create_checkout(request("o7"))
    assert first == again
    assert len(fake.objects["checkout.session"]) == 1
    fake.pay(first.reference)
    gateway.refund(RefundRequest(first.reference, Money(100, "EUR"), "refund:o7:1"))
    gateway.expire_checkout(first.reference)
    posts = [(path, key) for method, path, _, key in fake.requests if method == "POST"]
    assert posts == [
        ("/v1/checkout/sessions", "tickex:checkout:o7"),
        ("/v1/checkout/sessions", "tickex:checkout:o7"),
        ("/v1/refunds", "refund:o7:1"),
        (f"/v1/checkout/sessions/{first.reference}/expire", f"tickex:expire:{first.reference}"),
    ]


# -- refunds and expiry ---------------------------------------------------------------------
def test_a_refund_returns_part_of_the_payment_with_the_connect_options_asked(
    fake: FakeStripe, gateway: StripePaymentGateway
) -> None:
    session = gateway.create_checkout(request())
    fake.pay(session.reference)
    receipt = gateway.refund(RefundRequest(session.reference, Money(2000, "EUR"), "r:1",
                                           reason="goodwill", reverse_transfer=True,
                                           refund_application_fee=False))  # fmt: skip
    (refund,) = fake.objects["refund"].values()
    assert receipt == RefundReceipt(refund["id"])
    assert (refund["amount"], refund["metadata"]) == (2000, {"reason": "goodwill"})
    assert fake.refund_options[refund["id"]] == {
        "reverse_transfer": True,
        "refund_application_fee": False,
        "idempotency_key": "r:1",
    }
    charge = fake.objects["charge"][fake.objects["payment_intent"][refund["payment_intent"]][
        "latest_charge"]]  # fmt: skip
    assert (charge["amount_refunded"], charge["refunded"]) == (2000, False)


def test_a_payment_to_no_organizer_account_is_refunded_by_the_platform_without_connect(
    fake: FakeStripe, gateway: StripePaymentGateway
) -> None:
    """The refund outbox always asks for the ledger's split (reverse the organizer's
    transfer, return the fee share); a platform charge has no transfer, and Stripe refuses
    ``reverse_transfer`` on it, so the adapter leaves the options out."""
    session = gateway.create_checkout(request(organizer_account_id=None))
    assert "destination" not in fake.session(session.reference)["metadata"]
    fake.pay(session.reference)
    gateway.refund(RefundRequest(session.reference, Money(500, "EUR"), "r:platform",
                                 reverse_transfer=True, refund_application_fee=True))  # fmt: skip
    (sent,) = [params for method, path, params, _ in fake.requests if path == "/v1/refunds"]
    assert "reverse_transfer" not in sent
    assert "refund_application_fee" not in sent
    assert len(fake.objects["refund"]) == 1


def test_an_unpaid_session_or_too_large_a_refund_is_refused_for_good(
    fake: FakeStripe, gateway: StripePaymentGateway
) -> None:
    session = gateway.create_checkout(request())
    with pytest.raises(PaymentError, match="no payment") as unpaid:
        gateway.refund(RefundRequest(session.reference, Money(100, "EUR"), "r:unpaid"))
    fake.pay(session.reference)
    with pytest.raises(PaymentError, match="400 invalid_request_error amount_too_large") as big:
        gateway.refund(RefundRequest(session.reference, Money(5151, "EUR"), "r:big"))
    assert not unpaid.value.retryable
    assert not big.value.retryable
    assert fake.objects["refund"] == {}


def test_expiring_closes_an_open_session_and_leaves_a_finished_one(
    fake: FakeStripe, gateway: StripePaymentGateway
) -> None:
    open_one = gateway.create_checkout(request("o1"))
    paid = gateway.create_checkout(request("o2"))
    fake.pay(paid.reference)
    gateway.expire_checkout(open_one.reference)
    gateway.expire_checkout(open_one.reference)  # again: nothing more
    gateway.expire_checkout(paid.reference)
    assert fake.session(open_one.reference)["status"] == "expired"
    assert fake.session(paid.reference)["status"] == "complete"
    assert len(fake.events_of("checkout.session.expired")) == 1
    assert gateway.checkout_state(open_one.reference).status is CheckoutStatus.EXPIRED


# -- failures --------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (429, True),
                                                   (409, True), (400, False), (402, False),
                                                   (404, False)])  # fmt: skip
def test_which_refusals_the_outbox_may_retry(
    fake: FakeStripe, gateway: StripePaymentGateway, status: int, retryable: bool
) -> None:
    fake.fail_next(status)
    with pytest.raises(PaymentError) as failed:
        gateway.create_checkout(request())
    assert failed.value.retryable is retryable
    assert str(status) in str(failed.value)


def test_a_wrong_key_is_refused_for_good_and_never_said(
    fake: FakeStripe, clock: FixedClock
) -> None:
    key = "sk_test_wrong_key_Z9y8X7w6"
    wrong = StripePaymentGateway(key, webhook_secrets=[SECRET], clock=clock, base_url=fake.url,
                                 max_network_retries=0)  # fmt: skip
    with pytest.raises(PaymentError, match="401") as refused:
        wrong.create_checkout(request())
    assert not refused.value.retryable
    assert key not in str(refused.value)
    assert key not in repr(wrong)
    assert "Z9y8X7w6" not in str(refused.value)


def test_an_unreachable_stripe_is_retryable(clock: FixedClock) -> None:
    with FakeStripe(clock=clock) as gone:
        url = gone.url
    unreachable = StripePaymentGateway("sk_test_x", webhook_secrets=[SECRET], clock=clock,
                                       base_url=url, max_network_retries=0)  # fmt: skip
    with pytest.raises(PaymentError, match="did not answer") as failed:
        unreachable.create_checkout(request())
    assert failed.value.retryable


def test_the_sdk_retries_a_failure_with_the_same_key_and_makes_one_session(
    fake: FakeStripe, clock: FixedClock
) -> None:
    patient = gateway_for(fake, clock, max_network_retries=2)
    fake.fail_next(503)
    session = patient.create_checkout(request())
    assert len(fake.objects["checkout.session"]) == 1
    assert [key for _, _, _, key in fake.requests] == ["tickex:checkout:o1"] * 2
    assert session.reference in fake.objects["checkout.session"]


@pytest.mark.parametrize("base_url", ["http://stripe.example", "ftp://127.0.0.1"])
def test_plain_http_is_only_for_a_local_fake(clock: FixedClock, base_url: str) -> None:
    with pytest.raises(ValueError, match="https"):
        StripePaymentGateway("sk_test_x", webhook_secrets=[SECRET], clock=clock, base_url=base_url)


def test_a_key_and_a_webhook_secret_are_required(clock: FixedClock) -> None:
    with pytest.raises(ValueError, match="sk_"):
        StripePaymentGateway("pk_test_x", webhook_secrets=[SECRET], clock=clock)
    with pytest.raises(ValueError, match="webhook"):
        StripePaymentGateway("sk_test_x", webhook_secrets=[" "], clock=clock)


# -- webhook signatures ------------------------------------------------------------------------
def signed_event(fake: FakeStripe, gateway: StripePaymentGateway) -> bytes:
    session = gateway.create_checkout(request())
    fake.pay(session.reference)
    (event,) = fake.events_of("checkout.session.completed")
    return json.dumps(event, indent=2).encode()


def header(payload: bytes, *secrets: str, at: datetime = b.T0) -> str:
    return signature_header(payload, secrets or (SECRET,), int(at.timestamp()))


def test_a_signed_event_is_read_and_stripes_own_sdk_agrees_with_the_signature(
    fake: FakeStripe, gateway: StripePaymentGateway
) -> None:
    payload = signed_event(fake, gateway)
    signature = header(payload, at=datetime.now(UTC))  # the SDK checks against the real time
    assert stripe.WebhookSignature.verify_header(payload, signature, SECRET, tolerance=300)
    got = gateway_for(fake, FixedClock(datetime.now(UTC))).parse_webhook(payload, signature)
    assert got.kind is NotificationKind.CHECKOUT_COMPLETED
    assert got.checkout is not None
    assert got.checkout.payment_status is PaymentStatus.PAID


@pytest.mark.parametrize(
    ("forge", "reason"),
    [(lambda p: None, "no Stripe-Signature"),
     (lambda p: "", "no Stripe-Signature"),
     (lambda p: "garbage", "no valid timestamp"),
     (lambda p: f"t={int(b.T0.timestamp())}", "no v1"),
     (lambda p: header(p).replace("v1=", "v0="), "no v1"),
     (lambda p: header(p, "whsec_someone_else"), "no signature matches"),
     (lambda p: header(p + b" "), "no signature matches"),  # signed another body
     (lambda p: header(p, at=b.T0 - timedelta(seconds=301)), "-?301 s from now"),
     (lambda p: header(p, at=b.T0 + timedelta(seconds=301)), "301 s from now"),
     (lambda p: header(p) + ",t=1", "no valid timestamp"),
     (lambda p: "x" * 5000, "too long")],
)  # fmt: skip
def test_a_missing_malformed_foreign_or_stale_signature_is_rejected(
    fake: FakeStripe, gateway: StripePaymentGateway, forge: Any, reason: str
) -> None:
    payload = signed_event(fake, gateway)
    with pytest.raises(WebhookRejected, match=reason) as rejected:
        gateway.parse_webhook(payload, forge(payload))
    assert SECRET not in str(rejected.value)


def test_any_v1_signature_and_any_configured_secret_may_match(
    fake: FakeStripe, clock: FixedClock
) -> None:
    rotating = gateway_for(fake, clock, webhook_secrets=["whsec_new", SECRET])
    payload = signed_event(fake, rotating)
    for signature in (
        header(payload, "whsec_unknown", SECRET),  # Stripe rolling its secret
        header(payload, "whsec_new"),  # the new secret alone
        header(payload, SECRET),  # the old one, still configured
        header(payload, at=b.T0 - timedelta(seconds=300)),
    ):  # at the limit
        assert rotating.parse_webhook(payload, signature).event_id  # fmt: skip


def test_an_event_of_the_other_mode_or_not_an_event_is_rejected(
    fake: FakeStripe, gateway: StripePaymentGateway, clock: FixedClock
) -> None:
    event = json.loads(signed_event(fake, gateway))
    live = json.dumps({**event, "livemode": True}).encode()
    with pytest.raises(WebhookRejected, match="live-mode event for a test-mode key"):
        gateway.parse_webhook(live, header(live))
    live_gateway = StripePaymentGateway("sk_live_x", webhook_secrets=[SECRET], clock=clock)
    test_mode = json.dumps(event).encode()
    with pytest.raises(WebhookRejected, match="test-mode event for a live-mode key"):
        live_gateway.parse_webhook(test_mode, header(test_mode))
    for body, reason in ((b"not json", "not JSON"), (b"[1]", "not a Stripe event"),
                         (b"\xff\xfe", "not JSON"),
                         (b"[" * 100_000 + b"]" * 100_000, "not JSON")):  # fmt: skip
        with pytest.raises(WebhookRejected, match=reason):
            gateway.parse_webhook(body, header(body))


# -- Stripe's own example objects ------------------------------------------------------------
def published() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"]
    return loaded


def test_the_fakes_objects_are_stripes_published_examples_unchanged() -> None:
    full = published()
    assert fixtures() == {kind: full[kind] for kind in fixtures()}


def wrap(obj: dict[str, Any], event_type: str) -> bytes:
    event = copy.deepcopy(published()["event"])
    event.update(type=event_type, data={"object": obj})
    return json.dumps(event).encode()


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [("checkout.session.completed", NotificationKind.CHECKOUT_COMPLETED),
     ("checkout.session.async_payment_succeeded", NotificationKind.ASYNC_PAYMENT_SUCCEEDED),
     ("checkout.session.async_payment_failed", NotificationKind.ASYNC_PAYMENT_FAILED),
     ("checkout.session.expired", NotificationKind.CHECKOUT_EXPIRED)],
)  # fmt: skip
def test_the_published_checkout_session_in_each_handled_event(
    gateway: StripePaymentGateway, event_type: str, kind: NotificationKind
) -> None:
    session = published()["checkout.session"]
    payload = wrap(session, event_type)
    got = gateway.parse_webhook(payload, header(payload))
    assert (got.provider, got.event_id, got.event_type, got.kind) == (
        "stripe", published()["event"]["id"], event_type, kind)  # fmt: skip
    assert got.occurred_at == datetime.fromtimestamp(published()["event"]["created"], UTC)
    assert got.checkout == checkout_state(session)
    assert got.checkout is not None
    assert (got.checkout.reference, got.checkout.status, got.checkout.payment_status) == (
        session["id"], CheckoutStatus.OPEN, PaymentStatus.UNPAID)  # fmt: skip
    assert got.checkout.amount is None  # the example has no amount_total
    assert got.checkout.payment_id == session["payment_intent"]
    assert got.checkout.order_id is None  # nor a client_reference_id


@pytest.mark.parametrize(
    ("resource", "event_type"),
    [("event", "plan.created"), ("payment_intent", "payment_intent.succeeded"),
     ("charge", "charge.succeeded"), ("refund", "refund.created"),
     ("balance_transaction", "balance.available"), ("payout", "payout.created"),
     ("application_fee", "application_fee.created"), ("transfer", "transfer.created")],
)  # fmt: skip
def test_every_other_published_object_is_acknowledged_as_an_event_tickex_does_not_act_on(
    gateway: StripePaymentGateway, resource: str, event_type: str
) -> None:
    payload = (json.dumps(published()["event"]).encode() if resource == "event"
               else wrap(published()[resource], event_type))  # fmt: skip
    got = gateway.parse_webhook(payload, header(payload))
    assert (got.kind, got.event_type, got.checkout) == (NotificationKind.OTHER, event_type, None)


def test_the_published_account_in_account_updated_is_its_state_as_sent() -> None:
    account = published()["account"]
    got = notification(json.loads(wrap(account, "account.updated")))
    assert (got.kind, got.checkout) == (NotificationKind.ACCOUNT_UPDATED, None)
    assert got.account == ConnectedAccountState(
        account_id=account["id"], charges_enabled=False, payouts_enabled=False,
        requirements_due=tuple(account["requirements"]["currently_due"]),
        disabled_reason="requirements.past_due",
    )  # fmt: skip
    enabled = {**account, "charges_enabled": True, "payouts_enabled": True,
               "requirements": {**account["requirements"], "currently_due": [],
                                "disabled_reason": None}}  # fmt: skip
    state = notification(json.loads(wrap(enabled, "account.updated"))).account
    assert state == ConnectedAccountState(account["id"], True, True)


def test_an_account_updated_event_without_its_account_is_rejected() -> None:
    with pytest.raises(WebhookRejected, match="without its account"):
        notification(json.loads(wrap(published()["charge"], "account.updated")))


def test_an_express_account_is_opened_once_per_key_and_linked_to_its_onboarding(
    fake: FakeStripe, gateway: StripePaymentGateway
) -> None:
    asked = ConnectedAccountRequest(
        "org1", "hi@nightjar.example", "Nightjar", "tickex:account:org1"
    )
    first = gateway.create_connected_account(asked)
    again = gateway.create_connected_account(asked)  # a retry: the same account
    assert first == again
    assert (first.charges_enabled, first.payouts_enabled) == (False, False)
    assert first.requirements_due  # the published account's requirements are due
    account = fake.account(first.account_id)
    assert (account["type"], account["email"], account["metadata"]) == (
        "express", "hi@nightjar.example", {"organizer_id": "org1"})  # fmt: skip
    assert set(account["capabilities"]) == {"card_payments", "transfers"}
    posts = [r for r in fake.requests if r[:2] == ("POST", "/v1/accounts")]
    assert [r[3] for r in posts] == ["tickex:account:org1"] * 2
    assert len(fake.objects["account"]) == 1
    link = gateway.onboarding_link(
        first.account_id, refresh_url="http://t.example/again",
        return_url="http://t.example/done", idempotency_key="k1",
    )  # fmt: skip
    assert link.url.startswith(fake.url)
    assert link.expires_at > b.T0
    (made,) = fake.account_links
    assert (made["account"], made["type"], made["refresh_url"], made["return_url"]) == (
        first.account_id,
        "account_onboarding",
        "http://t.example/again",
        "http://t.example/done",
    )
    fake.update_account(first.account_id, charges_enabled=True, currently_due=[],
                        disabled_reason=None)  # fmt: skip
    assert gateway.connected_account(first.account_id) == ConnectedAccountState(
        first.account_id, charges_enabled=True, payouts_enabled=False
    )


def test_an_unknown_account_or_a_link_for_it_is_refused_for_good(
    gateway: StripePaymentGateway,
) -> None:
    with pytest.raises(PaymentError, match="404") as caught:
        gateway.connected_account("acct_nobody")
    assert not caught.value.retryable
    with pytest.raises(PaymentError, match="404"):
        gateway.onboarding_link("acct_nobody", refresh_url="http://t.example/a",
                                return_url="http://t.example/b", idempotency_key="k2")  # fmt: skip


def test_the_published_refund_is_a_receipt_and_an_amount_is_read_in_the_ports_currency() -> None:
    refund = published()["refund"]
    assert refund_receipt(refund) == RefundReceipt(refund["id"])
    with pytest.raises(PaymentError):
        refund_receipt(published()["charge"])
    session = {**published()["checkout.session"], "amount_total": 5150, "currency": "eur",
               "client_reference_id": "o1", "status": "complete", "payment_status": "paid",
               "payment_intent": {"id": "pi_expanded", "object": "payment_intent"}}  # fmt: skip
    state = checkout_state(session)
    assert (state.amount, state.order_id, state.payment_id) == (Money(5150, "EUR"), "o1",
                                                                "pi_expanded")  # fmt: skip


def test_a_handled_event_without_its_session_is_rejected() -> None:
    event = {**published()["event"], "type": "checkout.session.completed"}  # a plan inside
    with pytest.raises(WebhookRejected, match="without its checkout session"):
        notification(event)


# -- after the payment: charges, disputes, payouts ------------------------------------------
@pytest.mark.parametrize("event_type", ["charge.refunded", "charge.updated"])
def test_the_published_charge_is_read_with_its_refunds_fee_and_application_fee(
    event_type: str,
) -> None:
    charge = published()["charge"]
    got = notification(json.loads(wrap(charge, event_type)))
    assert (got.kind, got.checkout) == (NotificationKind.CHARGE_CHANGED, None)
    assert got.charge == ChargeState(
        charge_id=charge["id"], payment_id=None, order_id=None, amount=Money(100, "USD"),
        refunded=Money(0, "USD"),  # as sent: neither the fee nor an application fee
    )  # fmt: skip
    expanded = {**charge, "balance_transaction": published()["balance_transaction"],
                "application_fee": {**published()["application_fee"], "amount_refunded": 40},
                "amount_refunded": 60, "payment_intent": {"id": "pi_1", "object": "x"},
                "metadata": {"order_id": "o1"}}  # fmt: skip
    assert charge_state(expanded) == ChargeState(
        charge_id=charge["id"], payment_id="pi_1", order_id="o1", amount=Money(100, "USD"),
        refunded=Money(60, "USD"), processor_fee=Money(0, "USD"),
        platform_fee=Money(100, "USD"), platform_fee_returned=Money(40, "USD"),
    )  # fmt: skip


@pytest.mark.parametrize(
    "event_type",
    ["charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
     "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated"],
)  # fmt: skip
def test_the_published_dispute_is_read_with_its_balance_transactions(event_type: str) -> None:
    dispute = published()["dispute"]
    got = notification(json.loads(wrap(dispute, event_type)))
    assert (got.kind, got.checkout, got.charge) == (NotificationKind.DISPUTE_CHANGED, None, None)
    assert got.dispute == DisputeState(
        dispute_id=dispute["id"], charge_id=dispute["charge"], amount=Money(1000, "USD"),
        status="warning_needs_response", outcome=DisputeOutcome.OPEN,
        withdrawn=Money(0, "USD"), fee=Money(0, "USD"),  # an inquiry: nothing withdrawn yet
    )  # fmt: skip
    txn = published()["balance_transaction"]
    withdrawal = {**txn, "amount": -1000, "fee": 1500}
    reinstated = {**txn, "amount": 1000, "fee": 0}
    for status, outcome, moves, withdrawn in [
        ("needs_response", DisputeOutcome.OPEN, [withdrawal], 1000),
        ("won", DisputeOutcome.WON, [withdrawal, reinstated], 0),
        ("warning_closed", DisputeOutcome.WON, [], 0),
        ("lost", DisputeOutcome.LOST, [withdrawal], 1000),
    ]:
        state = dispute_state({**dispute, "status": status, "balance_transactions": moves})
        assert (state.outcome, state.withdrawn, state.fee) == (
            outcome, Money(withdrawn, "USD"), Money(1500 if moves else 0, "USD"))  # fmt: skip


def test_the_published_payout_is_read_as_the_connected_accounts() -> None:
    payout = published()["payout"]
    event = {**json.loads(wrap(payout, "payout.paid")), "account": ACCOUNT}
    got = notification(event)
    assert (got.kind, got.payout) == (NotificationKind.PAYOUT_PAID, PayoutState(
        payout["id"], ACCOUNT, Money(1100, "USD"), "in_transit"))  # fmt: skip
    platform = notification(json.loads(wrap(payout, "payout.paid")))  # no account: our own
    assert platform.payout is not None
    assert platform.payout.account_id is None


@pytest.mark.parametrize("event_type", ["payout.failed", "payout.canceled"])
def test_the_published_payout_in_a_failed_or_cancelled_payout_event_is_read(
    gateway: StripePaymentGateway, event_type: str
) -> None:
    payout = {**published()["payout"], "status": event_type.removeprefix("payout.")}
    if event_type == "payout.failed":
        payout.update(failure_code="account_closed",
                      failure_message="The bank account has been closed.",
                      failure_balance_transaction="txn_1Pgc7AB7WZ01zgkW")  # fmt: skip
    payload = json.dumps({**json.loads(wrap(payout, event_type)), "account": ACCOUNT}).encode()
    got = gateway.parse_webhook(payload, header(payload))
    assert (got.kind, got.event_type, got.checkout) == (NotificationKind.PAYOUT_FAILED,
                                                         event_type, None)  # fmt: skip
    assert got.payout == PayoutState(payout["id"], ACCOUNT, Money(1100, "USD"), payout["status"])
    platform = notification(json.loads(wrap(published()["payout"], event_type)))
    assert platform.payout is not None
    assert platform.payout.account_id is None  # the platform's own payout


@pytest.mark.parametrize(
    ("resource", "event_type", "said"),
    [("payout", "charge.refunded", "charge"), ("charge", "charge.dispute.closed", "dispute"),
     ("charge", "payout.paid", "payout"), ("charge", "payout.failed", "payout"),
     ("account", "payout.canceled", "payout")],
)  # fmt: skip
def test_an_event_without_the_object_it_is_about_is_rejected(
    resource: str, event_type: str, said: str
) -> None:
    with pytest.raises(WebhookRejected, match=f"without its {said}"):
        notification(json.loads(wrap(published()[resource], event_type)))


def test_a_charge_and_its_dispute_are_read_back_from_stripe(
    gateway: StripePaymentGateway, fake: FakeStripe
) -> None:
    fake.add_account(ACCOUNT, charges_enabled=True)
    session = gateway.create_checkout(request())
    fake.pay(session.reference)
    intent = fake.session(session.reference)["payment_intent"]
    charged = gateway.payment_charge(intent)
    assert charged is not None
    # Stripe's fee on 51.50 EUR: 1.5 % + 0.25; the application fee of 1.50 taken in full
    assert (charged.amount, charged.processor_fee, charged.platform_fee) == (
        Money(5150, "EUR"), Money(102, "EUR"), Money(150, "EUR"))  # fmt: skip
    assert (charged.order_id, charged.payment_id) == ("o1", intent)
    fake.refund_by_hand(session.reference, 2575, reverse_transfer=True,
                        refund_application_fee=True)  # fmt: skip
    again = gateway.charge(charged.charge_id)
    assert (again.refunded, again.platform_fee_returned) == (Money(2575, "EUR"), Money(75, "EUR"))
    dispute = fake.dispute(session.reference, amount=2575)
    read = gateway.dispute(dispute["id"])
    assert (read.charge_id, read.outcome, read.withdrawn, read.fee) == (
        charged.charge_id, DisputeOutcome.OPEN, Money(2575, "EUR"), Money(1500, "EUR"))  # fmt: skip
    fake.close_dispute(dispute["id"], won=True)
    assert gateway.dispute(dispute["id"]).withdrawn == Money(0, "EUR")


def test_reading_back_what_stripe_does_not_have_is_refused_for_good(
    gateway: StripePaymentGateway,
) -> None:
    for read in (gateway.charge, gateway.dispute, gateway.payment_charge):
        with pytest.raises(PaymentError, match="404") as caught:
            read("xx_nothing")
        assert not caught.value.retryable
        assert caught.value.missing  # nothing to retry: the webhook flags it for review
