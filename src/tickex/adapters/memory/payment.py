"""The local payment provider: checkout sessions kept in memory, paid by calling
``pay`` (the demo and tests play the buyer). Refunds are recorded and idempotent."""

from __future__ import annotations

import secrets
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
    expired: bool = False


class InMemoryPaymentGateway(PaymentGateway):
    """``random_references``: session references are unguessable and unique across
    processes and restarts (what a running server needs); otherwise they count up from
    ``cs_local_000001`` (reproducible tests and demos)."""

    name = "local"
    in_process = True  # a session is a dictionary entry: made inside the order's transaction
    REFERENCE_PREFIX = "cs_local_"

    def __init__(
        self, base_url: str = "http://127.0.0.1:8000/pay", *, random_references: bool = False
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._random = random_references
        self._lock = threading.Lock()
        self.sessions: dict[str, LocalSession] = {}
        self.refunds: dict[str, tuple[RefundRequest, RefundReceipt]] = {}
        self.fail_next_checkout: str | None = None  # test hook: the provider is down

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        with self._lock:
            if self.fail_next_checkout:
                message, self.fail_next_checkout = self.fail_next_checkout, None
                raise PaymentError(message)
            suffix = secrets.token_hex(12) if self._random else f"{len(self.sessions) + 1:06d}"
            reference = self.REFERENCE_PREFIX + suffix
            session = CheckoutSession(reference=reference, url=f"{self._base_url}/{reference}")
            self.sessions[reference] = LocalSession(request, session)
            return session

    def refund(self, request: RefundRequest) -> RefundReceipt:
        with self._lock:
            done = self.refunds.get(request.idempotency_key)
            if done is not None:
                return done[1]
            # sessions of an earlier process are gone; their references are still ours
            if not request.payment_reference.startswith(self.REFERENCE_PREFIX):
                raise PaymentError("unknown payment", retryable=False)
            receipt = RefundReceipt(reference=f"re_local_{len(self.refunds) + 1:06d}")
            self.refunds[request.idempotency_key] = (request, receipt)
            return receipt

    def expire_checkout(self, reference: str) -> None:
        with self._lock:
            known = self.sessions.get(reference)
            if known is not None and not known.paid:
                known.expired = True

    def refunded_total(self, payment_reference: str) -> int:
        return sum(
            r.amount.amount_minor
            for r, _ in self.refunds.values()
            if r.payment_reference == payment_reference
        )
