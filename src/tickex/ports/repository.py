"""Repository ports. Each repository works inside one unit of work; what it returns are
copies of stored state (changing them changes nothing until they are saved).

Versioned aggregates (``save``) use optimistic concurrency: ``save`` raises
``ConcurrencyConflict`` when the stored version differs from the one read, and bumps it.
Scarce counters (quotas, promo-code uses) change only through the conditional methods
below, each one atomic statement in its engine: never read-then-write.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Generic, TypeVar

from tickex.domain.check_in import CheckIn
from tickex.domain.event import Event
from tickex.domain.hold import Hold, HoldStatus
from tickex.domain.identity import ApiKey, OneTimeToken, RefreshSession, StaffCredential, User
from tickex.domain.ledger import LedgerTransaction, TransactionKind
from tickex.domain.order import Order, OrderStatus
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.domain.outbox import OutboxMessage
from tickex.domain.payment_review import PaymentReview, PaymentReviewStatus
from tickex.domain.promo_code import PromoCode
from tickex.domain.quota import Quota
from tickex.domain.ticket import Ticket, TicketStatus
from tickex.domain.ticket_type import TicketType

T = TypeVar("T")  # what a repository stores
C = TypeVar("C")  # the credential a credential repository stores


class Repository(ABC, Generic[T]):
    """One kind of stored thing, found by its id."""

    @abstractmethod
    def add(self, item: T) -> None:
        """Store a new one (``Conflict`` when a unique rule refuses it)."""

    @abstractmethod
    def get(self, item_id: str) -> T | None: ...

    def add_all(self, items: Sequence[T]) -> None:
        """``add`` each (all or, on a ``Conflict``, none once the unit rolls back); engines
        that can insert them in one statement override this."""
        for item in items:
            self.add(item)


class MutableRepository(Repository[T]):
    """What is stored changes after it is added: ``save`` writes it back (a versioned
    aggregate with optimistic concurrency, see the module)."""

    @abstractmethod
    def save(self, item: T) -> None: ...


class OrganizerRepository(MutableRepository[Organizer]):
    @abstractmethod
    def get_by_payment_account(self, account_id: str) -> Organizer | None:
        """The organizer paid through this provider account (a webhook names only it)."""

    """Organizers: who sells, and where their money goes."""


class EventRepository(MutableRepository[Event]):
    """``add`` raises ``Conflict`` when the slug is taken."""

    @abstractmethod
    def get_by_slug(self, slug: str) -> Event | None: ...
    @abstractmethod
    def list_by_organizer(self, organizer_id: str) -> list[Event]: ...
    @abstractmethod
    def list_published(self, now: datetime, limit: int, offset: int) -> list[Event]:
        """The public catalogue: published events with ``ends_at > now``, sorted by
        ``(starts_at, id)``, ``limit`` of them after skipping ``offset``."""


class TicketTypeRepository(MutableRepository[TicketType]):
    @abstractmethod
    def list_by_event(self, event_id: str) -> list[TicketType]:
        """Sorted by (position, id)."""


class QuotaRepository(Repository[Quota]):
    @abstractmethod
    def list_by_event(self, event_id: str) -> list[Quota]:
        """Sorted by id."""

    @abstractmethod
    def rename(self, quota_id: str, name: str) -> None: ...

    # -- the inventory guard: each call is one atomic conditional operation --------------
    @abstractmethod
    def reserve(self, quota_id: str, quantity: int) -> bool:
        """``held += quantity`` if ``sold + held + quantity <= size``; False otherwise."""

    @abstractmethod
    def sell(self, quota_id: str, quantity: int) -> bool:
        """``sold += quantity`` if ``sold + held + quantity <= size`` (late payments)."""

    @abstractmethod
    def convert(self, quota_id: str, quantity: int) -> None:
        """``held -= quantity; sold += quantity`` for a hold that is being converted."""

    @abstractmethod
    def release(self, quota_id: str, quantity: int) -> None:
        """``held -= quantity`` (never below zero: raises instead)."""

    @abstractmethod
    def unsell(self, quota_id: str, quantity: int) -> None:
        """``sold -= quantity`` for refunded admissions (never below zero)."""

    @abstractmethod
    def resize(self, quota_id: str, size: int) -> bool:
        """``size = size`` if ``sold + held <= size``; False otherwise."""


class PromoCodeRepository(Repository[PromoCode]):
    """``add`` raises ``Conflict`` when the event already has this code."""

    @abstractmethod
    def get_by_code(self, event_id: str, code: str) -> PromoCode | None: ...
    @abstractmethod
    def list_by_event(self, event_id: str) -> list[PromoCode]: ...
    @abstractmethod
    def try_use(self, promo_id: str) -> bool:
        """``uses += 1`` if ``max_uses`` is unset or ``uses < max_uses``; False otherwise."""

    @abstractmethod
    def release_use(self, promo_id: str) -> None:
        """``uses -= 1`` (never below zero)."""


class HoldRepository(Repository[Hold]):
    @abstractmethod
    def end(self, hold_id: str, status: HoldStatus) -> bool:
        """Move an *active* hold to ``status``; False if it had already ended (no-op)."""

    @abstractmethod
    def list_expired(self, now: datetime, limit: int) -> list[Hold]:
        """Active holds with ``expires_at <= now``, oldest first."""


class OrderRepository(MutableRepository[Order]):
    @abstractmethod
    def get_by_code(self, code: str) -> Order | None: ...
    @abstractmethod
    def get_by_payment_reference(self, reference: str) -> Order | None: ...

    def attach_payment(self, order_id: str, reference: str, url: str) -> bool:
        """Attach the provider's session to a pending order that has none yet; False when
        the order is no longer pending (it expired or was cancelled meanwhile). Engines
        that can do it in one statement override this read-then-save."""
        order = self.get(order_id)
        if order is None or order.status is not OrderStatus.PENDING:
            return False
        if order.payment_reference is not None:
            return order.payment_reference == reference
        order.attach_payment(reference, url)
        self.save(order)
        return True

    @abstractmethod
    def list_by_event(self, event_id: str) -> list[Order]:
        """Newest first."""

    @abstractmethod
    def list_by_customer(self, event_id: str, customer_email: str) -> list[Order]: ...


class TicketRepository(MutableRepository[Ticket]):
    @abstractmethod
    def get_by_secret(self, secret: str) -> Ticket | None: ...
    @abstractmethod
    def list_by_order(self, order_id: str) -> list[Ticket]:
        """Sorted by id."""

    @abstractmethod
    def count_by_status(self, event_id: str) -> dict[TicketStatus, int]: ...


class CheckInRepository(ABC):
    @abstractmethod
    def add(self, check_in: CheckIn) -> None:
        """Raises ``Conflict`` when (event, nonce) was already recorded."""

    @abstractmethod
    def get_by_nonce(self, event_id: str, nonce: str) -> CheckIn | None: ...
    @abstractmethod
    def list_by_ticket(self, ticket_id: str) -> list[CheckIn]:
        """Oldest first."""


class LedgerRepository(ABC):
    """Append-only: there is no update and no delete."""

    @abstractmethod
    def append(self, transaction: LedgerTransaction) -> None:
        """Raises ``Conflict`` when the id exists."""

    def append_all(self, transactions: Sequence[LedgerTransaction]) -> None:
        """``append`` each, in order (engines batch them)."""
        for transaction in transactions:
            self.append(transaction)

    @abstractmethod
    def list_for_order(self, order_id: str) -> list[LedgerTransaction]: ...
    @abstractmethod
    def list_all(self) -> list[LedgerTransaction]:
        """Every transaction in the order appended (for audits and reconciliation)."""

    @abstractmethod
    def account_totals(self, account: str) -> dict[tuple[TransactionKind, str], int]:
        """Signed sum of the account's entries by (transaction kind, currency)."""


class OutboxRepository(MutableRepository[OutboxMessage]):
    """``add`` raises ``Conflict`` when the idempotency key exists."""

    @abstractmethod
    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Pending messages with ``available_at <= now``, oldest first."""

    @abstractmethod
    def pending_count(self) -> int: ...
    @abstractmethod
    def dead(self, limit: int) -> list[OutboxMessage]:
        """Messages the worker gave up on, oldest first (by ``available_at``)."""

    @abstractmethod
    def dead_count(self) -> int: ...


class ProcessedEventRepository(ABC):
    """Provider event ids seen (webhooks, confirmations): the idempotency record."""

    @abstractmethod
    def record(self, provider: str, event_id: str, now: datetime) -> bool:
        """True the first time (provider, event_id) is recorded, False afterwards."""


class PaymentReviewRepository(MutableRepository[PaymentReview]):
    """Payments taken but not fulfilled, for an admin to review: one per provider event
    (``add`` raises ``Conflict`` when the id, or the provider's event, has one already)."""

    @abstractmethod
    def list_by_status(
        self, status: PaymentReviewStatus, limit: int, offset: int
    ) -> list[PaymentReview]:
        """Newest first (``flagged_at``, then id, descending): ``limit`` of them after
        skipping ``offset``."""


class UserRepository(MutableRepository[User]):
    """``add`` raises ``Conflict`` when the email (or the Google subject) is taken."""

    @abstractmethod
    def get_by_email(self, email: str) -> User | None:
        """Case-insensitive."""

    @abstractmethod
    def get_by_google_subject(self, subject: str) -> User | None: ...
    @abstractmethod
    def list_by_organizer(self, organizer_id: str) -> list[User]:
        """The accounts acting for the organizer (their ``organizer_id``), disabled ones
        too; oldest first (``created_at``, then id)."""

    @abstractmethod
    def list_admins(self) -> list[User]:
        """Every account holding the admin role, disabled ones too; oldest first. The
        platform has a handful: this is for the rule that keeps one active, not a listing."""


class RefreshSessionRepository(ABC):
    @abstractmethod
    def add(self, session: RefreshSession) -> None:
        """Raises ``Conflict`` when the token digest exists."""

    @abstractmethod
    def get_by_token_hash(self, token_hash: str) -> RefreshSession | None: ...
    @abstractmethod
    def rotate(self, session_id: str, now: datetime) -> bool:
        """``rotated_at = now`` if neither rotated nor revoked; False otherwise (the
        atomic step that lets exactly one of two racing refreshes win)."""

    @abstractmethod
    def revoke_family(self, family_id: str, now: datetime) -> int:
        """Revoke every session of the family not revoked yet; how many were."""

    @abstractmethod
    def revoke_user(self, user_id: str, now: datetime) -> int:
        """Revoke every session of the user not revoked yet; how many were."""

    @abstractmethod
    def revoked_families(self, since: datetime) -> dict[str, datetime]:
        """The families with a session revoked after ``since``, each with the latest such
        ``revoked_at``: what ``SessionRevocations`` refuses the access tokens of."""


class CredentialRepository(ABC, Generic[C]):
    """Secrets stored as digests (one-time tokens, API keys, staff credentials): found by
    the digest of what is presented."""

    @abstractmethod
    def add(self, credential: C) -> None:
        """Raises ``Conflict`` when the digest exists."""

    @abstractmethod
    def get_by_hash(self, digest: str) -> C | None: ...


class RevocableCredentialRepository(CredentialRepository[C]):
    """Credentials used again and again until revoked (API keys, staff credentials)."""

    @abstractmethod
    def revoke(self, credential_id: str, now: datetime) -> bool:
        """``revoked_at = now`` if active; False otherwise."""

    @abstractmethod
    def touch(self, credential_id: str, now: datetime) -> None:
        """Record the time the credential was last used."""


class OneTimeTokenRepository(CredentialRepository[OneTimeToken]):
    @abstractmethod
    def use(self, token_id: str, now: datetime) -> bool:
        """``used_at = now`` if unused and not expired at ``now``; False otherwise."""


class ApiKeyRepository(RevocableCredentialRepository[ApiKey]):
    @abstractmethod
    def list_by_organizer(self, organizer_id: str) -> list[ApiKey]:
        """Oldest first."""


class StaffCredentialRepository(RevocableCredentialRepository[StaffCredential]):
    @abstractmethod
    def get(self, credential_id: str) -> StaffCredential | None: ...
    @abstractmethod
    def list_by_event(self, event_id: str) -> list[StaffCredential]:
        """Oldest first."""


class OrganizerRequestRepository(MutableRepository[OrganizerRequest]):
    """Requests for the organizer role. A user has at most one *pending* request: the
    engine enforces it atomically (a unique rule over pending requests), so of two racing
    adds for one user exactly one goes in. ``add`` raises ``Conflict`` when the user
    already has a pending request (or the id exists)."""

    @abstractmethod
    def list_by_user(self, user_id: str) -> list[OrganizerRequest]:
        """Newest first (``created_at``, then id, descending)."""

    @abstractmethod
    def list_by_status(
        self, status: OrganizerRequestStatus, limit: int, offset: int
    ) -> list[OrganizerRequest]:
        """Oldest first (``created_at``, then id): the admins' queue, ``limit`` of them
        after skipping ``offset``."""


__all__ = [
    "ApiKeyRepository",
    "CheckInRepository",
    "CredentialRepository",
    "EventRepository",
    "HoldRepository",
    "LedgerRepository",
    "MutableRepository",
    "OneTimeTokenRepository",
    "OrderRepository",
    "OrganizerRepository",
    "OrganizerRequestRepository",
    "OutboxRepository",
    "PaymentReviewRepository",
    "ProcessedEventRepository",
    "PromoCodeRepository",
    "QuotaRepository",
    "RefreshSessionRepository",
    "Repository",
    "RevocableCredentialRepository",
    "StaffCredentialRepository",
    "TicketRepository",
    "TicketTypeRepository",
    "UserRepository",
]
