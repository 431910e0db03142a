"""In-memory storage: the reference implementation of the repositories and unit of work.

Thread-safe by serialising units of work: a unit of work holds the store's lock from
``__enter__`` to ``__exit__``, writes go to an overlay, and ``commit`` applies the
overlay at once. Repositories hand out deep copies, as a database would.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from tickex.domain.check_in import CheckIn
from tickex.domain.errors import ConcurrencyConflict, Conflict, ValidationFailed
from tickex.domain.event import Event, EventStatus
from tickex.domain.hold import Hold, HoldStatus
from tickex.domain.identity import ApiKey, OneTimeToken, RefreshSession, StaffCredential, User
from tickex.domain.ledger import LedgerTransaction, TransactionKind
from tickex.domain.order import Order
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.domain.outbox import OutboxMessage, OutboxStatus
from tickex.domain.promo_code import PromoCode, normalize_code
from tickex.domain.quota import Quota
from tickex.domain.ticket import Ticket, TicketStatus
from tickex.domain.ticket_type import TicketType
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
    ProcessedEventRepository,
    PromoCodeRepository,
    QuotaRepository,
    RefreshSessionRepository,
    StaffCredentialRepository,
    TicketRepository,
    TicketTypeRepository,
    UserRepository,
)
from tickex.ports.unit_of_work import ReadOnlyUnitOfWork, Storage, UnitOfWork

T = TypeVar("T")
_DELETED = object()


def _clone(obj: T) -> T:
    out = copy.deepcopy(obj)
    events = getattr(out, "events", None)
    if isinstance(events, list):
        events.clear()
    return out


class InMemoryStorage(Storage):
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, dict[str, Any]] = defaultdict(dict)
        self.sequence = 0  # append order for the ledger

    def unit_of_work(self, read_only: bool = False) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self, read_only=read_only)


class InMemoryUnitOfWork(UnitOfWork):
    def __init__(self, storage: InMemoryStorage, *, read_only: bool = False) -> None:
        self._storage = storage
        self.read_only = read_only
        self._pending: dict[str, dict[str, Any]] = defaultdict(dict)
        self._entered = False
        self.committed = False
        self.organizers = _Organizers(self)
        self.events = _Events(self)
        self.ticket_types = _TicketTypes(self)
        self.quotas = _Quotas(self)
        self.promo_codes = _PromoCodes(self)
        self.holds = _Holds(self)
        self.orders = _Orders(self)
        self.tickets = _Tickets(self)
        self.check_ins = _CheckIns(self)
        self.ledger = _Ledger(self)
        self.outbox = _Outbox(self)
        self.processed_events = _ProcessedEvents(self)
        self.users = _Users(self)
        self.sessions = _Sessions(self)
        self.one_time_tokens = _OneTimeTokens(self)
        self.api_keys = _ApiKeys(self)
        self.staff_credentials = _StaffCredentials(self)
        self.organizer_requests = _OrganizerRequests(self)

    def __enter__(self) -> InMemoryUnitOfWork:
        self._storage.lock.acquire()
        self._entered = True
        self._pending.clear()
        self.committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            if self._entered:
                self._entered = False
                self._storage.lock.release()

    def commit(self) -> None:
        self._check_entered()
        for table, rows in self._pending.items():
            stored = self._storage.tables[table]
            for key, value in rows.items():
                if value is _DELETED:
                    stored.pop(key, None)
                else:
                    stored[key] = value
        self._pending.clear()
        self.committed = True

    def rollback(self) -> None:
        self._pending.clear()

    # -- table access for the repositories ------------------------------------------------
    def _check_entered(self) -> None:
        if not self._entered:
            raise RuntimeError("use the unit of work as a context manager: `with uow: ...`")

    def read(self, table: str, key: str) -> Any:
        self._check_entered()
        pending = self._pending.get(table, {})
        if key in pending:
            value = pending[key]
            return None if value is _DELETED else value
        return self._storage.tables[table].get(key)

    def write(self, table: str, key: str, value: Any) -> None:
        self._check_entered()
        if self.read_only:
            raise ReadOnlyUnitOfWork(f"write to {table} in a read-only unit of work")
        self._pending[table][key] = value

    def scan(self, table: str) -> Iterator[Any]:
        self._check_entered()
        pending = self._pending.get(table, {})
        for key, value in self._storage.tables[table].items():
            if key not in pending:
                yield value
        for value in pending.values():
            if value is not _DELETED:
                yield value

    def next_sequence(self) -> int:
        self._storage.sequence += 1
        return self._storage.sequence


class _Repo:
    table = ""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _get(self, key: str) -> Any:
        value = self._uow.read(self.table, key)
        return None if value is None else _clone(value)

    def _insert(self, key: str, value: Any) -> None:
        if self._uow.read(self.table, key) is not None:
            raise Conflict(f"{self.table} {key} already exists")
        self._uow.write(self.table, key, _clone(value))

    def _find(self, predicate: Callable[[Any], bool]) -> list[Any]:
        return [_clone(v) for v in self._uow.scan(self.table) if predicate(v)]

    def _save_versioned(self, obj: Any) -> None:
        stored = self._uow.read(self.table, obj.id)
        if stored is None:
            raise ConcurrencyConflict(f"{self.table} {obj.id} does not exist")
        if stored.version != obj.version:
            raise ConcurrencyConflict(f"{self.table} {obj.id} was changed concurrently")
        obj.version += 1
        self._uow.write(self.table, obj.id, _clone(obj))


class _Organizers(_Repo, OrganizerRepository):
    table = "organizers"

    def add(self, organizer: Organizer) -> None:
        self._insert(organizer.id, organizer)

    def get(self, organizer_id: str) -> Organizer | None:
        return self._get(organizer_id)  # type: ignore[no-any-return]

    def save(self, organizer: Organizer) -> None:
        self._save_versioned(organizer)


class _Events(_Repo, EventRepository):
    table = "events"

    def add(self, event: Event) -> None:
        if any(e.slug == event.slug for e in self._uow.scan(self.table)):
            raise Conflict(f"the slug {event.slug!r} is taken", field="slug")
        self._insert(event.id, event)

    def get(self, event_id: str) -> Event | None:
        return self._get(event_id)  # type: ignore[no-any-return]

    def get_by_slug(self, slug: str) -> Event | None:
        found = self._find(lambda e: e.slug == slug)
        return found[0] if found else None

    def save(self, event: Event) -> None:
        self._save_versioned(event)

    def list_by_organizer(self, organizer_id: str) -> list[Event]:
        found = self._find(lambda e: e.organizer_id == organizer_id)
        return sorted(found, key=lambda e: (e.starts_at, e.id))

    def list_published(self, now: datetime, limit: int, offset: int) -> list[Event]:
        found = self._find(lambda e: e.status is EventStatus.PUBLISHED and e.ends_at > now)
        return sorted(found, key=lambda e: (e.starts_at, e.id))[offset : offset + limit]


class _TicketTypes(_Repo, TicketTypeRepository):
    table = "ticket_types"

    def add(self, ticket_type: TicketType) -> None:
        self._insert(ticket_type.id, ticket_type)

    def get(self, ticket_type_id: str) -> TicketType | None:
        return self._get(ticket_type_id)  # type: ignore[no-any-return]

    def list_by_event(self, event_id: str) -> list[TicketType]:
        found = self._find(lambda t: t.event_id == event_id)
        return sorted(found, key=lambda t: (t.position, t.id))

    def save(self, ticket_type: TicketType) -> None:
        self._save_versioned(ticket_type)


class _Quotas(_Repo, QuotaRepository):
    table = "quotas"

    def add(self, quota: Quota) -> None:
        self._insert(quota.id, quota)

    def get(self, quota_id: str) -> Quota | None:
        return self._get(quota_id)  # type: ignore[no-any-return]

    def list_by_event(self, event_id: str) -> list[Quota]:
        return sorted(self._find(lambda q: q.event_id == event_id), key=lambda q: q.id)

    def _change(self, quota_id: str, sold: int = 0, held: int = 0, size: int = 0) -> None:
        """Add the deltas; ``Quota.__post_init__`` re-checks the inventory rule."""
        q = self._stored(quota_id)
        updated = replace(q, sold=q.sold + sold, held=q.held + held, size=q.size + size)
        self._uow.write(self.table, quota_id, updated)

    def _stored(self, quota_id: str) -> Quota:
        stored: Quota | None = self._uow.read(self.table, quota_id)
        if stored is None:
            raise ValidationFailed(f"unknown quota {quota_id}")
        return stored

    def rename(self, quota_id: str, name: str) -> None:
        self._uow.write(self.table, quota_id, replace(self._stored(quota_id), name=name))

    def reserve(self, quota_id: str, quantity: int) -> bool:
        q = self._stored(quota_id)
        if not q.can_take(quantity):
            return False
        self._change(quota_id, held=quantity)
        return True

    def sell(self, quota_id: str, quantity: int) -> bool:
        q = self._stored(quota_id)
        if not q.can_take(quantity):
            return False
        self._change(quota_id, sold=quantity)
        return True

    def convert(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, held=-quantity, sold=quantity)

    def release(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, held=-quantity)

    def unsell(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, sold=-quantity)

    def resize(self, quota_id: str, size: int) -> bool:
        q = self._stored(quota_id)
        if size < q.sold + q.held:
            return False
        self._change(quota_id, size=size - q.size)
        return True


class _PromoCodes(_Repo, PromoCodeRepository):
    table = "promo_codes"

    def add(self, promo: PromoCode) -> None:
        if self.get_by_code(promo.event_id, promo.code) is not None:
            raise Conflict(f"the code {promo.code!r} exists for this event", field="code")
        self._insert(promo.id, promo)

    def get(self, promo_id: str) -> PromoCode | None:
        return self._get(promo_id)  # type: ignore[no-any-return]

    def get_by_code(self, event_id: str, code: str) -> PromoCode | None:
        wanted = normalize_code(code)
        found = self._find(lambda p: p.event_id == event_id and p.code == wanted)
        return found[0] if found else None

    def list_by_event(self, event_id: str) -> list[PromoCode]:
        return sorted(self._find(lambda p: p.event_id == event_id), key=lambda p: p.code)

    def try_use(self, promo_id: str) -> bool:
        stored: PromoCode | None = self._uow.read(self.table, promo_id)
        if stored is None:
            raise ValidationFailed(f"unknown promo code {promo_id}")
        if stored.max_uses is not None and stored.uses >= stored.max_uses:
            return False
        self._uow.write(self.table, promo_id, replace(stored, uses=stored.uses + 1))
        return True

    def release_use(self, promo_id: str) -> None:
        stored: PromoCode | None = self._uow.read(self.table, promo_id)
        if stored is None:
            raise ValidationFailed(f"unknown promo code {promo_id}")
        if stored.uses < 1:
            raise ValidationFailed("promo code uses cannot go below zero")
        self._uow.write(self.table, promo_id, replace(stored, uses=stored.uses - 1))


class _Holds(_Repo, HoldRepository):
    table = "holds"

    def add(self, hold: Hold) -> None:
        self._insert(hold.id, hold)

    def get(self, hold_id: str) -> Hold | None:
        return self._get(hold_id)  # type: ignore[no-any-return]

    def end(self, hold_id: str, status: HoldStatus) -> bool:
        stored: Hold | None = self._uow.read(self.table, hold_id)
        if stored is None or stored.status is not HoldStatus.ACTIVE:
            return False
        self._uow.write(self.table, hold_id, replace(stored, status=status))
        return True

    def list_expired(self, now: datetime, limit: int) -> list[Hold]:
        found = self._find(lambda h: h.status is HoldStatus.ACTIVE and h.expires_at <= now)
        return sorted(found, key=lambda h: (h.expires_at, h.id))[:limit]


class _Orders(_Repo, OrderRepository):
    table = "orders"

    def add(self, order: Order) -> None:
        if self.get_by_code(order.code) is not None:
            raise Conflict(f"order code {order.code} exists")
        self._insert(order.id, order)

    def get(self, order_id: str) -> Order | None:
        return self._get(order_id)  # type: ignore[no-any-return]

    def get_by_code(self, code: str) -> Order | None:
        found = self._find(lambda o: o.code == code)
        return found[0] if found else None

    def get_by_payment_reference(self, reference: str) -> Order | None:
        found = self._find(lambda o: o.payment_reference == reference)
        return found[0] if found else None

    def save(self, order: Order) -> None:
        self._save_versioned(order)

    def list_by_event(self, event_id: str) -> list[Order]:
        found = self._find(lambda o: o.event_id == event_id)
        return sorted(found, key=lambda o: (o.created_at, o.id), reverse=True)

    def list_by_customer(self, event_id: str, customer_email: str) -> list[Order]:
        email = customer_email.lower()
        found = self._find(lambda o: o.event_id == event_id and o.customer_email.lower() == email)
        return sorted(found, key=lambda o: (o.created_at, o.id))


class _Tickets(_Repo, TicketRepository):
    table = "tickets"

    def add(self, ticket: Ticket) -> None:
        if self.get_by_secret(ticket.secret) is not None:
            raise Conflict("ticket secret collision")
        self._insert(ticket.id, ticket)

    def get(self, ticket_id: str) -> Ticket | None:
        return self._get(ticket_id)  # type: ignore[no-any-return]

    def get_by_secret(self, secret: str) -> Ticket | None:
        found = self._find(lambda t: t.secret == secret)
        return found[0] if found else None

    def list_by_order(self, order_id: str) -> list[Ticket]:
        return sorted(self._find(lambda t: t.order_id == order_id), key=lambda t: t.id)

    def save(self, ticket: Ticket) -> None:
        self._save_versioned(ticket)

    def count_by_status(self, event_id: str) -> dict[TicketStatus, int]:
        counts = dict.fromkeys(TicketStatus, 0)
        for t in self._uow.scan(self.table):
            if t.event_id == event_id:
                counts[t.status] += 1
        return counts


class _CheckIns(_Repo, CheckInRepository):
    table = "check_ins"

    def add(self, check_in: CheckIn) -> None:
        if self.get_by_nonce(check_in.event_id, check_in.nonce) is not None:
            raise Conflict("this scan nonce was already recorded")
        self._insert(check_in.id, check_in)

    def get_by_nonce(self, event_id: str, nonce: str) -> CheckIn | None:
        found = self._find(lambda c: c.event_id == event_id and c.nonce == nonce)
        return found[0] if found else None

    def list_by_ticket(self, ticket_id: str) -> list[CheckIn]:
        found = self._find(lambda c: c.ticket_id == ticket_id)
        return sorted(found, key=lambda c: (c.recorded_at, c.id))


class _Ledger(_Repo, LedgerRepository):
    table = "ledger"

    def append(self, transaction: LedgerTransaction) -> None:
        self._insert(transaction.id, (self._uow.next_sequence(), transaction))

    def _all(self) -> list[LedgerTransaction]:
        return [tx for _, tx in sorted(self._uow.scan(self.table), key=lambda row: row[0])]

    def list_for_order(self, order_id: str) -> list[LedgerTransaction]:
        return [tx for tx in self._all() if tx.order_id == order_id]

    def list_all(self) -> list[LedgerTransaction]:
        return self._all()

    def account_totals(self, account: str) -> dict[tuple[TransactionKind, str], int]:
        out: dict[tuple[TransactionKind, str], int] = defaultdict(int)
        for tx in self._all():
            for entry in tx.entries:
                if entry.account == account:
                    out[(tx.kind, entry.amount.currency)] += entry.amount.amount_minor
        return dict(out)


class _Outbox(_Repo, OutboxRepository):
    table = "outbox"

    def add(self, message: OutboxMessage) -> None:
        key = message.idempotency_key
        if any(m.idempotency_key == key for m in self._uow.scan(self.table)):
            raise Conflict(f"outbox idempotency key {key} exists")
        self._insert(message.id, message)

    def get(self, message_id: str) -> OutboxMessage | None:
        return self._get(message_id)  # type: ignore[no-any-return]

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        found = self._find(lambda m: m.status is OutboxStatus.PENDING and m.available_at <= now)
        return sorted(found, key=lambda m: (m.available_at, m.created_at, m.id))[:limit]

    def save(self, message: OutboxMessage) -> None:
        self._uow.write(self.table, message.id, _clone(message))

    def pending_count(self) -> int:
        return sum(1 for m in self._uow.scan(self.table) if m.status is OutboxStatus.PENDING)

    def dead(self, limit: int) -> list[OutboxMessage]:
        found = self._find(lambda m: m.status is OutboxStatus.DEAD)
        return sorted(found, key=lambda m: (m.available_at, m.created_at, m.id))[:limit]

    def dead_count(self) -> int:
        return sum(1 for m in self._uow.scan(self.table) if m.status is OutboxStatus.DEAD)


class _ProcessedEvents(_Repo, ProcessedEventRepository):
    table = "processed_events"

    def record(self, provider: str, event_id: str, now: datetime) -> bool:
        key = f"{provider}:{event_id}"
        if self._uow.read(self.table, key) is not None:
            return False
        self._uow.write(self.table, key, now)
        return True


# -- identity ------------------------------------------------------------------------------
class _Users(_Repo, UserRepository):
    table = "users"

    def add(self, user: User) -> None:
        if self.get_by_email(user.email) is not None:
            raise Conflict("this email is already registered", field="email")
        subject = user.google_subject
        if subject is not None and self.get_by_google_subject(subject) is not None:
            raise Conflict("this Google account is already linked", field="google_subject")
        self._insert(user.id, user)

    def get(self, user_id: str) -> User | None:
        return self._get(user_id)  # type: ignore[no-any-return]

    def get_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        found = self._find(lambda u: u.email == wanted)
        return found[0] if found else None

    def get_by_google_subject(self, subject: str) -> User | None:
        found = self._find(lambda u: u.google_subject == subject)
        return found[0] if found else None

    def save(self, user: User) -> None:
        self._save_versioned(user)


class _ByHash(_Repo):
    """Shared by the repositories of credentials stored as digests."""

    hash_field = "token_hash"

    def _insert_unique_hash(self, obj: Any) -> None:
        digest = getattr(obj, self.hash_field)
        if any(getattr(v, self.hash_field) == digest for v in self._uow.scan(self.table)):
            raise Conflict(f"{self.table}: this digest exists")
        self._insert(obj.id, obj)

    def _by_hash(self, digest: str) -> Any:
        found = self._find(lambda v: getattr(v, self.hash_field) == digest)
        return found[0] if found else None

    def _update(self, key: str, condition: Callable[[Any], bool], **changes: Any) -> bool:
        stored = self._uow.read(self.table, key)
        if stored is None or not condition(stored):
            return False
        self._uow.write(self.table, key, replace(stored, **changes))
        return True

    def _revoke_where(self, predicate: Callable[[Any], bool], now: datetime) -> int:
        targets = [v for v in self._uow.scan(self.table)
                   if predicate(v) and v.revoked_at is None]  # fmt: skip
        for v in targets:
            self._uow.write(self.table, v.id, replace(v, revoked_at=now))
        return len(targets)


class _Sessions(_ByHash, RefreshSessionRepository):
    table = "sessions"

    def add(self, session: RefreshSession) -> None:
        self._insert_unique_hash(session)

    def get_by_token_hash(self, token_hash: str) -> RefreshSession | None:
        return self._by_hash(token_hash)  # type: ignore[no-any-return]

    def rotate(self, session_id: str, now: datetime) -> bool:
        return self._update(
            session_id, lambda s: s.rotated_at is None and s.revoked_at is None, rotated_at=now
        )

    def revoke_family(self, family_id: str, now: datetime) -> int:
        return self._revoke_where(lambda s: s.family_id == family_id, now)

    def revoke_user(self, user_id: str, now: datetime) -> int:
        return self._revoke_where(lambda s: s.user_id == user_id, now)


class _OneTimeTokens(_ByHash, OneTimeTokenRepository):
    table = "one_time_tokens"

    def add(self, token: OneTimeToken) -> None:
        self._insert_unique_hash(token)

    def get_by_hash(self, token_hash: str) -> OneTimeToken | None:
        return self._by_hash(token_hash)  # type: ignore[no-any-return]

    def use(self, token_id: str, now: datetime) -> bool:
        return self._update(token_id, lambda t: t.is_usable(now), used_at=now)


class _ApiKeys(_ByHash, ApiKeyRepository):
    table = "api_keys"
    hash_field = "key_hash"

    def add(self, key: ApiKey) -> None:
        self._insert_unique_hash(key)

    def get_by_hash(self, key_hash: str) -> ApiKey | None:
        return self._by_hash(key_hash)  # type: ignore[no-any-return]

    def list_by_organizer(self, organizer_id: str) -> list[ApiKey]:
        found = self._find(lambda k: k.organizer_id == organizer_id)
        return sorted(found, key=lambda k: (k.created_at, k.id))

    def revoke(self, key_id: str, now: datetime) -> bool:
        return self._update(key_id, lambda k: k.revoked_at is None, revoked_at=now)

    def touch(self, key_id: str, now: datetime) -> None:
        self._update(key_id, lambda _: True, last_used_at=now)


class _StaffCredentials(_ByHash, StaffCredentialRepository):
    table = "staff_credentials"

    def add(self, credential: StaffCredential) -> None:
        self._insert_unique_hash(credential)

    def get(self, credential_id: str) -> StaffCredential | None:
        return self._get(credential_id)  # type: ignore[no-any-return]

    def get_by_hash(self, token_hash: str) -> StaffCredential | None:
        return self._by_hash(token_hash)  # type: ignore[no-any-return]

    def list_by_event(self, event_id: str) -> list[StaffCredential]:
        found = self._find(lambda c: c.event_id == event_id)
        return sorted(found, key=lambda c: (c.created_at, c.id))

    def revoke(self, credential_id: str, now: datetime) -> bool:
        return self._update(credential_id, lambda c: c.revoked_at is None, revoked_at=now)

    def touch(self, credential_id: str, now: datetime) -> None:
        self._update(credential_id, lambda _: True, last_used_at=now)


class _OrganizerRequests(_Repo, OrganizerRequestRepository):
    table = "organizer_requests"

    def add(self, request: OrganizerRequest) -> None:
        if request.is_pending and any(
            r.user_id == request.user_id and r.is_pending for r in self._uow.scan(self.table)
        ):
            raise Conflict("this user already has a pending organizer request", field="user_id")
        self._insert(request.id, request)

    def get(self, request_id: str) -> OrganizerRequest | None:
        return self._get(request_id)  # type: ignore[no-any-return]

    def list_by_user(self, user_id: str) -> list[OrganizerRequest]:
        found = self._find(lambda r: r.user_id == user_id)
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)

    def list_by_status(
        self, status: OrganizerRequestStatus, limit: int, offset: int
    ) -> list[OrganizerRequest]:
        found = self._find(lambda r: r.status is status)
        return sorted(found, key=lambda r: (r.created_at, r.id))[offset : offset + limit]

    def save(self, request: OrganizerRequest) -> None:
        self._save_versioned(request)
