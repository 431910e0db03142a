"""The in-memory adapters are the reference: they pass every contract."""

from __future__ import annotations

import pytest

from tickex.adapters.ed25519_signer import Ed25519TicketSigner
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.mail import InMemoryMailer
from tickex.adapters.memory.payment import InMemoryPaymentGateway
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.adapters.system import SystemClock
from tickex.ports.payment import CheckoutRequest, PaymentGateway, RefundRequest
from tickex.testing.contracts import (
    ClockContract,
    IdempotencyStorageContract,
    IdentityStorageContract,
    MailerContract,
    PaymentGatewayContract,
    StorageContract,
    TicketSignerContract,
)
from tickex.testing.contracts.mail import Delivered


class TestInMemoryStorage(StorageContract):
    @pytest.fixture
    def storage(self) -> InMemoryStorage:
        return InMemoryStorage()


class TestInMemoryIdentityStorage(IdentityStorageContract):
    @pytest.fixture
    def storage(self) -> InMemoryStorage:
        return InMemoryStorage()


class TestInMemoryIdempotencyStorage(IdempotencyStorageContract):
    @pytest.fixture
    def storage(self) -> InMemoryStorage:
        return InMemoryStorage()


class TestSystemClock(ClockContract):
    @pytest.fixture
    def clock(self) -> SystemClock:
        return SystemClock()


class TestFixedClock(ClockContract):
    @pytest.fixture
    def clock(self) -> FixedClock:
        return FixedClock()


class TestEd25519Signer(TicketSignerContract):
    @pytest.fixture
    def signer(self) -> Ed25519TicketSigner:
        return Ed25519TicketSigner.generate()


class TestLocalPayments(PaymentGatewayContract):
    @pytest.fixture
    def gateway(self) -> InMemoryPaymentGateway:
        return InMemoryPaymentGateway()

    def checkout_seen(self, gateway: PaymentGateway, reference: str) -> CheckoutRequest:
        assert isinstance(gateway, InMemoryPaymentGateway)
        return gateway.sessions[reference].request

    def refunds_seen(self, gateway: PaymentGateway) -> list[RefundRequest]:
        assert isinstance(gateway, InMemoryPaymentGateway)
        return [request for request, _ in gateway.refunds.values()]


class TestInMemoryMailer(MailerContract):
    repeated_key = "every-time"  # a recording fake: tests count every call

    @pytest.fixture
    def mailer(self) -> InMemoryMailer:
        return InMemoryMailer()

    @pytest.fixture
    def delivered(self, mailer: InMemoryMailer) -> Delivered:
        return lambda: list(mailer.sent)
