"""``StripePaymentGateway``: Stripe Checkout (with Connect destination charges), refunds
and webhooks, through the official SDK's ``StripeClient``.

- **Checkout**: a Session in ``payment`` mode with one line per ticket type (its
  discount taken off the line, and said in the line's description), plus the tax and
  service fee when the buyer pays them on top; the lines add up to the order's total.
  ``client_reference_id`` and ``metadata`` carry the order id (and its code);
  ``customer_email`` is prefilled; ``success_url`` / ``cancel_url`` come from the request.
  When the organizer's connected account is known, the charge is a destination charge:
  ``payment_intent_data[transfer_data][destination]`` is the account and
  ``payment_intent_data[application_fee_amount]`` the platform fee (Stripe refuses an
  application fee without a destination, so without one the platform simply keeps the
  whole charge and the ledger's fee is booked as usual).
- **Expiry**: Stripe takes ``expires_at`` only from 30 minutes to 24 hours after the
  session is created. A hold longer than a day is cut to the day. A hold *shorter* than
  30 minutes (TickEx's default is 15) cannot be matched: the session is made to expire at
  the earliest Stripe allows (30 minutes and a minute's margin for clock skew), so for
  that window the buyer can still pay after the hold ended. Such a payment is a late
  payment (``confirm_payment``: the seats are taken again if they are still free, else
  the payment is refunded at once); and ``expire_checkout`` closes a session as soon as
  its hold is released, where the caller does it.
- **Idempotency**: every POST carries an ``Idempotency-Key``: ``tickex:checkout:<order
  id>`` (a retried ``create_checkout`` for one order answers the same session),
  ``tickex:expire:<session id>``, and the refund request's own key.
- **Refunds**: of the session's PaymentIntent, for the amount asked, with
  ``reverse_transfer`` and ``refund_application_fee`` when the request says so.
- **Webhooks** (``parse_webhook``): ``Stripe-Signature: t=...,v1=...`` is checked on the
  raw body with every configured endpoint secret (rotation: any of them, any of the
  ``v1`` signatures), within 300 s of the clock's time either way; then the event's
  ``livemode`` must match the secret key's mode. The event is read into a
  ``PaymentNotification``; types TickEx does not act on come back as ``OTHER``. A
  connected account's ``payout.paid`` is ``PAYOUT_PAID``; its ``payout.failed`` (which
  may come days after ``paid``) and ``payout.canceled`` are ``PAYOUT_FAILED``: either way
  the money is back in the account's balance. Each carries the payout as sent and the
  event's ``account``.
- **Connect onboarding**: an Express account per organizer (``tickex:account:<organizer
  id>`` as its key, the organizer's id in its metadata), asking for the ``card_payments``
  and ``transfers`` capabilities; an ``account_onboarding`` Account Link for it; and the
  account read back. ``account.updated`` events come back as ``ACCOUNT_UPDATED`` with the
  account's state as sent (``charges_enabled``, ``payouts_enabled``,
  ``requirements.currently_due`` and ``requirements.disabled_reason``).
- **Errors**: connection failures, 409 (a concurrent request with the same key), 429 and
  5xx are retryable; every other refusal is not. Messages name Stripe's error type, code
  and parameter, never the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import stripe

from tickex.adapters.loopback import is_loopback
from tickex.domain.money import Money
from tickex.ports.clock import Clock
from tickex.ports.payment import (
    ChargeState,
    CheckoutLine,
    CheckoutRequest,
    CheckoutSession,
    CheckoutState,
    CheckoutStatus,
    ConnectedAccountRequest,
    ConnectedAccountState,
    DisputeOutcome,
    DisputeState,
    NotificationKind,
    OnboardingLink,
    PaymentError,
    PaymentGateway,
    PaymentNotification,
    PaymentStatus,
    PayoutState,
    RefundReceipt,
    RefundRequest,
    WebhookRejected,
)

T = TypeVar("T")
TOLERANCE_SECONDS = 300
MIN_EXPIRY = timedelta(minutes=30)  # Stripe's bounds for a Checkout Session's expires_at
MAX_EXPIRY = timedelta(hours=24)
EXPIRY_MARGIN = timedelta(minutes=1)  # our clock and Stripe's may differ a little
MAX_SIGNATURE_HEADER = 4096
_KINDS = {
    "checkout.session.completed": NotificationKind.CHECKOUT_COMPLETED,
    "checkout.session.async_payment_succeeded": NotificationKind.ASYNC_PAYMENT_SUCCEEDED,
    "checkout.session.async_payment_failed": NotificationKind.ASYNC_PAYMENT_FAILED,
    "checkout.session.expired": NotificationKind.CHECKOUT_EXPIRED,
    "account.updated": NotificationKind.ACCOUNT_UPDATED,
    "charge.refunded": NotificationKind.CHARGE_CHANGED,
    "charge.updated": NotificationKind.CHARGE_CHANGED,  # e.g. its balance transaction came
    "charge.dispute.created": NotificationKind.DISPUTE_CHANGED,
    "charge.dispute.updated": NotificationKind.DISPUTE_CHANGED,
    "charge.dispute.closed": NotificationKind.DISPUTE_CHANGED,
    "charge.dispute.funds_withdrawn": NotificationKind.DISPUTE_CHANGED,
    "charge.dispute.funds_reinstated": NotificationKind.DISPUTE_CHANGED,
    "payout.paid": NotificationKind.PAYOUT_PAID,
    "payout.failed": NotificationKind.PAYOUT_FAILED,  # also days after payout.paid
    "payout.canceled": NotificationKind.PAYOUT_FAILED,  # before it was paid: never will be
}
_OBJECTS = {  # the object each kind of event carries, and how it is said in an error
    NotificationKind.ACCOUNT_UPDATED: ("account", "account"),
    NotificationKind.CHARGE_CHANGED: ("charge", "charge"),
    NotificationKind.DISPUTE_CHANGED: ("dispute", "dispute"),
    NotificationKind.PAYOUT_PAID: ("payout", "payout"),
    NotificationKind.PAYOUT_FAILED: ("payout", "payout"),
}
_PAYOUTS = frozenset({NotificationKind.PAYOUT_PAID, NotificationKind.PAYOUT_FAILED})
_CHECKOUT = ("checkout.session", "checkout session")
_WON = frozenset({"won", "warning_closed", "prevented"})  # Stripe's dispute statuses ...
_LOST = frozenset({"lost"})  # ... the rest are open
_CHARGE_EXPANSIONS = ["balance_transaction", "application_fee"]
_RETRYABLE_STATUSES = frozenset({409, 429})
_REFUND_REASON = "requested_by_customer"


def live_key(secret_key: str) -> bool:
    """Whether a secret (or restricted) key is a live-mode key."""
    return secret_key.startswith(("sk_live_", "rk_live_"))


class StripePaymentGateway(PaymentGateway):
    name = "stripe"
    connected_accounts = True

    def __init__(
        self,
        secret_key: str,
        *,
        webhook_secrets: Sequence[str],
        clock: Clock,
        base_url: str | None = None,
        max_network_retries: int = 2,
        http_client: stripe.HTTPClient | None = None,
    ) -> None:
        if not secret_key.startswith(("sk_", "rk_")):
            raise ValueError("a Stripe secret key starts with sk_ (or rk_ for a restricted key)")
        secrets_ = tuple(s for s in webhook_secrets if s.strip())
        if not secrets_:
            raise ValueError("at least one webhook signing secret (whsec_...) is required")
        if base_url is not None:
            parts = urlsplit(base_url)
            loopback = parts.hostname is not None and is_loopback(parts.hostname)
            if not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
                raise ValueError("the base URL must be https (http only on loopback, for tests)")
        self.livemode = live_key(secret_key)
        self._webhook_secrets = secrets_
        self._clock = clock
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": base_url.rstrip("/")} if base_url else None,
            max_network_retries=max_network_retries,
            http_client=http_client or stripe.RequestsClient(timeout=20),
        )

    def __repr__(self) -> str:  # never the key
        return f"StripePaymentGateway(livemode={self.livemode})"

    # -- checkout -------------------------------------------------------------------------
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        session = self._post(
            self._client.v1.checkout.sessions.create, self.checkout_params(request),
            f"tickex:checkout:{request.order_id}", "creating a checkout session",
        )  # fmt: skip
        if not session.url:
            raise PaymentError("Stripe answered a checkout session without a URL")
        return CheckoutSession(reference=session.id, url=session.url)

    def checkout_params(self, request: CheckoutRequest) -> dict[str, Any]:
        """The Checkout Session ``request`` asks for, as Stripe takes it."""
        currency = request.amount.currency.lower()
        lines = request.lines or (CheckoutLine(request.description, 1, request.amount),)
        if Money.sum((line.amount for line in lines), request.amount.currency) != request.amount:
            raise PaymentError("the checkout lines do not add up to the amount", retryable=False)
        metadata = {"order_id": request.order_id, "order_code": request.order_code}
        if request.organizer_account_id:  # read back by refunds (``checkout_state``)
            metadata["destination"] = request.organizer_account_id
        intent: dict[str, Any] = {"description": request.description, "metadata": metadata}
        if request.organizer_account_id:
            intent["transfer_data"] = {"destination": request.organizer_account_id}
            if request.platform_fee.amount_minor > 0:
                intent["application_fee_amount"] = request.platform_fee.amount_minor
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [_line_item(line, currency) for line in lines],
            "client_reference_id": request.order_id,
            "metadata": metadata,
            "customer_email": request.customer_email,
            "expires_at": int(self.session_expiry(request.expires_at).timestamp()),
            "payment_intent_data": intent,
        }
        if request.success_url:
            params["success_url"] = request.success_url
        if request.cancel_url:
            params["cancel_url"] = request.cancel_url
        return params

    def session_expiry(self, hold_expires_at: datetime) -> datetime:
        """The hold's end, within what Stripe takes (see the module's notes)."""
        now = self._clock.now()
        earliest = now + MIN_EXPIRY + EXPIRY_MARGIN
        latest = now + MAX_EXPIRY - EXPIRY_MARGIN
        return min(max(hold_expires_at, earliest), latest)

    def expire_checkout(self, reference: str) -> None:
        try:
            self._client.v1.checkout.sessions.expire(
                reference, options={"idempotency_key": f"tickex:expire:{reference}"}
            )
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 400 and self.checkout_state(reference).status is not (
                CheckoutStatus.OPEN
            ):
                return  # already complete or expired: nothing to close
            _raise(exc, "expiring a checkout session")
        except stripe.StripeError as exc:
            _raise(exc, "expiring a checkout session")

    def checkout_state(self, reference: str) -> CheckoutState:
        session = self._get(self._client.v1.checkout.sessions.retrieve, reference, None,
                            "reading a checkout session")  # fmt: skip
        return _answered(checkout_state, session, "a checkout session")

    def charge(self, charge_id: str) -> ChargeState:
        """With its balance transaction (Stripe's fee) and application fee expanded."""
        charge = self._get(self._client.v1.charges.retrieve, charge_id,
                           {"expand": _CHARGE_EXPANSIONS}, "reading a charge")  # fmt: skip
        return _answered(charge_state, charge, "a charge")

    def payment_charge(self, payment_id: str) -> ChargeState | None:
        expand = [f"latest_charge.{name}" for name in _CHARGE_EXPANSIONS]
        intent = self._get(self._client.v1.payment_intents.retrieve, payment_id,
                           {"expand": expand}, "reading a payment")  # fmt: skip
        latest = intent.get("latest_charge")
        return _answered(charge_state, latest, "a charge") if isinstance(latest, dict) else None

    def dispute(self, dispute_id: str) -> DisputeState:
        dispute = self._get(self._client.v1.disputes.retrieve, dispute_id, None,
                            "reading a dispute")  # fmt: skip
        return _answered(dispute_state, dispute, "a dispute")

    def _get(
        self, retrieve: Callable[..., Any], object_id: str, params: Mapping[str, Any] | None,
        doing: str,
    ) -> dict[str, Any]:  # fmt: skip
        """A GET of one object (an SDK service's ``retrieve``), as the plain dict Stripe
        sent; Stripe's refusal as a ``PaymentError``."""
        try:
            found = retrieve(object_id, params) if params else retrieve(object_id)
        except stripe.StripeError as exc:
            _raise(exc, doing)
        answered: dict[str, Any] = found.to_dict()
        return answered

    # -- refunds ----------------------------------------------------------------------------
    def refund(self, request: RefundRequest) -> RefundReceipt:
        state = self.checkout_state(request.payment_reference)
        if state.payment_id is None or state.payment_status is not PaymentStatus.PAID:
            raise PaymentError("the checkout session has no payment to refund", retryable=False)
        params: dict[str, Any] = {
            "payment_intent": state.payment_id,
            "amount": request.amount.amount_minor,
            "reason": _REFUND_REASON,
            "metadata": {"reason": request.reason[:500]} if request.reason else {},
        }
        # Connect's options apply to a destination charge only (Stripe refuses
        # reverse_transfer on any other): a platform charge is refunded from the platform
        if state.destination is not None and request.reverse_transfer is not None:
            params["reverse_transfer"] = request.reverse_transfer
        if state.destination is not None and request.refund_application_fee is not None:
            params["refund_application_fee"] = request.refund_application_fee
        refund = self._post(
            self._client.v1.refunds.create, params, request.idempotency_key, "refunding"
        )
        return RefundReceipt(reference=refund.id)

    # -- Connect ----------------------------------------------------------------------------
    def create_connected_account(self, request: ConnectedAccountRequest) -> ConnectedAccountState:
        params: dict[str, Any] = {
            "type": "express",
            "email": request.email,
            "business_profile": {"name": request.name[:200]} if request.name else {},
            "capabilities": {"card_payments": {"requested": True},
                             "transfers": {"requested": True}},
            "metadata": {"organizer_id": request.organizer_id},
        }  # fmt: skip
        account = self._post(
            self._client.v1.accounts.create, params, request.idempotency_key,
            "creating a connected account",
        )  # fmt: skip
        return _answered(account_state, account.to_dict(), "an account")

    def connected_account(self, account_id: str) -> ConnectedAccountState:
        account = self._get(self._client.v1.accounts.retrieve, account_id, None,
                            "reading a connected account")  # fmt: skip
        return _answered(account_state, account, "an account")

    def onboarding_link(
        self, account_id: str, *, refresh_url: str, return_url: str, idempotency_key: str
    ) -> OnboardingLink:
        params = {"account": account_id, "type": "account_onboarding",
                  "refresh_url": refresh_url, "return_url": return_url}  # fmt: skip
        link = self._post(
            self._client.v1.account_links.create, params, idempotency_key,
            "creating an account link",
        )  # fmt: skip
        return OnboardingLink(url=link.url, expires_at=datetime.fromtimestamp(link.expires_at, UTC))

    def _post(self, create: Callable[..., T], params: Mapping[str, Any], key: str, doing: str) -> T:
        """A POST to Stripe (an SDK service's ``create``), always with an idempotency key;
        Stripe's refusal as a ``PaymentError``. ``params`` is the SDK's TypedDict of every
        option, built as a plain dict."""
        try:
            return create(params, {"idempotency_key": key})
        except stripe.StripeError as exc:
            _raise(exc, doing)

    # -- webhooks ---------------------------------------------------------------------------
    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentNotification:
        self.verify_signature(payload, signature)
        try:
            event = json.loads(payload)
        except (ValueError, UnicodeDecodeError, RecursionError):  # nested past the decoder
            raise WebhookRejected("the body is not JSON") from None
        if not isinstance(event, dict) or event.get("object") != "event":
            raise WebhookRejected("the body is not a Stripe event")
        if event.get("livemode") is not self.livemode:
            mode = "live" if event.get("livemode") else "test"
            raise WebhookRejected(f"a {mode}-mode event for a {_mode(self.livemode)}-mode key")
        return notification(event)

    def verify_signature(self, payload: bytes, signature: str | None) -> None:
        """Stripe's scheme: HMAC-SHA256 of ``"<t>.<raw body>"`` with an endpoint secret,
        hex, in a ``v1`` element; ``t`` within the tolerance of the clock's time."""
        if not signature:
            raise WebhookRejected("no Stripe-Signature header")
        if len(signature) > MAX_SIGNATURE_HEADER:
            raise WebhookRejected("the Stripe-Signature header is too long")
        timestamps, candidates = [], []
        for element in signature.split(","):
            name, _, value = element.strip().partition("=")
            if name == "t":
                timestamps.append(value)
            elif name == "v1":
                candidates.append(value.encode("ascii", "replace"))
        if len(timestamps) != 1 or not timestamps[0].isdigit() or len(timestamps[0]) > 12:
            raise WebhookRejected("the Stripe-Signature header has no valid timestamp")
        if not candidates:
            raise WebhookRejected("the Stripe-Signature header has no v1 signature")
        signed = timestamps[0].encode() + b"." + payload
        expected = [hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode()
                    for secret in self._webhook_secrets]  # fmt: skip
        if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
            raise WebhookRejected("no signature matches the body with this endpoint's secrets")
        age = self._clock.now().timestamp() - int(timestamps[0])
        if abs(age) > TOLERANCE_SECONDS:
            raise WebhookRejected(f"the signature's timestamp is {int(age)} s from now")


# -- reading Stripe's objects ----------------------------------------------------------------
def notification(event: Mapping[str, Any]) -> PaymentNotification:
    """A Stripe event (a dict, as sent) as a ``PaymentNotification``."""
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise WebhookRejected("the event has no id or type")
    if not isinstance(created, int) or isinstance(created, bool):
        raise WebhookRejected("the event has no creation time")
    kind = _KINDS.get(event_type, NotificationKind.OTHER)
    found: dict[str, Any] = {}
    if kind is not NotificationKind.OTHER:
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        expected, said = _OBJECTS.get(kind, _CHECKOUT)
        if not isinstance(obj, dict) or obj.get("object") != expected:
            raise WebhookRejected(f"a {event_type} event without its {said}")
        if kind is NotificationKind.ACCOUNT_UPDATED:
            found["account"] = account_state(obj)
        elif kind is NotificationKind.CHARGE_CHANGED:
            found["charge"] = charge_state(obj)
        elif kind is NotificationKind.DISPUTE_CHANGED:
            found["dispute"] = dispute_state(obj)
        elif kind in _PAYOUTS:
            account = event.get("account")  # a connected account's event names it
            found["payout"] = payout_state(obj, account if isinstance(account, str) else None)
        else:
            found["checkout"] = checkout_state(obj)
    return PaymentNotification(
        provider=StripePaymentGateway.name, event_id=event_id, event_type=event_type,
        kind=kind, occurred_at=datetime.fromtimestamp(created, UTC), **found,
    )  # fmt: skip


def checkout_state(session: Mapping[str, Any]) -> CheckoutState:
    """A ``checkout.session`` object as a ``CheckoutState``."""
    try:
        status = CheckoutStatus(str(session.get("status")))
        payment_status = PaymentStatus(str(session.get("payment_status")))
    except ValueError:
        raise WebhookRejected("a checkout session with an unknown status") from None
    session_id = session.get("id")
    if not isinstance(session_id, str) or not session_id:
        raise WebhookRejected("a checkout session without an id")
    metadata = session.get("metadata") or {}
    order_id = session.get("client_reference_id") or metadata.get("order_id")
    amount = _money(session, "amount_total")
    destination = metadata.get("destination")
    return CheckoutState(
        reference=session_id, order_id=order_id if isinstance(order_id, str) else None,
        status=status, payment_status=payment_status, amount=amount,
        payment_id=_id_of(session.get("payment_intent")),
        destination=destination if isinstance(destination, str) else None,
    )  # fmt: skip


def account_state(account: Mapping[str, Any]) -> ConnectedAccountState:
    """An ``account`` object as a ``ConnectedAccountState``."""
    account_id = account.get("id")
    if account.get("object") != "account" or not isinstance(account_id, str) or not account_id:
        raise WebhookRejected("an account without an id")
    requirements = account.get("requirements")
    requirements = requirements if isinstance(requirements, Mapping) else {}
    due = requirements.get("currently_due")
    reason = requirements.get("disabled_reason")
    return ConnectedAccountState(
        account_id=account_id,
        charges_enabled=account.get("charges_enabled") is True,
        payouts_enabled=account.get("payouts_enabled") is True,
        requirements_due=tuple(str(d) for d in due) if isinstance(due, list) else (),
        disabled_reason=str(reason) if isinstance(reason, str) and reason else None,
    )


def charge_state(charge: Mapping[str, Any]) -> ChargeState:
    """A ``charge`` object as a ``ChargeState``: the fee and the application fee's refunds
    are known when ``balance_transaction`` and ``application_fee`` are expanded."""
    charge_id = charge.get("id")
    if charge.get("object") != "charge" or not isinstance(charge_id, str) or not charge_id:
        raise WebhookRejected("a charge without an id")
    amount = _money(charge, "amount")
    if amount is None:
        raise WebhookRejected("a charge without an amount")
    currency = amount.currency
    refunded = _money(charge, "amount_refunded") or Money.zero(currency)
    metadata = charge.get("metadata") or {}
    order_id = metadata.get("order_id") if isinstance(metadata, Mapping) else None
    txn = charge.get("balance_transaction")
    fee = _minor(txn.get("fee"), currency) if isinstance(txn, Mapping) else None
    app_fee = charge.get("application_fee")
    platform_fee = returned = None
    if isinstance(app_fee, Mapping):  # expanded: what was taken, and returned so far
        platform_fee = _minor(app_fee.get("amount"), currency)
        returned = _minor(app_fee.get("amount_refunded"), currency)
    elif app_fee is not None or charge.get("application_fee_amount") is not None:
        platform_fee = _minor(charge.get("application_fee_amount"), currency)
    return ChargeState(
        charge_id=charge_id, payment_id=_id_of(charge.get("payment_intent")),
        order_id=order_id if isinstance(order_id, str) and order_id else None,
        amount=amount, refunded=refunded, processor_fee=fee, platform_fee=platform_fee,
        platform_fee_returned=returned,
    )  # fmt: skip


def dispute_state(dispute: Mapping[str, Any]) -> DisputeState:
    """A ``dispute`` object as a ``DisputeState`` (its ``balance_transactions`` always
    come expanded: a withdrawal when it opens, a reinstatement if it is won)."""
    dispute_id, charge_id = dispute.get("id"), _id_of(dispute.get("charge"))
    if dispute.get("object") != "dispute" or not isinstance(dispute_id, str) or not dispute_id:
        raise WebhookRejected("a dispute without an id")
    amount = _money(dispute, "amount")
    if charge_id is None or amount is None:
        raise WebhookRejected("a dispute without its charge or amount")
    currency, status = amount.currency, str(dispute.get("status") or "")
    withdrawn = fee = 0
    for txn in dispute.get("balance_transactions") or ():
        if isinstance(txn, Mapping) and str(txn.get("currency", "")).upper() == currency:
            withdrawn -= _minor(txn.get("amount"), currency).amount_minor
            fee += _minor(txn.get("fee"), currency).amount_minor
    outcome = (DisputeOutcome.WON if status in _WON
               else DisputeOutcome.LOST if status in _LOST else DisputeOutcome.OPEN)  # fmt: skip
    return DisputeState(
        dispute_id=dispute_id, charge_id=charge_id, amount=amount, status=status[:40],
        outcome=outcome, withdrawn=Money(withdrawn, currency), fee=Money(fee, currency),
    )  # fmt: skip


def payout_state(payout: Mapping[str, Any], account_id: str | None) -> PayoutState:
    """A ``payout`` object (of ``account_id``, the event's connected account) as a
    ``PayoutState``."""
    payout_id = payout.get("id")
    if payout.get("object") != "payout" or not isinstance(payout_id, str) or not payout_id:
        raise WebhookRejected("a payout without an id")
    amount = _money(payout, "amount")
    if amount is None:
        raise WebhookRejected("a payout without an amount")
    return PayoutState(payout_id=payout_id, account_id=account_id, amount=amount,
                       status=str(payout.get("status") or "")[:40])  # fmt: skip


def _money(obj: Mapping[str, Any], field: str) -> Money | None:
    """``obj[field]`` in ``obj["currency"]``, or None when either is missing."""
    value, currency = obj.get(field), obj.get("currency")
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if not isinstance(currency, str) or len(currency) != 3:
        return None
    return Money(value, currency.upper())


def _minor(value: Any, currency: str) -> Money:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WebhookRejected("an amount that is not a whole number of minor units")
    return Money(value, currency)


def _id_of(value: Any) -> str | None:
    """An object's id, whether it came as an id or expanded."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _answered(read: Callable[[Mapping[str, Any]], T], obj: Mapping[str, Any], what: str) -> T:
    """An object Stripe answered (not a webhook's): a malformed one is Stripe's fault."""
    try:
        return read(obj)
    except WebhookRejected:
        raise PaymentError(f"Stripe answered something other than {what}",
                           retryable=False) from None  # fmt: skip


def refund_receipt(refund: Mapping[str, Any]) -> RefundReceipt:
    """A ``refund`` object as the port's receipt."""
    refund_id = refund.get("id")
    if refund.get("object") != "refund" or not isinstance(refund_id, str):
        raise PaymentError("Stripe answered something other than a refund", retryable=False)
    return RefundReceipt(reference=refund_id)


def _line_item(line: CheckoutLine, currency: str) -> dict[str, Any]:
    """A line as Stripe's ``price_data``: ``quantity`` units of one price when the line's
    amount divides evenly, else one unit of the whole line (named with its quantity)."""
    product: dict[str, Any] = {"name": line.name}
    if line.discount is not None and line.discount.amount_minor > 0:
        product["description"] = f"Includes a discount of {line.discount}"
    quantity, unit = line.quantity, line.amount.amount_minor
    if quantity > 1 and unit % quantity == 0:
        unit //= quantity
    elif quantity > 1:
        product["name"] = f"{line.name} x {quantity}"
        quantity = 1
    return {
        "quantity": quantity,
        "price_data": {"currency": currency, "unit_amount": unit, "product_data": product},
    }


def _mode(live: bool) -> str:
    return "live" if live else "test"


def _raise(exc: stripe.StripeError, doing: str) -> NoReturn:
    """Stripe's refusal as a ``PaymentError``: retryable when waiting may help. The
    message names Stripe's status, error type, code and parameter (never the key)."""
    status = exc.http_status
    retryable = (
        isinstance(exc, stripe.APIConnectionError)
        or status is None
        or status in _RETRYABLE_STATUSES
        or status >= 500
    )
    if status is None:
        raise PaymentError(f"Stripe did not answer {doing}", retryable=retryable) from None
    error = exc.error
    details = [getattr(error, name, None) for name in ("type", "code", "param")]
    said = " ".join([str(status), *(str(d)[:100] for d in details if d)])
    raise PaymentError(f"Stripe refused {doing} ({said})", retryable=retryable,
                       missing=status == 404) from None  # fmt: skip
