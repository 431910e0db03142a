"""The unit of work: one transaction over every repository.

Used as a context manager; it rolls back unless ``commit()`` was called, once, at the end
of the use case (cosmicpython's rule).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType

from tickex.domain.event import Event
from tickex.domain.hold import Hold
from tickex.domain.order import Order
from tickex.domain.organizer import Organizer
from tickex.domain.ticket_type import TicketType
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


@dataclass(frozen=True, slots=True)
class EventForSale:
    """An event as placing an order reads it: the event, its ticket types (in their
    order) and its organizer (None if it is gone)."""

    event: Event
    ticket_types: tuple[TicketType, ...]
    organizer: Organizer | None


@dataclass(frozen=True, slots=True)
class OrderForPayment:
    """An order as confirming its payment reads it: with its hold and its event (None
    when either is gone)."""

    order: Order
    hold: Hold | None
    event: Event | None


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

    def event_for_sale(
        self, *, event_id: str | None = None, slug: str | None = None
    ) -> EventForSale | None:
        """The event by id (or by slug), with its ticket types and organizer: what
        ``placeOrder`` reads, in one query where the engine can (SQL overrides this)."""
        event = self.events.get(event_id) if event_id is not None else (
            self.events.get_by_slug(slug) if slug is not None else None
        )  # fmt: skip
        if event is None:
            return None
        ticket_types = tuple(self.ticket_types.list_by_event(event.id))
        return EventForSale(event, ticket_types, self.organizers.get(event.organizer_id))

    def order_for_payment(
        self, *, order_id: str | None = None, reference: str | None = None
    ) -> OrderForPayment | None:
        """The order by id (or by its payment reference), with its hold and event: what
        confirming a payment reads, in one query where the engine can (SQL overrides)."""
        order = self.orders.get(order_id) if order_id is not None else (
            self.orders.get_by_payment_reference(reference) if reference is not None else None
        )  # fmt: skip
        if order is None:
            return None
        hold = self.holds.get(order.hold_id) if order.hold_id else None
        return OrderForPayment(order, hold, self.events.get(order.event_id))

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
