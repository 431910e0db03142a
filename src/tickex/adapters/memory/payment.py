"""The local payment provider: checkout sessions kept in memory, paid by calling
``pay`` (the demo and tests play the buyer). Refunds are recorded and idempotent."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from tickex.ports.payment import (
    CheckoutRequest,
    CheckoutSession,
    PaymentError,
    PaymentGateway,
    RefundReceipt,
    RefundRequest,
)


@dataclass
class LocalSession:
    request: CheckoutRequest
    session: CheckoutSession
    paid: bool = False


class InMemoryPaymentGateway(PaymentGateway):
    name = "local"

    def __init__(self, base_url: str = "http://127.0.0.1:8000/pay") -> None:
        self._base_url = base_url.rstrip("/")
        self._lock = threading.Lock()
        self.sessions: dict[str, LocalSession] = {}
        self.refunds: dict[str, tuple[RefundRequest, RefundReceipt]] = {}
        self.fail_next_checkout: str | None = None  # test hook: the provider is down

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        with self._lock:
            if self.fail_next_checkout:
                message, self.fail_next_checkout = self.fail_next_checkout, None
                raise PaymentError(message)
            reference = f"cs_local_{len(self.sessions) + 1:06d}"
            session = CheckoutSession(reference=reference, url=f"{self._base_url}/{reference}")
            self.sessions[reference] = LocalSession(request, session)
            return session

    def refund(self, request: RefundRequest) -> RefundReceipt:
        with self._lock:
            done = self.refunds.get(request.idempotency_key)
            if done is not None:
                return done[1]
            if request.payment_reference not in self.sessions:
                raise PaymentError("unknown payment", retryable=False)
            receipt = RefundReceipt(reference=f"re_local_{len(self.refunds) + 1:06d}")
            self.refunds[request.idempotency_key] = (request, receipt)
            return receipt

    def refunded_total(self, payment_reference: str) -> int:
        return sum(
            r.amount.amount_minor
            for r, _ in self.refunds.values()
            if r.payment_reference == payment_reference
        )
