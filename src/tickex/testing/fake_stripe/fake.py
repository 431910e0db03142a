"""A stateful local fake of Stripe's API for tests and offline runs: a real HTTP server on
127.0.0.1 in a thread, speaking Stripe's wire format.

Requests are form-encoded with Stripe's bracket notation (``line_items[0][quantity]=2``),
authenticated with ``Authorization: Bearer <secret key>``; answers are Stripe's JSON
objects, each started from Stripe's own published example of that object
(``stripe_data/fixtures.json``) with the scenario's values put over it, and errors are
Stripe's ``{"error": {"type", "code", "message", "param"}}`` with Stripe's statuses (400
invalid request, 401 bad key, 404 ``resource_missing``, 400 ``idempotency_error`` for a
key reused with other parameters, 409 while the first request with a key is in flight).
``Idempotency-Key`` is honoured as Stripe does: the same key on the same endpoint with the
same parameters answers the first response again (``Idempotent-Replayed: true``) and does
nothing twice. Endpoints::

    POST /v1/checkout/sessions                 create (payment mode, price_data lines)
    GET  /v1/checkout/sessions/{id}            retrieve (expand[] of id fields)
    POST /v1/checkout/sessions/{id}/expire     expire an open session
    POST /v1/refunds                           refund a payment intent or a charge
    POST /v1/accounts                          create a connected account (Connect)
    POST /v1/account_links                     an onboarding (or update) link for one
    GET  /v1/{payment_intents,charges,refunds,balance_transactions,events,accounts}/{id}
    GET  /checkout/{id}, POST /checkout/{id}   the hosted page a buyer pays on (offline runs)
    GET  /connect/{account}/{link}, POST ...   the onboarding page of an account link

Paying a session (``pay``, or the hosted page) makes what Stripe makes: a PaymentIntent,
its Charge and the Charge's BalanceTransaction (with Stripe's fee), and the events. The
test side steers the rest::

    with FakeStripe(clock=clock) as stripe:
        endpoint = stripe.add_endpoint(sender)       # a URL, or a callable(body, headers)
        stripe.pay(session_id)                       # paid at once ...
        stripe.pay(session_id, outcome="processing") # ... or a delayed payment method,
        stripe.settle(session_id, succeeded=False)   # which later succeeds or fails
        stripe.expire_due()                          # sessions whose expires_at has passed
        stripe.deliver()                             # send what is queued, in order ...
        stripe.deliver(order="reverse", times=2)     # ... reordered, duplicated
        stripe.drop_next(1)                          # the next delivery is lost in transit
        stripe.send(event, times=5)                  # one event, again and again
        stripe.fail_next(500)                        # the next API request fails
        stripe.add_account("acct_1", charges_enabled=True)  # an account made elsewhere
        stripe.update_account(account_id, charges_enabled=True, currently_due=[])
                                                     # onboarding done: account.updated

Webhooks are signed as Stripe signs them: ``Stripe-Signature: t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>``, one ``v1`` per active secret
while a secret is being rolled (``endpoint.roll_secret()``). An event a delivery did not
reach, or that the endpoint answered with anything but 2xx, stays queued for the next
``deliver()``, as Stripe retries. ``auto_deliver=True`` delivers each event from a
background thread as it happens (``delivery_delay`` seconds later), and
``instant_onboarding=True`` opens connected accounts that can take charges at once: what
an offline ``make run`` needs.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import random
import re
import secrets
import threading
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from tickex.ports.clock import Clock
from tickex.testing.loopback_server import LoopbackHandler, LoopbackServer

Json = dict[str, Any]
#: what a webhook is sent to: a URL, or a callable taking (body, headers) that answers the
#: HTTP status (a test client's ``post``)
Sender = Callable[[bytes, Mapping[str, str]], int]

TEST_SECRET_KEY = "sk_test_fake_0123456789abcdef"
MIN_EXPIRY_SECONDS = 30 * 60  # Stripe: expires_at between 30 minutes ...
MAX_EXPIRY_SECONDS = 24 * 3600  # ... and 24 hours after the session is created
MAX_METADATA_KEYS = 50
MAX_BODY_BYTES = 1024 * 1024
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    402: "card_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    409: "idempotency_error",
    429: "invalid_request_error",
}
#: an account whose holder gave Stripe everything: it takes charges and is paid out
ONBOARDED: dict[str, Any] = {"charges_enabled": True, "payouts_enabled": True,
                             "details_submitted": True, "currently_due": (),
                             "disabled_reason": None}  # fmt: skip
REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def fixtures() -> dict[str, Json]:
    """Stripe's own example objects the fake starts from, by object type."""
    text = resources.files("tickex.testing").joinpath("stripe_data/fixtures.json").read_text()
    loaded: dict[str, Json] = json.loads(text)["resources"]
    return loaded


class StripeFailure(Exception):
    """An API error as Stripe answers it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
        saved: bool = False,  # a failure the idempotency layer keeps (not a bad request)
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param
        self.type = type or ERROR_TYPES.get(status, "api_error")
        self.saved = saved

    def body(self) -> Json:
        error: Json = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> StripeFailure:
    return StripeFailure(404, f"No such {kind}: '{object_id}'", code="resource_missing",
                         param=param)  # fmt: skip


def invalid(param: str, message: str, code: str = "parameter_invalid_empty") -> StripeFailure:
    return StripeFailure(400, message, code=code, param=param)


# -- Stripe's form encoding ---------------------------------------------------------------
def decode_form(body: str) -> Json:
    """``a[b][0][c]=1&a[d]=x`` -> ``{"a": {"b": [{"c": "1"}], "d": "x"}}``: Stripe's
    bracket notation, with integer segments as list indexes. Values stay strings."""
    tree: Json = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, _, rest = key.partition("[")
        path = [head, *_SEGMENT.findall("[" + rest)] if rest else [head]
        node = tree
        for segment in path[:-1]:
            child = node.setdefault(segment, {})
            if not isinstance(child, dict):
                raise invalid(key, f"Invalid object: {key}", "parameter_invalid_object")
            node = child
        node[path[-1]] = value
    result = _lists(tree)
    assert isinstance(result, dict)
    return result


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


def _int(params: Json, name: str, *, minimum: int = 0, required: bool = False) -> int | None:
    raw = params.get(name)
    if raw is None:
        if required:
            raise invalid(name, f"Missing required param: {name}.", "parameter_missing")
        return None
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d{1,15}", raw):
        raise invalid(name, f"Invalid integer: {raw}", "parameter_invalid_integer")
    value = int(raw)
    if value < minimum:
        raise invalid(name, f"This value must be greater than or equal to {minimum}.",
                      "parameter_invalid_integer")  # fmt: skip
    return value


def _bool(params: Json, name: str) -> bool:
    raw = params.get(name, "false")
    if raw not in ("true", "false"):
        raise invalid(name, f"Invalid boolean: {raw}", "parameter_invalid_boolean")
    return bool(raw == "true")


def _metadata(params: Json, name: str = "metadata") -> dict[str, str]:
    raw = params.get(name, {})
    if raw == "":
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_METADATA_KEYS:
        raise invalid(name, "Invalid metadata: at most 50 keys of strings.")
    for key, value in raw.items():
        if not isinstance(value, str) or len(key) > 40 or len(value) > 500:
            raise invalid(f"{name}[{key}]", "Metadata keys are at most 40 characters and "
                          "values at most 500 characters.")  # fmt: skip
    return dict(raw)


# -- webhooks ------------------------------------------------------------------------------
def signature_header(payload: bytes, secrets_: Iterable[str], timestamp: int) -> str:
    """``t=<timestamp>,v1=<signature>[,v1=...]``: one signature per secret."""
    signed = str(timestamp).encode() + b"." + payload
    parts = [f"t={timestamp}"]
    for secret in secrets_:
        parts.append("v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest())
    return ",".join(parts)


@dataclass
class Delivery:
    event_id: str
    event_type: str
    status: int | None  # None: lost in transit or unreachable
    signature: str


@dataclass
class WebhookEndpoint:
    target: str | Sender
    secrets: list[str]  # the newest last; all of them sign while a secret is rolled
    queue: deque[Json] = field(default_factory=deque)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def secret(self) -> str:
        return self.secrets[-1]

    def roll_secret(self, *, keep_old: bool = True) -> str:
        """A new signing secret; the old one keeps signing too until ``keep_old=False``
        (Stripe lets both sign for a while, so receivers can switch)."""
        new = "whsec_" + secrets.token_hex(16)
        self.secrets = [*self.secrets, new] if keep_old else [new]
        return new

    def delivered(self, event_type: str | None = None) -> list[Delivery]:
        """Deliveries the endpoint answered with 2xx."""
        return [d for d in self.deliveries if d.status is not None and 200 <= d.status < 300
                and (event_type is None or d.event_type == event_type)]  # fmt: skip


# -- the fake ------------------------------------------------------------------------------
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
    ) -> None:
        super().__init__(_Handler, name="fake-stripe")
        self.secret_key = secret_key
        self.livemode = secret_key.startswith(("sk_live_", "rk_live_"))
        self.clock = clock
        self.fee_percent_bp, self.fee_fixed_minor = fee_percent_bp, fee_fixed_minor
        self.auto_deliver, self.delivery_delay = auto_deliver, delivery_delay
        self.instant_onboarding = instant_onboarding
        self.api_version: str | None = None  # the last Stripe-Version a client sent
        self.fixtures = fixtures()
        self.objects: dict[str, dict[str, Json]] = {
            kind: {} for kind in ("checkout.session", "payment_intent", "charge", "refund",
                                  "balance_transaction", "event", "account")
        }  # fmt: skip
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

    def _from_fixture(self, kind: str, **values: Any) -> Json:
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
            account = self._new_account(account_id or self.new_id("acct"), {})
            self._change_account(account, **changes)
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
            self._change_account(account, **changes)
            return copy.deepcopy(self._emit("account.updated", account))

    @staticmethod
    def _change_account(
        account: Json,
        *,
        charges_enabled: bool | None = None,
        payouts_enabled: bool | None = None,
        details_submitted: bool | None = None,
        currently_due: Iterable[str] | None = None,
        disabled_reason: str | None = "",  # "": as it is; None: no reason any more
    ) -> None:
        changes = {"charges_enabled": charges_enabled, "payouts_enabled": payouts_enabled,
                   "details_submitted": details_submitted}  # fmt: skip
        account.update({name: value for name, value in changes.items() if value is not None})
        requirements = account["requirements"]
        if currently_due is not None:
            requirements["currently_due"] = list(currently_due)
            requirements["eventually_due"] = list(currently_due)
        if disabled_reason != "":
            requirements["disabled_reason"] = disabled_reason

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
            intent = self._from_fixture(
                "payment_intent", id=self.new_id("pi"), created=self.now(),
                amount=session["amount_total"], currency=session["currency"],
                amount_received=0, canceled_at=None, latest_charge=None,
                last_payment_error=None, next_action=None, processing=None,
                application_fee_amount=_int(intent_data, "application_fee_amount"),
                transfer_data={"destination": transfer["destination"]} if transfer else None,
                metadata=_metadata(intent_data), description=intent_data.get("description"),
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
                self._succeed(session, intent)
            self._emit("checkout.session.completed", session)
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
                self._succeed(session, intent)
                self._emit("checkout.session.async_payment_succeeded", session)
            else:
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={"type": "card_error", "code": "debit_failed"},
                )
                self._emit("payment_intent.payment_failed", intent)
                self._emit("checkout.session.async_payment_failed", session)
            return copy.deepcopy(session)

    def expire_due(self) -> list[str]:
        """Expire every open session whose ``expires_at`` has passed (Stripe does it on
        its own); returns their ids."""
        with self._lock:
            due = [s for s in self.objects["checkout.session"].values()
                   if s["status"] == "open" and s["expires_at"] <= self.now()]  # fmt: skip
            for session in due:
                self._expire(session)
            return [s["id"] for s in due]

    def _open_session(self, session_id: str) -> Json:
        session = self.objects["checkout.session"].get(session_id)
        if session is None:
            raise missing("checkout.session", session_id)
        if session["status"] != "open":
            raise invalid("session", f"This Checkout Session is {session['status']}.",
                          "checkout_session_not_open")  # fmt: skip
        return session

    def _succeed(self, session: Json, intent: Json) -> None:
        """The money arrived: a charge with its balance transaction, the intent succeeded."""
        amount, currency = intent["amount"], intent["currency"]
        fee = min(amount, (amount * self.fee_percent_bp + 5_000) // 10_000 + self.fee_fixed_minor)
        txn = self._from_fixture(
            "balance_transaction", id=self.new_id("txn"), amount=amount, currency=currency,
            fee=fee, net=amount - fee, created=self.now(), available_on=self.now() + 2 * 86400,
            description=None, type="charge", reporting_category="charge", status="pending",
            fee_details=[{"amount": fee, "application": None, "currency": currency,
                          "description": "Stripe processing fees", "type": "stripe_fee"}],
        )  # fmt: skip
        charge = self._from_fixture(
            "charge", id=self.new_id("ch"), amount=amount, amount_captured=amount,
            amount_refunded=0, currency=currency, created=self.now(), captured=True, paid=True,
            refunded=False, status="succeeded", payment_intent=intent["id"],
            balance_transaction=txn["id"], metadata=dict(intent["metadata"]),
            application_fee_amount=intent["application_fee_amount"],
            transfer_data=copy.deepcopy(intent["transfer_data"]),
            destination=(intent["transfer_data"] or {}).get("destination"),
            receipt_email=intent["receipt_email"], failure_code=None, failure_message=None,
            payment_method=intent["payment_method"],
        )  # fmt: skip
        txn["source"] = charge["id"]
        self.objects["balance_transaction"][txn["id"]] = txn
        self.objects["charge"][charge["id"]] = charge
        intent.update(status="succeeded", amount_received=amount, latest_charge=charge["id"])
        session["payment_status"] = "paid"
        self._emit("charge.succeeded", charge)
        self._emit("payment_intent.succeeded", intent)

    def _expire(self, session: Json, request: Json | None = None) -> None:
        session.update(status="expired", url=None)
        self._emit("checkout.session.expired", session, request)

    # -- events and their delivery ------------------------------------------------------
    def _emit(self, event_type: str, obj: Json, request: Json | None = None) -> Json:
        event = self._from_fixture(
            "event", id=self.new_id("evt"), type=event_type, created=self.now(),
            api_version=self.api_version, data={"object": copy.deepcopy(obj)},
            pending_webhooks=len(self.endpoints),
            request=request or {"id": None, "idempotency_key": None},
        )  # fmt: skip
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
        status = None if dropped else _post(endpoint.target, payload or body, headers)
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
                    return 200, self._create_session(params), True
                if (
                    method == "POST"
                    and parts[:3] == ["v1", "checkout", "sessions"]
                    and (len(parts) == 5 and parts[4] == "expire")
                ):
                    return 200, self._expire_session(parts[3], key), True
                if method == "POST" and parts == ["v1", "refunds"]:
                    return 200, self._create_refund(params, key), True
                if method == "POST" and parts == ["v1", "accounts"]:
                    return 200, self._create_account(params), True
                if method == "POST" and parts == ["v1", "account_links"]:
                    return 200, self._create_account_link(params), True
                if method == "GET":
                    return 200, self._retrieve(parts, params), False
        except StripeFailure as exc:
            return exc.status, exc.body(), exc.saved or exc.status >= 500
        failure = StripeFailure(404, f"Unrecognized request URL ({method}: {path}).")
        return 404, failure.body(), False

    _RETRIEVABLE = {
        ("checkout", "sessions"): "checkout.session",
        ("payment_intents",): "payment_intent",
        ("charges",): "charge",
        ("refunds",): "refund",
        ("balance_transactions",): "balance_transaction",
        ("events",): "event",
        ("accounts",): "account",
    }

    def _retrieve(self, parts: list[str], params: Json) -> Json:
        if len(parts) < 3 or parts[0] != "v1":
            raise StripeFailure(404, "Unrecognized request URL.")
        kind = self._RETRIEVABLE.get(tuple(parts[1:-1]))
        if kind is None:
            raise StripeFailure(404, "Unrecognized request URL.")
        found = self.objects[kind].get(parts[-1])
        if found is None:
            raise missing(kind, parts[-1])
        obj = copy.deepcopy(found)
        expand = params.get("expand") or []
        for dotted in expand if isinstance(expand, list) else [expand]:
            self._expand(obj, str(dotted).split("."), dotted)
        return obj

    def _expand(self, obj: Json, path: list[str], dotted: str) -> None:
        name, rest = path[0], path[1:]
        value = obj.get(name)
        if isinstance(value, str):
            value = next((copy.deepcopy(store[value]) for store in self.objects.values()
                          if value in store), None)  # fmt: skip
            if value is None:
                raise invalid("expand", f"This property cannot be expanded ({dotted}).")
            obj[name] = value
        if rest and isinstance(value, dict):
            self._expand(value, rest, dotted)
        elif rest and value is not None:
            raise invalid("expand", f"This property cannot be expanded ({dotted}).")

    def _create_session(self, params: Json) -> Json:
        if params.get("mode") != "payment":
            raise invalid("mode", "This fake supports mode=payment only.", "parameter_missing")
        lines = params.get("line_items")
        if not isinstance(lines, list) or not lines:
            raise invalid("line_items", "line_items is required in payment mode.",
                          "parameter_missing")  # fmt: skip
        currencies, subtotal = set(), 0
        for i, line in enumerate(lines):
            if not isinstance(line, dict) or not isinstance(line.get("price_data"), dict):
                raise invalid(f"line_items[{i}][price_data]", "Give price_data (the fake "
                              "knows no prices).", "parameter_missing")  # fmt: skip
            price = line["price_data"]
            quantity = _int(line, "quantity", minimum=1, required=True)
            unit = _int(price, "unit_amount", required=True)
            product = price.get("product_data")
            if not isinstance(product, dict) or not product.get("name"):
                raise invalid(f"line_items[{i}][price_data][product_data][name]",
                              "Missing required param: name.", "parameter_missing")  # fmt: skip
            currency = price.get("currency")
            if not isinstance(currency, str) or not re.fullmatch(r"[a-z]{3}", currency):
                raise invalid(f"line_items[{i}][price_data][currency]", "Invalid currency.",
                              "parameter_invalid_empty")  # fmt: skip
            assert quantity is not None and unit is not None
            currencies.add(currency)
            subtotal += quantity * unit
        if len(currencies) != 1:
            raise invalid("line_items", "All line items must share one currency.",
                          "currency_mismatch")  # fmt: skip
        now = self.now()
        expires_at = _int(params, "expires_at")
        if expires_at is not None and not (
            now + MIN_EXPIRY_SECONDS <= expires_at <= now + MAX_EXPIRY_SECONDS
        ):
            raise invalid("expires_at", "The `expires_at` timestamp must be between 30 "
                          "minutes and 24 hours after the Checkout Session is created.",
                          "parameter_invalid_integer")  # fmt: skip
        intent_data = params.get("payment_intent_data") or {}
        if not isinstance(intent_data, dict):
            raise invalid("payment_intent_data", "Invalid object", "parameter_invalid_object")
        fee = _int(intent_data, "application_fee_amount")
        destination = (intent_data.get("transfer_data") or {}).get("destination")
        if fee is not None and not destination:
            raise invalid("payment_intent_data[application_fee_amount]",
                          "Can only apply an application_fee_amount when the PaymentIntent "
                          "is attempting a direct payment (using an OAuth key or "
                          "Stripe-Account header) or destination payment (using "
                          "transfer_data[destination]).")  # fmt: skip
        if fee is not None and fee > subtotal:
            raise invalid("payment_intent_data[application_fee_amount]",
                          "The application fee cannot exceed the amount.")  # fmt: skip
        if destination is not None and not str(destination).startswith("acct_"):
            raise missing("destination", str(destination),
                          "payment_intent_data[transfer_data][destination]")  # fmt: skip
        _metadata(intent_data)
        reference = params.get("client_reference_id")
        if reference is not None and not 1 <= len(reference) <= 200:
            raise invalid("client_reference_id", "At most 200 characters.")
        session_id = "cs_test_" + secrets.token_urlsafe(40).replace("-", "a").replace("_", "b")
        session = self._from_fixture(
            "checkout.session", id=session_id, created=now,
            expires_at=expires_at if expires_at is not None else now + MAX_EXPIRY_SECONDS,
            status="open", payment_status="unpaid", payment_intent=None, mode="payment",
            amount_subtotal=subtotal, amount_total=subtotal, currency=currencies.pop(),
            client_reference_id=reference, customer_email=params.get("customer_email"),
            customer_details=None, metadata=_metadata(params),
            success_url=params.get("success_url"), cancel_url=params.get("cancel_url"),
            url=f"{self.url}/checkout/{session_id}", after_expiration=None,
            shipping_address_collection=None, shipping_cost=None, custom_text={
                "after_submit": None, "shipping_address": None, "submit": None,
                "terms_of_service_acceptance": None},
            total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            currency_conversion=None, collected_information=None, invoice_creation={
                "enabled": False, "invoice_data": self.fixtures["checkout.session"][
                    "invoice_creation"]["invoice_data"]},
            payment_method_types=["card"],
        )  # fmt: skip
        self.objects["checkout.session"][session_id] = session
        self.created_with[session_id] = params
        return copy.deepcopy(session)

    def _create_account(self, params: Json) -> Json:
        account_type = params.get("type")
        if account_type not in ("express", "standard", "custom"):
            raise invalid("type", "Invalid type: must be one of express, standard or custom.",
                          "parameter_invalid_empty")  # fmt: skip
        account = self._new_account(self.new_id("acct"), params)
        if self.instant_onboarding:  # offline runs: no onboarding page to go through
            self._change_account(account, **ONBOARDED)
        return copy.deepcopy(account)

    def _new_account(self, account_id: str, params: Json) -> Json:
        """An account as Stripe makes it: nothing submitted yet, so neither charges nor
        payouts, and the fixture's requirements currently due."""
        fixture = self.fixtures["account"]
        requested = params.get("capabilities") or {}
        capabilities = {name: "inactive" for name in requested} if isinstance(
            requested, dict) else {}  # fmt: skip
        account = self._from_fixture(
            "account", id=account_id, created=self.now(), type=params.get("type", "express"),
            email=params.get("email"), country=params.get("country", fixture["country"]),
            metadata=_metadata(params), charges_enabled=False, payouts_enabled=False,
            details_submitted=False, capabilities=capabilities or fixture["capabilities"],
            requirements=copy.deepcopy(fixture["requirements"]),
            external_accounts={**fixture["external_accounts"],
                               "url": f"/v1/accounts/{account_id}/external_accounts"},
        )  # fmt: skip
        self.objects["account"][account_id] = account
        return account

    def _create_account_link(self, params: Json) -> Json:
        account_id = params.get("account")
        if not isinstance(account_id, str) or not account_id:
            raise invalid("account", "Missing required param: account.", "parameter_missing")
        if account_id not in self.objects["account"]:
            raise missing("account", account_id, "account")
        if params.get("type") not in ("account_onboarding", "account_update"):
            raise invalid("type", "Invalid type: must be account_onboarding or "
                          "account_update.")  # fmt: skip
        for name in ("refresh_url", "return_url"):
            url = params.get(name)
            if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
                raise invalid(name, f"Not a valid URL: {name}.", "url_invalid")
        now = self.now()
        link = self._from_fixture(
            "account_link", created=now, expires_at=now + 300,
            url=f"{self.url}/connect/{account_id}/{secrets.token_urlsafe(12)}",
        )  # fmt: skip
        self.account_links.append({**link, "account": account_id, "type": params["type"],
                                   "refresh_url": params["refresh_url"],
                                   "return_url": params["return_url"]})  # fmt: skip
        return link

    def _expire_session(self, session_id: str, key: str | None) -> Json:
        session = self.objects["checkout.session"].get(session_id)
        if session is None:
            raise missing("checkout.session", session_id, "session")
        if session["status"] != "open":
            raise StripeFailure(400, "Only Checkout Sessions with a status of `open` can be "
                                "expired.", saved=True)  # fmt: skip
        self._expire(session, {"id": "req_" + secrets.token_hex(8), "idempotency_key": key})
        return copy.deepcopy(session)

    def _create_refund(self, params: Json, key: str | None) -> Json:
        if "payment_intent" in params:
            intent = self.objects["payment_intent"].get(params["payment_intent"])
            if intent is None:
                raise missing("payment_intent", params["payment_intent"], "payment_intent")
            charge_id = intent["latest_charge"]
            if intent["status"] != "succeeded" or charge_id is None:
                raise StripeFailure(400, "This PaymentIntent does not have a successful "
                                    "charge to refund.", code="charge_not_refundable",
                                    param="payment_intent", saved=True)  # fmt: skip
        elif "charge" in params:
            charge_id = params["charge"]
        else:
            raise invalid("payment_intent", "One of `charge` or `payment_intent` is required.",
                          "parameter_missing")  # fmt: skip
        charge = self.objects["charge"].get(charge_id)
        if charge is None:
            raise missing("charge", charge_id, "charge")
        left = charge["amount"] - charge["amount_refunded"]
        amount = _int(params, "amount", minimum=1)
        amount = left if amount is None else amount
        if left == 0:
            raise StripeFailure(400, f"Charge {charge_id} has already been refunded.",
                                code="charge_already_refunded", saved=True)  # fmt: skip
        if amount > left:
            raise StripeFailure(400, f"Refund amount ({amount}) is greater than unrefunded "
                                f"amount on charge ({left})", code="amount_too_large",
                                param="amount", saved=True)  # fmt: skip
        reason = params.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid("reason", f"Invalid reason: must be one of {sorted(REFUND_REASONS)}")
        reverse_transfer = _bool(params, "reverse_transfer")
        refund_fee = _bool(params, "refund_application_fee")
        if reverse_transfer and not charge["transfer_data"]:
            raise invalid("reverse_transfer", "reverse_transfer is only for destination "
                          "charges (transfer_data[destination]).")  # fmt: skip
        txn = self._from_fixture(
            "balance_transaction", id=self.new_id("txn"), amount=-amount, fee=0, net=-amount,
            currency=charge["currency"], created=self.now(), available_on=self.now(),
            description="REFUND FOR CHARGE", type="refund", reporting_category="refund",
            fee_details=[], status="available",
        )  # fmt: skip
        refund = self._from_fixture(
            "refund", id=self.new_id("re"), amount=amount, charge=charge_id,
            currency=charge["currency"], created=self.now(), status="succeeded",
            payment_intent=charge["payment_intent"], balance_transaction=txn["id"],
            metadata=_metadata(params), reason=reason,
            transfer_reversal=self.new_id("trr") if reverse_transfer else None,
        )  # fmt: skip
        txn["source"] = refund["id"]
        self.objects["balance_transaction"][txn["id"]] = txn
        self.objects["refund"][refund["id"]] = refund
        self.refund_options[refund["id"]] = {"reverse_transfer": reverse_transfer,
                                             "refund_application_fee": refund_fee,
                                             "idempotency_key": key}  # fmt: skip
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self._emit("refund.created", refund)
        self._emit("charge.refunded", charge)
        return copy.deepcopy(refund)

    # -- the hosted page (offline runs) -----------------------------------------------------
    def page(self, session_id: str) -> tuple[int, str]:
        with self._lock:
            session = self.objects["checkout.session"].get(session_id)
            if session is None:
                return 404, "<h1>Checkout not found</h1>"
            amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
            if session["status"] != "open":
                return 200, f"<h1>This checkout is {html.escape(session['status'])}</h1>"
            lines = "".join(
                f"<li>{html.escape(line['price_data']['product_data']['name'])} x "
                f"{html.escape(line['quantity'])}</li>"
                for line in self.created_with[session_id]["line_items"]
            )
            return 200, (
                f"<h1>Fake Stripe Checkout</h1><ul>{lines}</ul><p>{html.escape(amount)}</p>"
                '<form method="post"><button name="outcome" value="paid">Pay by card</button> '
                '<button name="outcome" value="processing">Pay by bank debit (settles '
                "later)</button></form><p>No money moves: TickEx's local fake of Stripe.</p>"
            )

    def onboarding_page(self, path: str) -> tuple[int, str]:
        with self._lock:
            link = self._link(path)
            if link is None:
                return 404, "<h1>This onboarding link is not valid</h1>"
            return 200, (
                "<h1>Fake Stripe Connect onboarding</h1>"
                f"<p>Account {html.escape(link['account'])}</p>"
                '<form method="post"><button>Complete onboarding</button></form>'
                "<p>No account is verified: TickEx's local fake of Stripe.</p>"
            )

    def onboard_from_page(self, path: str) -> str | None:
        """The page's button: the account can take charges and be paid out
        (``account.updated``), and the browser goes to the link's ``return_url``."""
        with self._lock:
            link = self._link(path)
            if link is None:
                return None
            self.update_account(link["account"], **ONBOARDED)
            return str(link["return_url"])

    def _link(self, path: str) -> Json | None:
        return next((link for link in self.account_links
                     if urlsplit(link["url"]).path == path), None)  # fmt: skip

    def pay_from_page(self, session_id: str, form: Json) -> str | None:
        """The page's button: pay, and answer where the browser goes next."""
        outcome: Literal["paid", "processing"] = (
            "processing" if form.get("outcome") == "processing" else "paid"
        )
        try:
            session = self.pay(session_id, outcome=outcome)
        except StripeFailure:
            return None
        success = session.get("success_url")
        return str(success).replace("{CHECKOUT_SESSION_ID}", session_id) if success else None


def _post(target: str | Sender, body: bytes, headers: Mapping[str, str]) -> int | None:
    if not isinstance(target, str):
        return target(body, headers)
    if urlsplit(target).scheme not in ("http", "https"):
        raise ValueError(f"webhooks go to http(s) URLs, not {target!r}")
    request = urllib.request.Request(target, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return None


class _Handler(LoopbackHandler):
    fake: FakeStripe
    server_version = "FakeStripe/1"

    def _send(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str]
    ) -> None:
        self.send(status, body, {"Content-Type": content_type, **headers})

    def _api(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, b'{"error": {"type": "invalid_request_error", "message": '
                       b'"Request too large"}}', "application/json", {})  # fmt: skip
            return
        raw = self.rfile.read(length)
        parts = urlsplit(self.path)
        if parts.path.startswith("/checkout/"):
            self._page(method, parts.path.removeprefix("/checkout/"), raw)
            return
        if parts.path.startswith("/connect/"):
            self._onboarding(method, parts.path)
            return
        headers = {name: value for name, value in self.headers.items()}
        status, body, extra = self.fake.handle(method, parts.path, parts.query, headers, raw)
        self._send(status, json.dumps(body, indent=2).encode(), "application/json", extra)

    def _page(self, method: str, session_id: str, raw: bytes) -> None:
        if method == "POST":
            target = self.fake.pay_from_page(session_id, decode_form(raw.decode("utf-8")))
            if target is not None:
                self._send(303, b"", "text/plain", {"Location": target})
                return
        status, text = self.fake.page(session_id)
        page = f"<!doctype html><meta charset=utf-8><title>Fake Stripe</title>{text}"
        self._send(status, page.encode(), "text/html; charset=utf-8", {})

    def _onboarding(self, method: str, path: str) -> None:
        if method == "POST":
            target = self.fake.onboard_from_page(path)
            if target is not None:
                self._send(303, b"", "text/plain", {"Location": target})
                return
        status, text = self.fake.onboarding_page(path)
        page = f"<!doctype html><meta charset=utf-8><title>Fake Stripe</title>{text}"
        self._send(status, page.encode(), "text/html; charset=utf-8", {})

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's hook names
        self._api("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._api("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._api("DELETE")
