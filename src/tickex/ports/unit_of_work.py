"""The unit of work: one transaction over every repository.

Used as a context manager; it rolls back unless ``commit()`` was called, once, at the end
of the use case (cosmicpython's rule).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType

from tickex.ports.idempotency import IdempotencyRepository
from tickex.ports.repository import (
    ApiKeyRepository,
    CheckInRepository,
    EventRepository,
    HoldRepository,
    LedgerRepository,
    OneTimeTokenRepository,
    OrderRepository,
    OrganizerRepository,
    OrganizerRequestRepository,
    OutboxRepository,
    PaymentReviewRepository,
    ProcessedEventRepository,
    PromoCodeRepository,
    QuotaRepository,
    RefreshSessionRepository,
    StaffCredentialRepository,
    TicketRepository,
    TicketTypeRepository,
    UserRepository,
)


class UnitOfWork(ABC):
    organizers: OrganizerRepository
    events: EventRepository
    ticket_types: TicketTypeRepository
    quotas: QuotaRepository
    promo_codes: PromoCodeRepository
    holds: HoldRepository
    orders: OrderRepository
    tickets: TicketRepository
    check_ins: CheckInRepository
    ledger: LedgerRepository
    outbox: OutboxRepository
    processed_events: ProcessedEventRepository
    payment_reviews: PaymentReviewRepository  # payments taken but not fulfilled
    # identity
    users: UserRepository
    sessions: RefreshSessionRepository
    one_time_tokens: OneTimeTokenRepository
    api_keys: ApiKeyRepository
    staff_credentials: StaffCredentialRepository
    organizer_requests: OrganizerRequestRepository
    # requests made with an Idempotency-Key
    idempotency: IdempotencyRepository

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None:
        """Discard uncommitted work; harmless after a commit."""


class ReadOnlyUnitOfWork(RuntimeError):
    """A write was attempted in a unit of work opened with ``read_only=True`` (a bug)."""


class Storage(ABC):
    """A storage engine: hands out units of work and owns the connections."""

    @abstractmethod
    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        """A new unit of work. A ``read_only`` unit only reads: engines may serve it from a
        snapshot without taking write locks, and a write in it raises ``ReadOnlyUnitOfWork``."""

    def migrate(self) -> None:
        """Create or upgrade the schema; idempotent. Engines without a schema do nothing."""
        return

    def ping(self) -> bool:
        """Readiness: can the engine be reached?"""
        return True

    def close(self) -> None:
        return None
