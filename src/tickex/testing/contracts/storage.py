"""The storage contract: every repository and the unit of work, in two halves
(``storage_catalog`` and ``storage_sales``) so that each stays readable, what a purchase
reads and writes at once (``storage_purchase``), the payment reviews
(``payment_reviews``), and datetimes over the whole range the schemas allow
(``storage_dates``)."""

from __future__ import annotations

from tickex.testing.contracts.payment_reviews import PaymentReviewStorageContract
from tickex.testing.contracts.storage_catalog import CatalogStorageContract
from tickex.testing.contracts.storage_dates import DateStorageContract
from tickex.testing.contracts.storage_purchase import PurchaseStorageContract
from tickex.testing.contracts.storage_sales import SalesStorageContract


class StorageContract(
    CatalogStorageContract,
    SalesStorageContract,
    PurchaseStorageContract,
    PaymentReviewStorageContract,
    DateStorageContract,
):
    """Repositories and the unit of work. Provide a ``storage`` fixture: a fresh, migrated,
    empty :class:`~tickex.ports.unit_of_work.Storage`; set ``concurrency_skip_reason`` for
    an engine that cannot run units of work in parallel threads."""
