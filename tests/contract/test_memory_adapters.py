"""The in-memory adapters are the reference: they pass every contract."""

from __future__ import annotations

import pytest

from tickex.adapters.ed25519_signer import Ed25519TicketSigner
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.mail import InMemoryMailer
from tickex.adapters.memory.payment import InMemoryPaymentGateway
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.adapters.system import SystemClock
from tickex.testing.contracts import (
    ClockContract,
    IdentityStorageContract,
    MailerContract,
    PaymentGatewayContract,
    StorageContract,
    TicketSignerContract,
)


class TestInMemoryStorage(StorageContract):
    @pytest.fixture
    def storage(self) -> InMemoryStorage:
        return InMemoryStorage()


class TestInMemoryIdentityStorage(IdentityStorageContract):
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


class TestInMemoryMailer(MailerContract):
    @pytest.fixture
    def mailer(self) -> InMemoryMailer:
        return InMemoryMailer()
