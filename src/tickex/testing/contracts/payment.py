"""The payment gateway contract: sessions and refunds as the provider records them.

A subclass provides ``gateway`` and two read-backs, as the provider reports them (its API,
or the fake's records): ``checkout_seen(gateway, reference)``, the checkout request the
session was made from, and ``refunds_seen(gateway)``, every refund the provider made. A
provider that refunds only what was paid also says how a buyer pays a session
(``settle(gateway, reference)``), and one that needs a payee for the platform fee names
it (``organizer_account``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tickex.domain.money import Money
from tickex.ports.payment import CheckoutRequest, PaymentGateway, RefundRequest
from tickex.testing import builders as b


class PaymentGatewayContract:
    organizer_account: str | None = None  # the payee of the sessions' platform fee

    @pytest.fixture
    def gateway(self) -> PaymentGateway:
        raise NotImplementedError

    def checkout_seen(self, gateway: PaymentGateway, reference: str) -> CheckoutRequest:
        """What the provider holds for the session ``reference``."""
        raise NotImplementedError("read the checkout session back from the provider")

    def refunds_seen(self, gateway: PaymentGateway) -> list[RefundRequest]:
        """Every refund the provider made, once each."""
        raise NotImplementedError("read the refunds back from the provider")

    def settle(self, gateway: PaymentGateway, reference: str) -> None:
        """The buyer pays the session (nothing to do for a provider that refunds unpaid
        sessions' references, as the local one does)."""

    def _request(self, order_id: str, amount: int = 5150, fee: int = 150) -> CheckoutRequest:
        return CheckoutRequest(order_id=order_id, order_code="ABCD2345",
                               amount=Money(amount, "EUR"), platform_fee=Money(fee, "EUR"),
                               description="Show - order ABCD2345",
                               customer_email="buyer@example.com",
                               expires_at=b.T0 + timedelta(minutes=30),
                               organizer_account_id=self.organizer_account)  # fmt: skip

    def test_each_checkout_gets_its_own_session(self, gateway: PaymentGateway) -> None:
        first = gateway.create_checkout(self._request("o1"))
        second = gateway.create_checkout(self._request("o2"))
        assert first.reference != second.reference
        assert first.url.startswith("http")

    def test_a_session_carries_the_amount_fee_and_order_asked_for(
        self, gateway: PaymentGateway
    ) -> None:
        first = gateway.create_checkout(self._request("o1", amount=5150, fee=150))
        second = gateway.create_checkout(self._request("o2", amount=99, fee=0))
        for session, order_id, amount, fee in ((first, "o1", 5150, 150), (second, "o2", 99, 0)):
            seen = self.checkout_seen(gateway, session.reference)
            assert (seen.order_id, seen.order_code) == (order_id, "ABCD2345")
            assert (seen.amount, seen.platform_fee) == (Money(amount, "EUR"), Money(fee, "EUR"))
            assert seen.customer_email == "buyer@example.com"

    def test_refunds_are_idempotent_by_key(self, gateway: PaymentGateway) -> None:
        session = gateway.create_checkout(self._request("o3"))
        self.settle(gateway, session.reference)
        request = RefundRequest(session.reference, Money(1000, "EUR"), "refund:o3:1")
        assert gateway.refund(request) == gateway.refund(request)
        (made,) = self.refunds_seen(gateway)  # the repeat refunded nothing
        assert (made.payment_reference, made.amount, made.idempotency_key) == (
            session.reference, Money(1000, "EUR"), "refund:o3:1"
        )  # fmt: skip

    def test_each_refund_key_refunds_its_own_amount(self, gateway: PaymentGateway) -> None:
        session = gateway.create_checkout(self._request("o4"))
        self.settle(gateway, session.reference)
        first = gateway.refund(RefundRequest(session.reference, Money(1000, "EUR"), "r:o4:1"))
        second = gateway.refund(RefundRequest(session.reference, Money(250, "EUR"), "r:o4:2"))
        assert first.reference != second.reference
        made = sorted(self.refunds_seen(gateway), key=lambda r: r.idempotency_key)
        assert [(r.payment_reference, r.amount.amount_minor) for r in made] == [
            (session.reference, 1000), (session.reference, 250)
        ]  # fmt: skip
