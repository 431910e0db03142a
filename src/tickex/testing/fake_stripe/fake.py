"""The fake Stripe server: its state, what a test steers (payments, accounts, failures),
the events and their delivery to the webhook endpoints, and the dispatch of API requests
with Stripe's authentication and idempotency."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import secrets
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from tickex.ports.clock import Clock
from tickex.testing.fake_stripe import after_payment, resources
from tickex.testing.fake_stripe.pages import Handler
from tickex.testing.fake_stripe.webhooks import (
    Delivery,
    Sender,
    WebhookEndpoint,
    post,
    signature_header,
)
from tickex.testing.fake_stripe.wire import (
    TEST_SECRET_KEY,
    Json,
    StripeFailure,
    decode_form,
    fixtures,
    int_param,
    invalid,
    metadata_param,
    missing,
)
from tickex.testing.loopback_server import LoopbackServer


class FakeStripe(LoopbackServer):
    def __init__(
        self,
        *,
        secret_key: str = TEST_SECRET_KEY,
        clock: Clock | None = None,
        fee_percent_bp: int = 150,  # Stripe's fee on each charge: 1.5 % ...
        fee_fixed_minor: int = 25,  # ... + 25 minor units (European cards)
        auto_deliver: bool = False,
        delivery_delay: float = 0.0,
        instant_onboarding: bool = False,  # new accounts can charge and be paid out at once
        dispute_fee_minor: int = 1500,  # what Stripe charges for a dispute
    ) -> None:
        super().__init__(Handler, name="fake-stripe")
        self.secret_key = secret_key
        self.livemode = secret_key.startswith(("sk_live_", "rk_live_"))
        self.clock = clock
        self.fee_percent_bp, self.fee_fixed_minor = fee_percent_bp, fee_fixed_minor
        self.auto_deliver, self.delivery_delay = auto_deliver, delivery_delay
        self.instant_onboarding = instant_onboarding
        self.dispute_fee_minor = dispute_fee_minor
        self.api_version: str | None = None  # the last Stripe-Version a client sent
        self.fixtures = fixtures()
        self.objects: dict[str, dict[str, Json]] = {
            kind: {} for kind in ("checkout.session", "payment_intent", "charge", "refund",
                                  "balance_transaction", "event", "account", "transfer",
                                  "transfer_reversal", "application_fee", "dispute", "payout")
        }  # fmt: skip
        #: the fake's own books: each connected account's balance, by (account, currency):
        #: transfers less application fees, transfer reversals, fees returned and payouts
        self.balances: dict[tuple[str, str], int] = {}
        self.payout_accounts: dict[str, str] = {}  # payout id -> the account it paid out
        self.account_links: list[Json] = []  # every link made, with the account it is for
        self.created_with: dict[str, Json] = {}  # session id -> the parameters it was made of
        self.refund_options: dict[str, Json] = {}  # refund id -> its options and key
        self.requests: list[tuple[str, str, Json, str | None]] = []  # method, path, params, key
        self.endpoints: list[WebhookEndpoint] = []
        self._failures: deque[StripeFailure] = deque()
        self._drops = 0
        self._idempotent: dict[str, tuple[str, int, Json]] = {}  # key -> (digest, status, body)
        self._in_flight: set[str] = set()
        self._lock = threading.RLock()

    # -- time and ids --------------------------------------------------------------------
    def now(self) -> int:
        moment = self.clock.now() if self.clock is not None else datetime.now(UTC)
        return int(moment.timestamp())

    @staticmethod
    def new_id(prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(12)}"

    def from_fixture(self, kind: str, **values: Any) -> Json:
        """A new object of ``kind``: Stripe's example with ``values`` put over it."""
        obj = copy.deepcopy(self.fixtures[kind])
        if "livemode" in obj:  # the mode of the key, on the objects that carry one
            obj["livemode"] = self.livemode
        obj.update(values)
        return obj

    # -- steering --------------------------------------------------------------------------
    def fail_next(
        self, status: int, *, message: str = "", code: str | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` API requests with this error, before anything else: as
        a Stripe that failed before running anything, so the key stays free for a retry."""
        with self._lock:
            for _ in range(times):
                self._failures.append(
                    StripeFailure(status, message or f"fake failure {status}", code=code)
                )

    def add_endpoint(self, target: str | Sender, secret: str | None = None) -> WebhookEndpoint:
        """Send every event from now on to ``target`` (a URL or a ``Sender``)."""
        endpoint = WebhookEndpoint(target, [secret or "whsec_" + secrets.token_hex(16)])
        with self._lock:
            self.endpoints.append(endpoint)
        return endpoint

    def session(self, session_id: str) -> Json:
        with self._lock:
            found = self.objects["checkout.session"].get(session_id)
            if found is None:
                raise missing("checkout.session", session_id)
            return copy.deepcopy(found)

    def account(self, account_id: str) -> Json:
        with self._lock:
            found = self.objects["account"].get(account_id)
            if found is None:
                raise missing("account", account_id, "account")
            return copy.deepcopy(found)

    def add_account(self, account_id: str | None = None, **changes: Any) -> Json:
        """A connected account that exists at Stripe already (made outside TickEx, or
        before TickEx is told its id), with ``changes`` as ``update_account`` takes them,
        and no event."""
        with self._lock:
            account = resources.new_account(self, account_id or self.new_id("acct"), {})
            resources.change_account(account, **changes)
            return copy.deepcopy(account)

    def update_account(self, account_id: str, **changes: Any) -> Json:
        """What the account holder (or Stripe's review) changed (``charges_enabled``,
        ``payouts_enabled``, ``details_submitted``, ``currently_due``,
        ``disabled_reason``): the account takes the values given, and an
        ``account.updated`` event is queued for the endpoints (sent, signed, by
        ``deliver()``). Returns the event."""
        with self._lock:
            account = self.objects["account"].get(account_id)
            if account is None:
                raise missing("account", account_id, "account")
            resources.change_account(account, **changes)
            return copy.deepcopy(self.emit("account.updated", account))

    def events_of(self, event_type: str | None = None) -> list[Json]:
        with self._lock:
            return [copy.deepcopy(e) for e in self.objects["event"].values()
                    if event_type is None or e["type"] == event_type]  # fmt: skip

    def pay(self, session_id: str, *, outcome: Literal["paid", "processing"] = "paid") -> Json:
        """The buyer completes the session: paid at once (a card), or ``processing`` (a
        delayed method such as SEPA debit: ``completed`` with ``payment_status=unpaid``,
        then ``settle``). Returns the session."""
        with self._lock:
            session = self._open_session(session_id)
            made = self.created_with[session_id]
            intent_data = made.get("payment_intent_data") or {}
            transfer = intent_data.get("transfer_data") or {}
            intent = self.from_fixture(
                "payment_intent", id=self.new_id("pi"), created=self.now(),
                amount=session["amount_total"], currency=session["currency"],
                amount_received=0, canceled_at=None, latest_charge=None,
                last_payment_error=None, next_action=None, processing=None,
                application_fee_amount=int_param(intent_data, "application_fee_amount"),
                transfer_data={"destination": transfer["destination"]} if transfer else None,
                metadata=metadata_param(intent_data), description=intent_data.get("description"),
                receipt_email=session["customer_email"], status="processing",
                payment_method="pm_" + secrets.token_hex(12),
                payment_method_types=["card" if outcome == "paid" else "sepa_debit"],
            )  # fmt: skip
            self.objects["payment_intent"][intent["id"]] = intent
            session.update(
                status="complete", payment_intent=intent["id"],
                customer_details={**self.fixtures["checkout.session"]["customer_details"],
                                  "email": session["customer_email"] or "buyer@example.com"},
            )  # fmt: skip
            if outcome == "paid":
                resources.succeed(self, session, intent)
            self.emit("checkout.session.completed", session)
            return copy.deepcopy(session)

    def settle(self, session_id: str, *, succeeded: bool = True) -> Json:
        """A delayed payment method's result: ``async_payment_succeeded`` or ``_failed``."""
        with self._lock:
            session = self.objects["checkout.session"].get(session_id)
            if (
                session is None
                or session["status"] != "complete"
                or (session["payment_status"] != "unpaid")
            ):
                raise ValueError(f"{session_id} is not awaiting a delayed payment")
            intent = self.objects["payment_intent"][session["payment_intent"]]
            if succeeded:
                resources.succeed(self, session, intent)
                self.emit("checkout.session.async_payment_succeeded", session)
            else:
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={"type": "card_error", "code": "debit_failed"},
                )
                self.emit("payment_intent.payment_failed", intent)
                self.emit("checkout.session.async_payment_failed", session)
            return copy.deepcopy(session)

    def expire_due(self) -> list[str]:
        """Expire every open session whose ``expires_at`` has passed (Stripe does it on
        its own); returns their ids."""
        with self._lock:
            due = [s for s in self.objects["checkout.session"].values()
                   if s["status"] == "open" and s["expires_at"] <= self.now()]  # fmt: skip
            for session in due:
                resources.expire(self, session)
            return [s["id"] for s in due]

    # -- after the payment (after_payment.py) ---------------------------------------------
    def refund_by_hand(
        self, session_id: str, amount: int | None = None, *, reverse_transfer: bool = False,
        refund_application_fee: bool = False,
    ) -> Json:  # fmt: skip
        """A refund of the session's charge made in Stripe's dashboard (all that is left
        when ``amount`` is None), with the options the dashboard offers: returns it."""
        with self._lock:
            return after_payment.refund_by_hand(
                self, session_id, amount, reverse_transfer=reverse_transfer,
                refund_application_fee=refund_application_fee,
            )  # fmt: skip

    def dispute(self, session_id: str, *, reason: str = "fraudulent",
                amount: int | None = None) -> Json:  # fmt: skip
        """The buyer's bank disputes the session's charge: the amount and Stripe's fee
        are withdrawn. Returns the dispute."""
        with self._lock:
            return after_payment.open_dispute(self, session_id, reason, amount)

    def close_dispute(self, dispute_id: str, *, won: bool, fee_returned: bool = False) -> Json:
        """The bank decides: won (the amount reinstated, the fee too if ``fee_returned``)
        or lost."""
        with self._lock:
            return after_payment.close_dispute(self, dispute_id, won=won, fee_returned=fee_returned)

    def payout(self, account_id: str, currency: str = "eur", amount: int | None = None) -> Json:
        """Pay the connected account's balance (or ``amount`` of it) out to its bank."""
        with self._lock:
            return after_payment.pay_out(self, account_id, currency, amount)

    def fail_payout(self, payout_id: str, *, failure_code: str = "account_closed") -> Json:
        """The payout fails (also after it was paid): its money goes back to the account's
        balance and ``payout.failed`` is sent. Returns the payout."""
        with self._lock:
            return after_payment.fail_payout(self, payout_id, failure_code)

    def credit(self, account_id: str, currency: str, amount: int) -> None:
        """Move ``amount`` (negative: a debit) on the fake's books of the account."""
        key = (account_id, currency)
        self.balances[key] = self.balances.get(key, 0) + amount

    def _open_session(self, session_id: str) -> Json:
        session = self.objects["checkout.session"].get(session_id)
        if session is None:
            raise missing("checkout.session", session_id)
        if session["status"] != "open":
            raise invalid("session", f"This Checkout Session is {session['status']}.",
                          "checkout_session_not_open")  # fmt: skip
        return session

    # -- events and their delivery ------------------------------------------------------
    def emit(
        self, event_type: str, obj: Json, request: Json | None = None, *,
        account: str | None = None,
    ) -> Json:  # fmt: skip
        """An event about ``obj`` (a copy), queued for every endpoint; ``account`` names
        the connected account whose event it is (Connect)."""
        event = self.from_fixture(
            "event", id=self.new_id("evt"), type=event_type, created=self.now(),
            api_version=self.api_version, data={"object": copy.deepcopy(obj)},
            pending_webhooks=len(self.endpoints),
            request=request or {"id": None, "idempotency_key": None},
        )  # fmt: skip
        if account is not None:
            event["account"] = account
        self.objects["event"][event["id"]] = event
        for endpoint in self.endpoints:
            endpoint.queue.append(event)
        if self.auto_deliver and self.endpoints:
            timer = threading.Timer(self.delivery_delay, self.deliver)
            timer.daemon = True
            timer.start()
        return event

    def drop_next(self, count: int = 1) -> None:
        """The next ``count`` deliveries are lost in transit (they stay queued)."""
        with self._lock:
            self._drops += count

    def deliver(
        self,
        *,
        order: Literal["created", "reverse", "shuffle"] = "created",
        times: int = 1,
        seed: int = 0,
    ) -> list[Delivery]:
        """Send every queued event to its endpoint (each ``times`` times, in the ``order``
        asked); those not answered with 2xx stay queued."""
        attempts: list[Delivery] = []
        for endpoint in list(self.endpoints):
            with self._lock:
                batch = list(endpoint.queue)
                endpoint.queue.clear()
            if order == "reverse":
                batch.reverse()
            elif order == "shuffle":
                random.Random(seed).shuffle(batch)  # noqa: S311 (an order, not a secret)
            failed: list[Json] = []
            for event in batch:
                results = [self._send(endpoint, event) for _ in range(times)]
                attempts.extend(results)
                if not any(r.status is not None and 200 <= r.status < 300 for r in results):
                    failed.append(event)
            with self._lock:
                endpoint.queue.extendleft(reversed(failed))
        return attempts

    def send(
        self,
        event: Json,
        *,
        times: int = 1,
        endpoint: WebhookEndpoint | None = None,
        header: str | None = None,
        secrets_: Iterable[str] | None = None,
        timestamp: int | None = None,
        payload: bytes | None = None,
    ) -> list[Delivery]:
        """Send one event ``times`` times, now, whatever the queue holds; ``header``,
        ``secrets_``, ``timestamp`` and ``payload`` forge what a test needs (a stale or
        foreign signature, a body changed after signing)."""
        target = endpoint or self.endpoints[0]
        return [self._send(target, event, header=header, secrets_=secrets_,
                           timestamp=timestamp, payload=payload) for _ in range(times)]  # fmt: skip

    def _send(
        self,
        endpoint: WebhookEndpoint,
        event: Json,
        *,
        header: str | None = None,
        secrets_: Iterable[str] | None = None,
        timestamp: int | None = None,
        payload: bytes | None = None,
    ) -> Delivery:
        body = json.dumps(event, indent=2).encode()  # Stripe sends it pretty-printed
        signature = header if header is not None else signature_header(
            body, endpoint.secrets if secrets_ is None else secrets_,
            self.now() if timestamp is None else timestamp,
        )  # fmt: skip
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Stripe-Signature": signature, "User-Agent": "Stripe/1.0 (+fake)"}  # fmt: skip
        with self._lock:
            dropped = self._drops > 0
            self._drops -= dropped
        status = None if dropped else post(endpoint.target, payload or body, headers)
        delivery = Delivery(event["id"], event["type"], status, signature)
        with self._lock:
            endpoint.deliveries.append(delivery)
        return delivery

    # -- the API (called from the handler threads) ----------------------------------------
    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, Json, dict[str, str]]:
        """One API request: (status, body, extra headers)."""
        answer_headers = {"Request-Id": "req_" + secrets.token_hex(8)}
        key = headers.get("Idempotency-Key")
        try:
            params = decode_form(raw.decode("utf-8") if method == "POST" else query)
        except StripeFailure as exc:
            return exc.status, exc.body(), answer_headers
        except UnicodeDecodeError:
            return 400, invalid("body", "Invalid request body.").body(), answer_headers
        with self._lock:
            self.requests.append((method, path, params, key))
            failure = self._failures.popleft() if self._failures else None
        try:
            if failure is not None:
                raise failure
            self._authenticate(headers.get("Authorization"))
        except StripeFailure as exc:
            return exc.status, exc.body(), answer_headers
        version = headers.get("Stripe-Version")
        if version:
            self.api_version = version
        if method != "POST" or not key:
            status, body, _ = self._answer(method, path, params)
            return status, body, answer_headers
        digest = hashlib.sha256(f"{path}\n{raw!r}".encode()).hexdigest()
        with self._lock:
            seen = self._idempotent.get(key)
            if seen is not None:
                if seen[0] != digest:
                    message = (
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request."
                    )
                    return 400, StripeFailure(400, message, type="idempotency_error").body(), (
                        answer_headers
                    )  # fmt: skip
                return (
                    seen[1],
                    copy.deepcopy(seen[2]),
                    {**answer_headers, "Idempotent-Replayed": "true"},
                )
            if key in self._in_flight:
                message = ("There is currently another in-progress request using this "
                           "Idempotent Key (that probably means you submitted twice, and the "
                           "other request is still going through).")  # fmt: skip
                return 409, StripeFailure(409, message).body(), answer_headers
            self._in_flight.add(key)
        try:
            status, body, keep = self._answer(method, path, params, key=key)
            with self._lock:
                if keep:  # Stripe keeps what an endpoint began to execute, not a bad request
                    self._idempotent[key] = (digest, status, copy.deepcopy(body))
        finally:
            with self._lock:
                self._in_flight.discard(key)
        return status, body, {**answer_headers, "Idempotency-Key": key}

    def _authenticate(self, authorization: str | None) -> None:
        if not authorization:
            raise StripeFailure(401, "You did not provide an API key. You need to provide "
                                "your API key in the Authorization header, using Bearer auth "
                                "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")  # fmt: skip
        scheme, _, key = authorization.partition(" ")
        if scheme != "Bearer" or not hmac.compare_digest(key.encode(), self.secret_key.encode()):
            shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "****"
            raise StripeFailure(401, f"Invalid API Key provided: {shown}")

    def _answer(
        self, method: str, path: str, params: Json, key: str | None = None
    ) -> tuple[int, Json, bool]:
        """(status, body, whether an idempotency key keeps the answer)."""
        parts = [p for p in path.split("/") if p]
        try:
            with self._lock:
                if method == "POST" and parts == ["v1", "checkout", "sessions"]:
                    return 200, resources.create_session(self, params), True
                if (
                    method == "POST"
                    and parts[:3] == ["v1", "checkout", "sessions"]
                    and (len(parts) == 5 and parts[4] == "expire")
                ):
                    return 200, resources.expire_session(self, parts[3], key), True
                if method == "POST" and parts == ["v1", "refunds"]:
                    return 200, resources.create_refund(self, params, key), True
                if method == "POST" and parts == ["v1", "accounts"]:
                    return 200, resources.create_account(self, params), True
                if method == "POST" and parts == ["v1", "account_links"]:
                    return 200, resources.create_account_link(self, params), True
                if method == "GET":
                    return 200, resources.retrieve(self, parts, params), False
        except StripeFailure as exc:
            return exc.status, exc.body(), exc.saved or exc.status >= 500
        failure = StripeFailure(404, f"Unrecognized request URL ({method}: {path}).")
        return 404, failure.body(), False
