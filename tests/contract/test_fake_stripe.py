"""The fake Stripe server on the wire, without the SDK: form encoding, keys, Stripe's error
shapes and statuses, idempotency, what paying makes, and webhook delivery (signed,
duplicated, reordered, lost, failing, to a URL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import stripe

from tickex.adapters.memory.clock import FixedClock
from tickex.testing import builders as b
from tickex.testing.fake_stripe import FakeStripe, StripeFailure, decode_form

KEY = "sk_test_fake_0123456789abcdef"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(b.T0)


@pytest.fixture
def fake(clock: FixedClock) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, clock=clock) as server:
        yield server


@pytest.fixture
def http(fake: FakeStripe) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {KEY}"}) as client:
        yield client


def session_form(**extra: str) -> dict[str, str]:
    form = {
        "mode": "payment",
        "line_items[0][quantity]": "2",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "2500",
        "line_items[0][price_data][product_data][name]": "General admission",
        "client_reference_id": "order-1",
        "metadata[order_id]": "order-1",
        "customer_email": "ana@example.com",
        "expires_at": str(int((b.T0 + timedelta(hours=1)).timestamp())),
        "payment_intent_data[application_fee_amount]": "150",
        "payment_intent_data[transfer_data][destination]": "acct_1Organizer",
    }
    form.update(extra)
    return form


def create(http: httpx.Client, key: str | None = None, **extra: str) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return http.post("/v1/checkout/sessions", data=session_form(**extra), headers=headers)


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    assert body["error"]["type"] in {"invalid_request_error", "idempotency_error", "api_error",
                                     "card_error"}  # fmt: skip
    assert body["error"]["message"]
    assert response.headers["request-id"].startswith("req_")
    return dict(body["error"])


def test_stripes_bracket_notation_decodes_to_nested_objects_and_lists() -> None:
    assert decode_form("a[b][0][c]=1&a[b][1][c]=2&a[d]=x&e=&f[g]=%5Bok%5D") == {
        "a": {"b": [{"c": "1"}, {"c": "2"}], "d": "x"}, "e": "", "f": {"g": "[ok]"}}  # fmt: skip


def test_a_session_is_made_of_the_form_and_answered_as_stripes_object(
    http: httpx.Client, fake: FakeStripe
) -> None:
    answer = create(http)
    assert answer.status_code == 200, answer.text
    session = answer.json()
    assert session["object"] == "checkout.session"
    assert session["id"].startswith("cs_test_")
    assert (session["amount_total"], session["currency"], session["status"],
            session["payment_status"]) == (5000, "eur", "open", "unpaid")  # fmt: skip
    assert (session["client_reference_id"], session["metadata"]) == (
        "order-1",
        {"order_id": "order-1"},
    )
    assert session["payment_intent"] is None  # made when the buyer pays
    assert session["livemode"] is False
    assert set(fake.fixtures["checkout.session"]) <= set(session)  # every field Stripe sends
    assert http.get(f"/v1/checkout/sessions/{session['id']}").json() == session


@pytest.mark.parametrize(
    ("authorization", "message"),
    [(None, "You did not provide an API key"),
     ("Bearer sk_test_other_1234567890", "Invalid API Key"), (f"Basic {KEY}", "Invalid API Key")],
)  # fmt: skip
def test_a_missing_or_wrong_key_is_a_401(
    fake: FakeStripe, authorization: str | None, message: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = httpx.post(f"{fake.url}/v1/checkout/sessions", data=session_form(), headers=headers)
    assert message in error_of(answer, 401)["message"]
    assert KEY not in answer.text
    assert fake.objects["checkout.session"] == {}


@pytest.mark.parametrize(
    ("change", "param"),
    [({"mode": "subscription"}, "mode"),
     ({"expires_at": str(int((b.T0 + timedelta(minutes=29)).timestamp()))}, "expires_at"),
     ({"expires_at": str(int((b.T0 + timedelta(hours=25)).timestamp()))}, "expires_at"),
     ({"line_items[0][quantity]": "0"}, "quantity"),
     ({"line_items[0][price_data][unit_amount]": "12.5"}, "unit_amount"),
     ({"payment_intent_data[application_fee_amount]": "5001"},
      "payment_intent_data[application_fee_amount]"),
     ({"payment_intent_data[transfer_data][destination]": ""},
      "payment_intent_data[application_fee_amount]"),  # a fee needs a destination
     ({"payment_intent_data[transfer_data][destination]": "org-1"},
      "payment_intent_data[transfer_data][destination]"),
     ({"line_items[1][quantity]": "1", "line_items[1][price_data][currency]": "usd",
       "line_items[1][price_data][unit_amount]": "1",
       "line_items[1][price_data][product_data][name]": "x"}, "line_items")],
)  # fmt: skip
def test_an_invalid_session_is_a_400_naming_the_parameter(
    http: httpx.Client, fake: FakeStripe, change: dict[str, str], param: str
) -> None:
    error = error_of(create(http, **change), 400 if "org-1" not in str(change) else 404)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param or error["param"].endswith(f"[{param}]")
    assert fake.objects["checkout.session"] == {}


def test_an_unknown_object_is_a_404_resource_missing(http: httpx.Client) -> None:
    for path in ("/v1/checkout/sessions/cs_test_nope", "/v1/payment_intents/pi_nope",
                 "/v1/charges/ch_nope", "/v1/refunds/re_nope", "/v1/events/evt_nope"):  # fmt: skip
        error = error_of(http.get(path), 404)
        assert (error["code"], error["param"]) == ("resource_missing", "id")
        assert "No such" in error["message"]
    assert "code" not in error_of(http.get("/v1/nothing/here"), 404)


def test_the_same_key_and_parameters_answer_the_first_response_and_do_nothing_twice(
    http: httpx.Client, fake: FakeStripe
) -> None:
    first = create(http, "key-1")
    again = create(http, "key-1")
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(fake.objects["checkout.session"]) == 1


def test_the_same_key_with_other_parameters_or_another_endpoint_is_an_idempotency_error(
    http: httpx.Client, fake: FakeStripe
) -> None:
    create(http, "key-1")
    other = error_of(create(http, "key-1", customer_email="ben@example.com"), 400)
    assert other["type"] == "idempotency_error"
    assert "key-1" in other["message"]
    elsewhere = http.post("/v1/refunds", data={"payment_intent": "pi_x"},
                          headers={"Idempotency-Key": "key-1"})  # fmt: skip
    assert error_of(elsewhere, 400)["type"] == "idempotency_error"
    assert len(fake.objects["checkout.session"]) == 1


def test_a_bad_request_is_not_kept_for_its_key(http: httpx.Client, fake: FakeStripe) -> None:
    error_of(create(http, "key-2", mode="setup"), 400)
    assert create(http, "key-2").status_code == 200  # fixed and sent again with the same key


def test_a_request_while_the_first_with_its_key_is_in_flight_is_a_409(
    fake: FakeStripe, http: httpx.Client
) -> None:
    started, release = threading.Event(), threading.Event()
    original = fake._answer

    def slow(*args: Any, **kwargs: Any) -> tuple[int, dict[str, Any], bool]:
        started.set()
        release.wait(5)
        return original(*args, **kwargs)

    fake._answer = slow  # type: ignore[method-assign]
    first: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: first.append(create(http, "key-3")))
    thread.start()
    assert started.wait(5)
    with httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {KEY}"}) as other:
        concurrent = create(other, "key-3")
    release.set()
    thread.join(5)
    assert error_of(concurrent, 409)["type"] == "idempotency_error"
    assert first[0].status_code == 200


def test_paying_makes_an_intent_a_charge_and_its_balance_transaction_with_stripes_fee(
    http: httpx.Client, fake: FakeStripe
) -> None:
    session = create(http).json()
    fake.pay(session["id"])
    paid = http.get(
        f"/v1/checkout/sessions/{session['id']}",
        params={"expand[0]": "payment_intent.latest_charge.balance_transaction"},
    ).json()
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    intent = paid["payment_intent"]
    assert (intent["object"], intent["status"], intent["amount"]) == (
        "payment_intent",
        "succeeded",
        5000,
    )
    assert intent["application_fee_amount"] == 150
    assert intent["transfer_data"] == {"destination": "acct_1Organizer"}
    charge = intent["latest_charge"]
    assert (charge["object"], charge["paid"], charge["amount"]) == ("charge", True, 5000)
    txn = charge["balance_transaction"]
    assert (txn["object"], txn["amount"], txn["fee"], txn["net"]) == (
        "balance_transaction",
        5000,
        100,
        4900,
    )  # 1.5 % + 0.25
    types = [e["type"] for e in fake.events_of()]
    assert types == ["charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"]


def test_a_delayed_payment_completes_unpaid_then_succeeds_or_fails(
    fake: FakeStripe, http: httpx.Client
) -> None:
    won, lost = create(http).json()["id"], create(http).json()["id"]
    for session_id in (won, lost):
        fake.pay(session_id, outcome="processing")
        assert fake.session(session_id)["payment_status"] == "unpaid"
    fake.settle(won)
    fake.settle(lost, succeeded=False)
    assert fake.session(won)["payment_status"] == "paid"
    assert fake.session(lost)["payment_status"] == "unpaid"
    (succeeded,) = fake.events_of("checkout.session.async_payment_succeeded")
    (failed,) = fake.events_of("checkout.session.async_payment_failed")
    assert (succeeded["data"]["object"]["id"], failed["data"]["object"]["id"]) == (won, lost)
    with pytest.raises(ValueError, match="not awaiting"):
        fake.settle(won)


def test_sessions_expire_on_time_or_when_asked_and_only_while_open(
    http: httpx.Client, fake: FakeStripe, clock: FixedClock
) -> None:
    due, asked, paid = (create(http).json()["id"] for _ in range(3))
    fake.pay(paid)
    assert error_of(http.post(f"/v1/checkout/sessions/{paid}/expire"), 400)
    assert http.post(f"/v1/checkout/sessions/{asked}/expire").json()["status"] == "expired"
    assert fake.expire_due() == []
    clock.advance(timedelta(hours=1))
    assert fake.expire_due() == [due]
    assert [e["data"]["object"]["id"] for e in fake.events_of("checkout.session.expired")] == [
        asked, due]  # fmt: skip


def test_refunds_check_what_is_left_and_record_the_connect_options(
    http: httpx.Client, fake: FakeStripe
) -> None:
    session = create(http).json()
    fake.pay(session["id"])
    intent = fake.session(session["id"])["payment_intent"]
    part = http.post("/v1/refunds", data={"payment_intent": intent, "amount": "1200",
                                          "reverse_transfer": "true",
                                          "refund_application_fee": "true"}).json()  # fmt: skip
    assert (part["object"], part["amount"], part["status"]) == ("refund", 1200, "succeeded")
    assert fake.refund_options[part["id"]]["reverse_transfer"] is True
    too_much = error_of(http.post("/v1/refunds", data={"payment_intent": intent,
                                                       "amount": "3801"}), 400)  # fmt: skip
    assert too_much["code"] == "amount_too_large"
    rest = http.post("/v1/refunds", data={"payment_intent": intent}).json()
    assert rest["amount"] == 3800
    again = error_of(http.post("/v1/refunds", data={"payment_intent": intent}), 400)
    assert again["code"] == "charge_already_refunded"
    assert [e["type"] for e in fake.events_of() if "refund" in e["type"]] == [
        "refund.created", "charge.refunded"] * 2  # fmt: skip


def test_a_failure_on_demand_comes_before_anything_else(
    http: httpx.Client, fake: FakeStripe
) -> None:
    fake.fail_next(500, times=2)
    assert error_of(create(http), 500)["type"] == "api_error"
    assert error_of(create(http, "key-9"), 500)["type"] == "api_error"
    # an injected failure is Stripe failing before it ran anything: the key is still free
    assert create(http, "key-9").status_code == 200
    assert len(fake.objects["checkout.session"]) == 1


# -- webhooks ---------------------------------------------------------------------------------
class Receiver:
    """A webhook endpoint that records what it was sent and answers as told."""

    def __init__(self) -> None:
        self.got: list[tuple[bytes, dict[str, str]]] = []
        self.answers: list[int] = []

    def __call__(self, body: bytes, headers: Mapping[str, str]) -> int:
        self.got.append((body, dict(headers)))
        return self.answers.pop(0) if self.answers else 200

    def types(self) -> list[str]:
        return [json.loads(body)["type"] for body, _ in self.got]


def paid_session(fake: FakeStripe, http: httpx.Client) -> str:
    session_id: str = create(http).json()["id"]
    fake.pay(session_id)
    return session_id


def test_each_delivery_is_signed_as_stripe_signs_it(
    http: httpx.Client, fake: FakeStripe, clock: FixedClock
) -> None:
    receiver = Receiver()
    endpoint = fake.add_endpoint(receiver)
    paid_session(fake, http)
    fake.deliver()
    assert receiver.types() == ["charge.succeeded", "payment_intent.succeeded",
                                "checkout.session.completed"]  # fmt: skip
    for body, headers in receiver.got:
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        signature = headers["Stripe-Signature"]
        timestamp = int(signature.split(",")[0].removeprefix("t="))
        assert timestamp == int(clock.now().timestamp())
        # Stripe's own SDK checks it (against the real time, so without a tolerance)
        assert stripe.WebhookSignature.verify_header(body, signature, endpoint.secret)
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.WebhookSignature.verify_header(body, signature, "whsec_other")
        event = json.loads(body)
        assert event["object"] == "event"
        assert set(fake.fixtures["event"]) <= set(event)
    assert [d.status for d in endpoint.deliveries] == [200, 200, 200]
    assert not endpoint.queue


def test_while_a_secret_is_rolled_both_sign(http: httpx.Client, fake: FakeStripe) -> None:
    receiver = Receiver()
    endpoint = fake.add_endpoint(receiver)
    old = endpoint.secret
    new = endpoint.roll_secret()
    paid_session(fake, http)
    fake.deliver()
    body, headers = receiver.got[0]
    assert headers["Stripe-Signature"].count("v1=") == 2
    for secret in (old, new):
        assert stripe.WebhookSignature.verify_header(body, headers["Stripe-Signature"], secret)
    endpoint.roll_secret(keep_old=False)
    assert endpoint.secrets == [endpoint.secret]


def test_deliveries_can_be_reordered_duplicated_lost_or_refused_and_stay_queued_until_taken(
    http: httpx.Client, fake: FakeStripe
) -> None:
    receiver = Receiver()
    endpoint = fake.add_endpoint(receiver)
    paid_session(fake, http)
    fake.deliver(order="reverse", times=2)
    assert receiver.types() == ["checkout.session.completed"] * 2 + [
        "payment_intent.succeeded"] * 2 + ["charge.succeeded"] * 2  # fmt: skip
    receiver.got.clear()
    paid_session(fake, http)
    fake.drop_next(1)  # the charge's event is lost in transit
    receiver.answers = [500]  # and the endpoint fails the intent's
    fake.deliver()
    assert receiver.types() == ["payment_intent.succeeded", "checkout.session.completed"]
    assert [e["type"] for e in endpoint.queue] == ["charge.succeeded", "payment_intent.succeeded"]
    fake.deliver()  # Stripe retries
    assert receiver.types()[-2:] == ["charge.succeeded", "payment_intent.succeeded"]
    assert not endpoint.queue
    assert [d.status for d in endpoint.deliveries[-5:]] == [None, 500, 200, 200, 200]


def test_send_forges_what_a_test_needs(http: httpx.Client, fake: FakeStripe) -> None:
    receiver = Receiver()
    fake.add_endpoint(receiver)
    paid_session(fake, http)
    (event,) = fake.events_of("checkout.session.completed")
    fake.send(event, times=3)
    fake.send(event, header="t=1,v1=00")
    fake.send(event, secrets_=["whsec_other"], timestamp=5)
    assert len(receiver.got) == 5
    assert len({body for body, _ in receiver.got}) == 1  # the same event each time
    assert receiver.got[3][1]["Stripe-Signature"] == "t=1,v1=00"
    assert receiver.got[4][1]["Stripe-Signature"].startswith("t=5,v1=")


def test_events_are_posted_to_a_url(http: httpx.Client, fake: FakeStripe) -> None:
    received: list[tuple[str, bytes, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, body, self.headers["Stripe-Signature"]))
            self.send_response(204 if len(received) > 1 else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = fake.add_endpoint(f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe")
        create(http)
        http.post(f"/v1/checkout/sessions/{next(iter(fake.objects['checkout.session']))}/expire")
        fake.deliver()
        fake.deliver()
    finally:
        server.shutdown()
        server.server_close()
    assert [path for path, _, _ in received] == ["/webhooks/stripe"] * 2
    assert [d.status for d in endpoint.deliveries] == [503, 204]
    body, signature = received[1][1], received[1][2]
    assert stripe.WebhookSignature.verify_header(body, signature, endpoint.secret)
    assert json.loads(body)["type"] == "checkout.session.expired"
    assert json.loads(body)["request"]["id"].startswith("req_")


def test_the_hosted_page_pays_and_sends_the_buyer_back(
    http: httpx.Client, fake: FakeStripe
) -> None:
    session = create(http, success_url="https://shop.example/ok?s={CHECKOUT_SESSION_ID}").json()
    page = httpx.get(session["url"])
    assert page.status_code == 200
    assert "General admission x 2" in page.text
    assert "50.00 EUR" in page.text
    paid = httpx.post(session["url"], data={"outcome": "paid"})
    assert paid.status_code == 303
    assert paid.headers["location"] == f"https://shop.example/ok?s={session['id']}"
    assert fake.session(session["id"])["payment_status"] == "paid"
    assert "complete" in httpx.get(session["url"]).text


def test_a_live_key_makes_live_objects_and_events(clock: FixedClock) -> None:
    key = "sk_live_fake_0123456789"
    with (
        FakeStripe(secret_key=key, clock=clock) as live,
        httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {key}"}) as client,
    ):
        session = create(client).json()
        live.pay(session["id"])
        assert session["livemode"] is True
        assert {e["livemode"] for e in live.events_of()} == {True}
        assert {e["data"]["object"]["livemode"] for e in live.events_of()} == {True}


def test_an_account_links_page_completes_the_onboarding_and_says_so_by_webhook(
    fake: FakeStripe, http: httpx.Client
) -> None:
    seen: list[dict[str, Any]] = []
    fake.add_endpoint(lambda body, headers: seen.append(json.loads(body)) or 200)
    account = http.post("/v1/accounts", data={"type": "express"}).json()
    assert (account["charges_enabled"], account["requirements"]["disabled_reason"]) == (
        False, "requirements.past_due")  # fmt: skip
    link = http.post("/v1/account_links", data={
        "account": account["id"], "type": "account_onboarding",
        "refresh_url": "http://t.example/again", "return_url": "http://t.example/done",
    }).json()  # fmt: skip
    assert link["object"] == "account_link"
    path = link["url"].removeprefix(fake.url)
    assert "Complete onboarding" in httpx.get(link["url"]).text
    done = httpx.post(link["url"])
    assert (done.status_code, done.headers["location"]) == (303, "http://t.example/done")
    fake.deliver()
    (event,) = seen
    assert event["type"] == "account.updated"
    state = event["data"]["object"]
    assert (state["charges_enabled"], state["payouts_enabled"]) == (True, True)
    assert state["requirements"]["currently_due"] == []
    assert http.get(f"/v1/accounts/{account['id']}").json() == state
    assert httpx.get(f"{fake.url}/connect/{account['id']}/forged").status_code == 404
    assert path.startswith(f"/connect/{account['id']}/")


def test_an_account_link_needs_a_known_account_and_both_urls(http: httpx.Client) -> None:
    account = http.post("/v1/accounts", data={"type": "express"}).json()
    unknown = http.post("/v1/account_links", data={"account": "acct_nobody",
                        "type": "account_onboarding", "refresh_url": "http://a.example",
                        "return_url": "http://b.example"})  # fmt: skip
    assert error_of(unknown, 404)["code"] == "resource_missing"
    no_url = http.post("/v1/account_links", data={
        "account": account["id"], "type": "account_onboarding",
        "refresh_url": "http://a.example",
    })  # fmt: skip
    assert error_of(no_url, 400)["param"] == "return_url"
    assert error_of(http.post("/v1/accounts", data={"type": "other"}), 400)["param"] == "type"


def test_a_payout_that_fails_returns_its_money_to_the_account_and_says_so(
    fake: FakeStripe, http: httpx.Client
) -> None:
    fake.add_account("acct_1Paid")
    fake.credit("acct_1Paid", "eur", 5000)
    payout = fake.payout("acct_1Paid", amount=3000)
    assert fake.balances[("acct_1Paid", "eur")] == 2000
    failed = fake.fail_payout(payout["id"], failure_code="no_account")
    assert fake.balances[("acct_1Paid", "eur")] == 5000  # back in the account
    assert (failed["status"], failed["failure_code"]) == ("failed", "no_account")
    assert failed["failure_message"]
    assert http.get(f"/v1/payouts/{payout['id']}").json() == failed
    returned = http.get(f"/v1/balance_transactions/{failed['failure_balance_transaction']}")
    assert (returned.json()["type"], returned.json()["amount"]) == ("payout_failure", 3000)
    (event,) = fake.events_of("payout.failed")  # the connected account's event
    assert (event["account"], event["data"]["object"]) == ("acct_1Paid", failed)
    with pytest.raises(StripeFailure, match="already failed"):
        fake.fail_payout(payout["id"])
    with pytest.raises(StripeFailure, match="No such payout"):
        fake.fail_payout("po_nobody")
    assert fake.balances[("acct_1Paid", "eur")] == 5000
    assert len(fake.events_of("payout.failed")) == 1
