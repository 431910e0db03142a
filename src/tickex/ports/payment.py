"""PaymentGateway: the payment provider (Stripe Checkout + Connect, or the local one).

Besides sessions and refunds, a provider that reports payments by webhook turns a request
it sent into a provider-neutral ``PaymentNotification`` (``parse_webhook``): the
signature is checked on the raw body first, and what the notification says is read from
the object the provider sent (its state), never from the order events arrive in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tickex.domain.money import Money
from tickex.ports.provider import ProviderError


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    """One line the buyer sees on the provider's page: a ticket type with its quantity,
    or the tax or service fee added to the tickets. ``amount`` is the line's total, after
    its ``discount``; the lines of a request add up to its ``amount``."""

    name: str
    quantity: int
    amount: Money
    discount: Money | None = None


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    order_id: str
    order_code: str
    amount: Money
    platform_fee: Money  # kept by the platform (Connect application fee)
    description: str
    customer_email: str
    expires_at: datetime
    organizer_account_id: str | None = None
    lines: tuple[CheckoutLine, ...] = ()  # none: one line of ``description``
    success_url: str | None = None  # where the provider sends the buyer after paying ...
    cancel_url: str | None = None  # ... or after giving up


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    reference: str  # the provider's session id
    url: str  # where the buyer pays


@dataclass(frozen=True, slots=True)
class RefundRequest:
    payment_reference: str
    amount: Money
    idempotency_key: str
    reason: str = ""
    # Connect (destination charges): take the refund back from the organizer's transfer,
    # and return the platform's fee in proportion; None leaves the provider's default
    # (a provider ignores both for a payment that paid no organizer's account)
    reverse_transfer: bool | None = None
    refund_application_fee: bool | None = None


@dataclass(frozen=True, slots=True)
class RefundReceipt:
    reference: str


class CheckoutStatus(StrEnum):
    OPEN = "open"  # the buyer may still pay
    COMPLETE = "complete"  # the buyer finished (paid, or a delayed payment is under way)
    EXPIRED = "expired"  # nobody can pay any more


class PaymentStatus(StrEnum):
    PAID = "paid"
    UNPAID = "unpaid"  # not yet, or a delayed payment method has not settled (or failed)
    NO_PAYMENT_REQUIRED = "no_payment_required"


@dataclass(frozen=True, slots=True)
class CheckoutState:
    """A checkout session as the provider holds it, in the provider's words."""

    reference: str  # the session id (the order's payment_reference)
    order_id: str | None  # the order the session was made for, as the provider recorded it
    status: CheckoutStatus
    payment_status: PaymentStatus
    amount: Money | None  # what the buyer pays (None: the provider did not say)
    payment_id: str | None = None  # the provider's payment (Stripe: the PaymentIntent)
    destination: str | None = None  # the organizer's account the payment went to, if any


@dataclass(frozen=True, slots=True)
class ConnectedAccountRequest:
    """An organizer's account at the provider, to be paid through (Stripe: an Express
    connected account). Idempotent by ``idempotency_key`` (one per organizer)."""

    organizer_id: str
    email: str
    name: str
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class ConnectedAccountState:
    """A connected account as the provider holds it: whether it may take charges and be
    paid out, and what the provider still needs from its holder."""

    account_id: str
    charges_enabled: bool
    payouts_enabled: bool
    requirements_due: tuple[str, ...] = ()  # Stripe: requirements.currently_due
    disabled_reason: str | None = None  # why charges or payouts are off, in its words


@dataclass(frozen=True, slots=True)
class OnboardingLink:
    """Where the account's holder goes to give the provider what it needs (single use)."""

    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ChargeState:
    """The charge of a paid checkout as the provider holds it: what was paid, what has
    been refunded so far (by TickEx or by hand at the provider), the provider's own fee
    and, for a payment to an organizer's account, how much of the platform's fee the
    provider has returned."""

    charge_id: str
    payment_id: str | None  # the provider's payment (Stripe: the PaymentIntent)
    order_id: str | None  # the order, as the payment's metadata says (None: not TickEx's)
    amount: Money
    refunded: Money  # in all, so far
    processor_fee: Money | None = None  # None: not known (not read, or not settled yet)
    platform_fee: Money | None = None  # the application fee taken (None: none was)
    platform_fee_returned: Money | None = None  # of it, returned so far


class DisputeOutcome(StrEnum):
    OPEN = "open"  # the buyer's bank is deciding: the tickets are frozen
    WON = "won"  # decided for the seller (or the inquiry closed): the tickets stand
    LOST = "lost"  # decided for the buyer: the money is gone, the tickets are revoked


@dataclass(frozen=True, slots=True)
class DisputeState:
    """A dispute (chargeback) of a charge as the provider holds it. ``withdrawn`` and
    ``fee`` are what the provider's balance transactions for it add up to so far: the
    disputed amount taken (less what was given back) and the dispute fees (less any
    returned)."""

    dispute_id: str
    charge_id: str
    amount: Money
    status: str  # the provider's own word (Stripe: needs_response, won, ...)
    outcome: DisputeOutcome
    withdrawn: Money
    fee: Money


@dataclass(frozen=True, slots=True)
class PayoutState:
    """A payout from a connected account to its holder's bank (``account_id`` None: the
    platform's own payout, which is not an organizer's)."""

    payout_id: str
    account_id: str | None
    amount: Money
    status: str  # the provider's word (Stripe: paid, pending, in_transit, failed, canceled)


class NotificationKind(StrEnum):
    CHECKOUT_COMPLETED = "checkout_completed"
    ASYNC_PAYMENT_SUCCEEDED = "async_payment_succeeded"
    ASYNC_PAYMENT_FAILED = "async_payment_failed"
    CHECKOUT_EXPIRED = "checkout_expired"
    ACCOUNT_UPDATED = "account_updated"  # a connected account changed (``account``)
    CHARGE_CHANGED = "charge_changed"  # refunded (in part, or by hand) or settled (``charge``)
    DISPUTE_CHANGED = "dispute_changed"  # opened, decided or its funds moved (``dispute``)
    PAYOUT_PAID = "payout_paid"  # a connected account was paid out (``payout``)
    #: a connected account's payout failed (also after it was paid) or was cancelled: its
    #: money is back in the account's balance (``payout``)
    PAYOUT_FAILED = "payout_failed"
    OTHER = "other"  # a type TickEx does not act on: acknowledged and ignored


@dataclass(frozen=True, slots=True)
class PaymentNotification:
    """A verified webhook event. ``event_id`` is the provider's id, by which handling is
    idempotent; ``event_type`` is the provider's own name for it (for logs)."""

    provider: str
    event_id: str
    event_type: str
    kind: NotificationKind
    occurred_at: datetime
    checkout: CheckoutState | None = None  # the session the event is about, as it was sent
    account: ConnectedAccountState | None = None  # the account, as it was sent
    charge: ChargeState | None = None  # the charge, as it was sent
    dispute: DisputeState | None = None  # the dispute, as it was sent
    payout: PayoutState | None = None  # the payout, as it was sent


class PaymentError(ProviderError):
    """The payment provider refused or could not be reached. ``missing``: it answered
    that the object asked for does not exist (retrying will not make it exist)."""

    def __init__(self, message: str, *, retryable: bool = True, missing: bool = False) -> None:
        super().__init__(message, retryable=retryable)
        self.missing = missing


class WebhookRejected(Exception):
    """A webhook request that is not the provider's, or not for this account: missing,
    malformed, stale or foreign signature, an unreadable body, the other mode (test vs
    live). The message says which, and never repeats a secret."""


class PaymentGateway(ABC):
    name: str = "payments"
    #: whether organizers are paid through an account at the provider that must be able to
    #: take charges before they sell (Stripe Connect). The local provider pays nobody, so
    #: its organizers are always enabled and the methods below are never called.
    connected_accounts: bool = False
    #: whether a checkout is made in this process, with no call to anything remote (the
    #: local provider): ``placeOrder`` then makes it inside the unit of work that holds the
    #: seats, so the whole order is one transaction. A remote provider is never called
    #: while a unit of work (and the hot quota row's lock) is open.
    in_process: bool = False

    @abstractmethod
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...

    @abstractmethod
    def refund(self, request: RefundRequest) -> RefundReceipt:
        """Idempotent by ``request.idempotency_key``."""

    def expire_checkout(self, reference: str) -> None:
        """Close an open session so nobody can pay it any more (a session that is no
        longer open is left as it is). Idempotent. A provider whose sessions cannot be
        closed does nothing: a payment that still arrives is a late payment."""
        del reference

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentNotification:
        """Verify a webhook request (raw body, signature header) and read it; raises
        ``WebhookRejected``. Providers without webhooks reject every request."""
        del payload, signature
        raise WebhookRejected(f"{self.name} sends no webhooks")

    # -- read back: an event says which object changed; its state now is asked here -------
    def checkout_state(self, reference: str) -> CheckoutState:
        """The checkout session as the provider holds it now."""
        del reference
        raise PaymentError(f"{self.name} cannot read a checkout back", retryable=False)

    def charge(self, charge_id: str) -> ChargeState:
        """The charge as the provider holds it now, with its fee and refunds."""
        del charge_id
        raise PaymentError(f"{self.name} cannot read a charge back", retryable=False)

    def payment_charge(self, payment_id: str) -> ChargeState | None:
        """The charge that paid ``payment_id`` (None: nothing has been charged)."""
        del payment_id
        raise PaymentError(f"{self.name} cannot read a payment back", retryable=False)

    def dispute(self, dispute_id: str) -> DisputeState:
        """The dispute as the provider holds it now."""
        del dispute_id
        raise PaymentError(f"{self.name} cannot read a dispute back", retryable=False)

    def create_connected_account(self, request: ConnectedAccountRequest) -> ConnectedAccountState:
        """Open an account for the organizer (idempotent by the request's key)."""
        del request
        raise PaymentError(f"{self.name} has no connected accounts", retryable=False)

    def connected_account(self, account_id: str) -> ConnectedAccountState:
        """The account as the provider holds it now."""
        del account_id
        raise PaymentError(f"{self.name} has no connected accounts", retryable=False)

    def onboarding_link(
        self, account_id: str, *, refresh_url: str, return_url: str, idempotency_key: str
    ) -> OnboardingLink:
        """A single-use link to the provider's onboarding for the account: ``return_url``
        when the holder is done (or leaves), ``refresh_url`` when the link expired."""
        del account_id, refresh_url, return_url, idempotency_key
        raise PaymentError(f"{self.name} has no connected accounts", retryable=False)
