"""PaymentGateway: the payment provider (Stripe Checkout + Connect, or the local one)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from tickex.domain.money import Money
from tickex.ports.provider import ProviderError


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


@dataclass(frozen=True, slots=True)
class RefundReceipt:
    reference: str


class PaymentError(ProviderError):
    """The payment provider refused or could not be reached."""


class PaymentGateway(ABC):
    name: str = "payments"

    @abstractmethod
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...

    @abstractmethod
    def refund(self, request: RefundRequest) -> RefundReceipt:
        """Idempotent by ``request.idempotency_key``."""
