"""Contract suites: the behaviour every adapter of a port must show.

Subclass a contract in your test suite and provide its fixture; pytest collects the
inherited tests (name your subclass ``Test...``)::

    from tickex.testing.contracts import StorageContract

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def storage(self):
            s = MyStorage("...")
            s.migrate()
            yield s
            s.close()

The in-memory adapters are the reference: they pass every contract here. One module a
port (``storage``, ``identity``, ``payment``, ``mail``, ``primitives``); import them from
here.
"""

from tickex.testing.contracts.idempotency import IdempotencyStorageContract
from tickex.testing.contracts.identity import IdentityStorageContract
from tickex.testing.contracts.mail import MailerContract
from tickex.testing.contracts.payment import PaymentGatewayContract
from tickex.testing.contracts.primitives import (
    ClockContract,
    QrCodeRendererContract,
    TicketSignerContract,
)
from tickex.testing.contracts.storage import StorageContract
from tickex.testing.contracts.support import in_uow

__all__ = [
    "ClockContract",
    "IdempotencyStorageContract",
    "IdentityStorageContract",
    "MailerContract",
    "PaymentGatewayContract",
    "QrCodeRendererContract",
    "StorageContract",
    "TicketSignerContract",
    "in_uow",
]
