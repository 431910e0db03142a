"""The repository ports on MongoDB (pymongo), behaving exactly as the in-memory reference.

Every write is one single-document operation whose filter carries its condition, so the
check and the change are one atomic step in the server (never read-then-write):

- versioned saves: ``{_id, version: v}`` -> ``$set`` + ``$inc: {version: 1}``; no match is
  a ``ConcurrencyConflict``;
- inventory guards: ``{_id, $expr: sold + held + n <= size}`` -> ``$inc``; frees filter on
  ``counter >= n`` so counters never go below zero;
- promo uses: ``{_id, $or: [max_uses unset, $expr: uses < max_uses]}`` -> ``$inc``;
- a hold ends with ``{_id, status: "active"}`` -> ``$set``;
- a refresh session rotates with ``{_id, rotated_at: null, revoked_at: null}``, a one-time
  token is used with ``{_id, used_at: null, expires_at > now}``, an API key or a staff
  credential is revoked with ``{_id, revoked_at: null}`` -> ``$set``.

Revoking every session of a family or a user is one ``update_many`` over the sessions not
revoked yet (each document changes atomically; the count is the server's). It stamps each
one with an id unique to the call (``revocation_id``), so the inverse journalled for the
compensating mode restores exactly the sessions this call revoked.

Writes use ``find_one_and_update`` with the document *before* the change: the inverse
journalled for the compensating mode needs it (the previous name, size or document). In
that mode frees are checked when called and applied at commit (see :mod:`unit_of_work`).
Unique indexes (see :mod:`indexes`) turn duplicates into ``Conflict``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Protocol

from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from tickex.adapters.mongo import mapping as m
from tickex.adapters.mongo.indexes import LEDGER_COUNTER_ID, Collections
from tickex.adapters.mongo.mapping import Document, count, split_time, text, time_sort
from tickex.adapters.mongo.unit_of_work import Work
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

Sort = list[tuple[str, int]]
Session = ClientSession | None


class _Versioned(Protocol):
    id: str
    version: int


def _duplicate_of(exc: DuplicateKeyError) -> set[str]:
    """The fields of the unique index that refused a write, when the server says so
    (mongomock does not: the set is empty then)."""
    pattern = (exc.details or {}).get("keyPattern") or {}
    return set(pattern) if isinstance(pattern, dict) else set()


def _fits(quantity: int) -> Document:
    """``sold + held + quantity <= size``, evaluated by the server on the stored document.
    ``quantity`` is a validated int: no caller value is ever read as a field path."""
    return {"$expr": {"$lte": [{"$add": ["$sold", "$held", quantity]}, "$size"]}}


_UNDER_CAP: Document = {"$or": [{"max_uses": None}, {"$expr": {"$lt": ["$uses", "$max_uses"]}}]}


class _Repo:
    name: ClassVar[str] = ""

    def __init__(self, work: Callable[[], Work]) -> None:
        # The unit of work's Work exists only between __enter__ and __exit__.
        self._work = work

    @property
    def _w(self) -> Work:
        return self._work()

    @property
    def _c(self) -> Collection[Document]:
        return self._w.collection(self.name)

    # -- reads ----------------------------------------------------------------------------
    def _one(self, query: Document) -> Document | None:
        return self._w.read(lambda s: self._c.find_one(query, session=s))

    def _many(self, query: Document, sort: Sort, limit: int = 0) -> list[Document]:
        def run(s: Session) -> list[Document]:
            return list(self._c.find(query, sort=sort, limit=max(limit, 0), session=s))

        return self._w.read(run)

    def _exists(self, key: str) -> bool:
        found = self._w.read(lambda s: self._c.find_one({"_id": key}, {"_id": 1}, session=s))
        return found is not None

    # -- writes ---------------------------------------------------------------------------
    def _insert(self, doc: Document, conflict: Callable[[DuplicateKeyError], Conflict]) -> None:
        try:
            self._w.write(lambda s: self._c.insert_one(doc, session=s))
        except DuplicateKeyError as exc:
            raise conflict(exc) from exc
        key, collection = doc["_id"], self._c
        self._w.remember(
            f"insert into {self.name} {key!r}",
            lambda: collection.delete_one({"_id": key}).deleted_count == 1,
        )

    def _update(self, query: Document, change: Document) -> Document | None:
        """One conditional update; returns the document *before* it (None: no match)."""
        return self._w.write(
            lambda s: self._c.find_one_and_update(
                query, change, return_document=ReturnDocument.BEFORE, session=s
            )
        )

    def _undo(self, description: str, query: Document, change: Document) -> None:
        """Journal a conditional inverse update (applied only if ``query`` still matches)."""
        collection = self._c
        self._w.remember(
            description, lambda: collection.update_one(query, change).matched_count == 1
        )

    def _save_versioned(self, obj: _Versioned, doc: Document) -> None:
        key, version = text(obj.id, "id"), obj.version
        fields = {k: v for k, v in doc.items() if k not in ("_id", "version")}
        before = self._update(
            {"_id": key, "version": version}, {"$set": fields, "$inc": {"version": 1}}
        )
        if before is None:
            if not self._exists(key):
                raise ConcurrencyConflict(f"{self.name} {key} does not exist")
            raise ConcurrencyConflict(f"{self.name} {key} was changed concurrently")
        collection = self._c
        self._w.remember(
            f"save of {self.name} {key!r}",
            lambda: (
                collection.replace_one({"_id": key, "version": version + 1}, before).matched_count
                == 1
            ),
        )
        obj.version = version + 1


class MongoOrganizerRepository(_Repo, OrganizerRepository):
    name = Collections.ORGANIZERS

    def add(self, organizer: Organizer) -> None:
        self._insert(
            m.organizer_doc(organizer),
            lambda _: Conflict(f"organizer {organizer.id} already exists"),
        )

    def get(self, organizer_id: str) -> Organizer | None:
        doc = self._one({"_id": text(organizer_id, "organizer_id")})
        return None if doc is None else m.organizer(doc)

    def save(self, organizer: Organizer) -> None:
        self._save_versioned(organizer, m.organizer_doc(organizer))


class MongoEventRepository(_Repo, EventRepository):
    name = Collections.EVENTS

    def add(self, event: Event) -> None:
        def conflict(exc: DuplicateKeyError) -> Conflict:
            if _duplicate_of(exc) == {"_id"}:
                return Conflict(f"event {event.id} already exists")
            return Conflict(f"the slug {event.slug!r} is taken", field="slug")

        self._insert(m.event_doc(event), conflict)

    def get(self, event_id: str) -> Event | None:
        doc = self._one({"_id": text(event_id, "event_id")})
        return None if doc is None else m.event(doc)

    def get_by_slug(self, slug: str) -> Event | None:
        doc = self._one({"slug": text(slug, "slug")})
        return None if doc is None else m.event(doc)

    def save(self, event: Event) -> None:
        self._save_versioned(event, m.event_doc(event))

    def list_by_organizer(self, organizer_id: str) -> list[Event]:
        docs = self._many(
            {"organizer_id": text(organizer_id, "organizer_id")},
            [*time_sort("starts_at"), ("_id", 1)],
        )
        return [m.event(d) for d in docs]

    def list_published(self, now: datetime, limit: int, offset: int) -> list[Event]:
        # exact ``ends_at > now`` over the millisecond date and its microsecond remainder
        cutoff, micros = split_time(now, "now")
        query: Document = {
            "status": EventStatus.PUBLISHED.value,
            "$or": [
                {"ends_at": {"$gt": cutoff}},
                {"ends_at": cutoff, "ends_at_us": {"$gt": micros}},
            ],
        }
        sort = [*time_sort("starts_at"), ("_id", 1)]

        def run(s: Session) -> list[Document]:
            return list(self._c.find(query, sort=sort, skip=offset, limit=limit, session=s))

        return [m.event(d) for d in self._w.read(run)]


class MongoTicketTypeRepository(_Repo, TicketTypeRepository):
    name = Collections.TICKET_TYPES

    def add(self, ticket_type: TicketType) -> None:
        self._insert(
            m.ticket_type_doc(ticket_type),
            lambda _: Conflict(f"ticket type {ticket_type.id} already exists"),
        )

    def get(self, ticket_type_id: str) -> TicketType | None:
        doc = self._one({"_id": text(ticket_type_id, "ticket_type_id")})
        return None if doc is None else m.ticket_type(doc)

    def list_by_event(self, event_id: str) -> list[TicketType]:
        docs = self._many({"event_id": text(event_id, "event_id")}, [("position", 1), ("_id", 1)])
        return [m.ticket_type(d) for d in docs]

    def save(self, ticket_type: TicketType) -> None:
        self._save_versioned(ticket_type, m.ticket_type_doc(ticket_type))


class MongoQuotaRepository(_Repo, QuotaRepository):
    name = Collections.QUOTAS

    def add(self, quota: Quota) -> None:
        self._insert(m.quota_doc(quota), lambda _: Conflict(f"quota {quota.id} already exists"))

    def get(self, quota_id: str) -> Quota | None:
        doc = self._one({"_id": text(quota_id, "quota_id")})
        return None if doc is None else m.quota(self._w.overlay(self.name, doc))

    def list_by_event(self, event_id: str) -> list[Quota]:
        docs = self._many({"event_id": text(event_id, "event_id")}, [("_id", 1)])
        return [m.quota(self._w.overlay(self.name, d)) for d in docs]

    def _require(self, key: str) -> None:
        if not self._exists(key):
            raise ValidationFailed(f"unknown quota {key}")

    def rename(self, quota_id: str, name: str) -> None:
        key, new = text(quota_id, "quota_id"), text(name, "name")
        before = self._update({"_id": key}, {"$set": {"name": new}})
        if before is None:
            raise ValidationFailed(f"unknown quota {key}")
        self._undo(
            f"rename of quota {key!r}",
            {"_id": key, "name": new},
            {"$set": {"name": before["name"]}},
        )

    def _take(self, quota_id: str, quantity: int, counter: str) -> bool:
        """The inventory guard: one conditional ``$inc``. Its inverse frees what it took,
        which can never break the inventory rule."""
        key = text(quota_id, "quota_id")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationFailed("quantity must be an integer", field="quantity")
        if quantity < 0:  # as Quota.can_take: a negative quantity is never taken
            self._require(key)
            return False
        count(quantity, "quantity")  # fits int64
        if self._update({"_id": key, **_fits(quantity)}, {"$inc": {counter: quantity}}) is None:
            self._require(key)
            return False
        self._undo(
            f"{counter} += {quantity} on quota {key!r}",
            {"_id": key, counter: {"$gte": quantity}},
            {"$inc": {counter: -quantity}},
        )
        return True

    def _free(self, quota_id: str, quantity: int, deltas: dict[str, int]) -> None:
        """Decrement (for ``convert``: move) counters, never below zero.

        In compensating mode a decrement is checked now (as the reference does) and
        applied at commit: undoing a free would take capacity back, which can fail once
        somebody bought the freed seat. ``convert`` changes no availability either way, so
        it applies at once."""
        key = text(quota_id, "quota_id")
        n = count(quantity, "quantity")
        inc = {field: d * n for field, d in deltas.items()}
        if self._w.transactional or sum(inc.values()) == 0:
            self._apply_free(key, inc)
            return
        doc = self._one({"_id": key})
        if doc is None:
            raise ValidationFailed(f"unknown quota {key}")
        seen = self._w.overlay(self.name, doc)
        if any(seen[field] + v < 0 for field, v in inc.items()):
            raise ValidationFailed("quota counters cannot be negative")
        self._w.defer(self.name, key, inc, lambda: self._apply_free(key, inc))

    def _apply_free(self, key: str, inc: dict[str, int]) -> None:
        floors = {field: {"$gte": -v} for field, v in inc.items() if v < 0}
        if self._update({"_id": key, **floors}, {"$inc": inc}) is None:
            self._require(key)
            raise ValidationFailed("quota counters cannot be negative")
        undo_query: Document = {"_id": key}
        undo_query |= {field: {"$gte": v} for field, v in inc.items() if v > 0}
        freed = -sum(inc.values())  # capacity made available; undoing takes it back
        if freed > 0:
            undo_query |= _fits(freed)
        self._undo(f"{inc} on quota {key!r}", undo_query, {"$inc": {f: -v for f, v in inc.items()}})

    def reserve(self, quota_id: str, quantity: int) -> bool:
        return self._take(quota_id, quantity, "held")

    def sell(self, quota_id: str, quantity: int) -> bool:
        return self._take(quota_id, quantity, "sold")

    def convert(self, quota_id: str, quantity: int) -> None:
        self._free(quota_id, quantity, {"held": -1, "sold": 1})

    def release(self, quota_id: str, quantity: int) -> None:
        self._free(quota_id, quantity, {"held": -1})

    def unsell(self, quota_id: str, quantity: int) -> None:
        self._free(quota_id, quantity, {"sold": -1})

    def resize(self, quota_id: str, size: int) -> bool:
        key = text(quota_id, "quota_id")
        if isinstance(size, bool) or not isinstance(size, int):
            raise ValidationFailed("size must be an integer", field="size")
        if size < 0:  # below any sold + held, as the reference answers
            self._require(key)
            return False
        before = self._update(
            {"_id": key, "$expr": {"$lte": [{"$add": ["$sold", "$held"]}, size]}},
            {"$set": {"size": size}},
        )
        if before is None:
            self._require(key)
            return False
        old = int(before["size"])
        self._undo(
            f"resize of quota {key!r} from {old} to {size}",
            {"_id": key, "size": size, "$expr": {"$lte": [{"$add": ["$sold", "$held"]}, old]}},
            {"$set": {"size": old}},
        )
        return True


class MongoPromoCodeRepository(_Repo, PromoCodeRepository):
    name = Collections.PROMO_CODES

    def add(self, promo: PromoCode) -> None:
        def conflict(exc: DuplicateKeyError) -> Conflict:
            if _duplicate_of(exc) == {"_id"}:
                return Conflict(f"promo code {promo.id} already exists")
            return Conflict(f"the code {promo.code!r} exists for this event", field="code")

        self._insert(m.promo_code_doc(promo), conflict)

    def _load(self, doc: Document | None) -> PromoCode | None:
        return None if doc is None else m.promo_code(self._w.overlay(self.name, doc))

    def get(self, promo_id: str) -> PromoCode | None:
        return self._load(self._one({"_id": text(promo_id, "promo_id")}))

    def get_by_code(self, event_id: str, code: str) -> PromoCode | None:
        wanted = normalize_code(text(code, "code"))
        return self._load(self._one({"event_id": text(event_id, "event_id"), "code": wanted}))

    def list_by_event(self, event_id: str) -> list[PromoCode]:
        docs = self._many({"event_id": text(event_id, "event_id")}, [("code", 1), ("_id", 1)])
        return [m.promo_code(self._w.overlay(self.name, d)) for d in docs]

    def _require(self, key: str) -> None:
        if not self._exists(key):
            raise ValidationFailed(f"unknown promo code {key}")

    def try_use(self, promo_id: str) -> bool:
        key = text(promo_id, "promo_id")
        if self._update({"_id": key, **_UNDER_CAP}, {"$inc": {"uses": 1}}) is None:
            self._require(key)
            return False
        self._undo(
            f"use of promo code {key!r}",
            {"_id": key, "uses": {"$gte": 1}},
            {"$inc": {"uses": -1}},
        )
        return True

    def release_use(self, promo_id: str) -> None:
        """Checked now, applied at commit in compensating mode (see ``_free`` on quotas)."""
        key = text(promo_id, "promo_id")
        if self._w.transactional:
            self._apply_release(key)
            return
        doc = self._one({"_id": key})
        if doc is None:
            raise ValidationFailed(f"unknown promo code {key}")
        if self._w.overlay(self.name, doc)["uses"] < 1:
            raise ValidationFailed("promo code uses cannot go below zero")
        self._w.defer(self.name, key, {"uses": -1}, lambda: self._apply_release(key))

    def _apply_release(self, key: str) -> None:
        if self._update({"_id": key, "uses": {"$gte": 1}}, {"$inc": {"uses": -1}}) is None:
            self._require(key)
            raise ValidationFailed("promo code uses cannot go below zero")
        self._undo(
            f"release of a use of promo code {key!r}",
            {"_id": key, **_UNDER_CAP},
            {"$inc": {"uses": 1}},
        )


class MongoHoldRepository(_Repo, HoldRepository):
    name = Collections.HOLDS

    def add(self, hold: Hold) -> None:
        self._insert(m.hold_doc(hold), lambda _: Conflict(f"hold {hold.id} already exists"))

    def get(self, hold_id: str) -> Hold | None:
        doc = self._one({"_id": text(hold_id, "hold_id")})
        return None if doc is None else m.hold(doc)

    def end(self, hold_id: str, status: HoldStatus) -> bool:
        key, new = text(hold_id, "hold_id"), HoldStatus(status).value
        active = HoldStatus.ACTIVE.value
        if self._update({"_id": key, "status": active}, {"$set": {"status": new}}) is None:
            return False
        self._undo(
            f"end of hold {key!r}", {"_id": key, "status": new}, {"$set": {"status": active}}
        )
        return True

    def list_expired(self, now: datetime, limit: int) -> list[Hold]:
        # Dates are stored to the millisecond: select up to now's millisecond, then compare
        # exactly. Sorted by the exact time, the exact matches are a prefix of the result.
        cutoff, _ = split_time(now, "now")
        docs = self._many(
            {"status": HoldStatus.ACTIVE.value, "expires_at": {"$lte": cutoff}},
            [*time_sort("expires_at"), ("_id", 1)],
            limit,
        )
        return [h for h in map(m.hold, docs) if h.expires_at <= now][:limit]


class MongoOrderRepository(_Repo, OrderRepository):
    name = Collections.ORDERS

    def add(self, order: Order) -> None:
        def conflict(exc: DuplicateKeyError) -> Conflict:
            if _duplicate_of(exc) == {"_id"}:
                return Conflict(f"order {order.id} already exists")
            return Conflict(f"order code {order.code} exists")

        self._insert(m.order_doc(order), conflict)

    def get(self, order_id: str) -> Order | None:
        doc = self._one({"_id": text(order_id, "order_id")})
        return None if doc is None else m.order(doc)

    def get_by_code(self, code: str) -> Order | None:
        doc = self._one({"code": text(code, "code")})
        return None if doc is None else m.order(doc)

    def get_by_payment_reference(self, reference: str) -> Order | None:
        doc = self._one({"payment_reference": text(reference, "payment_reference")})
        return None if doc is None else m.order(doc)

    def save(self, order: Order) -> None:
        self._save_versioned(order, m.order_doc(order))

    def list_by_event(self, event_id: str) -> list[Order]:
        docs = self._many(
            {"event_id": text(event_id, "event_id")}, [*time_sort("created_at", -1), ("_id", -1)]
        )
        return [m.order(d) for d in docs]

    def list_by_customer(self, event_id: str, customer_email: str) -> list[Order]:
        docs = self._many(
            {
                "event_id": text(event_id, "event_id"),
                "customer_email_lower": text(customer_email, "customer_email").lower(),
            },
            [*time_sort("created_at"), ("_id", 1)],
        )
        return [m.order(d) for d in docs]


class MongoTicketRepository(_Repo, TicketRepository):
    name = Collections.TICKETS

    def add(self, ticket: Ticket) -> None:
        def conflict(exc: DuplicateKeyError) -> Conflict:
            if _duplicate_of(exc) == {"_id"}:
                return Conflict(f"ticket {ticket.id} already exists")
            return Conflict("ticket secret collision")

        self._insert(m.ticket_doc(ticket), conflict)

    def get(self, ticket_id: str) -> Ticket | None:
        doc = self._one({"_id": text(ticket_id, "ticket_id")})
        return None if doc is None else m.ticket(doc)

    def get_by_secret(self, secret: str) -> Ticket | None:
        doc = self._one({"secret": text(secret, "secret")})
        return None if doc is None else m.ticket(doc)

    def list_by_order(self, order_id: str) -> list[Ticket]:
        docs = self._many({"order_id": text(order_id, "order_id")}, [("_id", 1)])
        return [m.ticket(d) for d in docs]

    def save(self, ticket: Ticket) -> None:
        self._save_versioned(ticket, m.ticket_doc(ticket))

    def count_by_status(self, event_id: str) -> dict[TicketStatus, int]:
        pipeline: list[Document] = [
            {"$match": {"event_id": text(event_id, "event_id")}},
            {"$group": {"_id": "$status", "n": {"$sum": 1}}},
        ]
        rows = self._w.read(lambda s: list(self._c.aggregate(pipeline, session=s)))
        counts = dict.fromkeys(TicketStatus, 0)
        for row in rows:
            counts[TicketStatus(row["_id"])] = int(row["n"])
        return counts


class MongoCheckInRepository(_Repo, CheckInRepository):
    name = Collections.CHECK_INS

    def add(self, check_in: CheckIn) -> None:
        def conflict(exc: DuplicateKeyError) -> Conflict:
            if _duplicate_of(exc) == {"_id"}:
                return Conflict(f"check-in {check_in.id} already exists")
            return Conflict("this scan nonce was already recorded")

        self._insert(m.check_in_doc(check_in), conflict)

    def get_by_nonce(self, event_id: str, nonce: str) -> CheckIn | None:
        doc = self._one({"event_id": text(event_id, "event_id"), "nonce": text(nonce, "nonce")})
        return None if doc is None else m.check_in(doc)

    def list_by_ticket(self, ticket_id: str) -> list[CheckIn]:
        docs = self._many(
            {"ticket_id": text(ticket_id, "ticket_id")}, [*time_sort("recorded_at"), ("_id", 1)]
        )
        return [m.check_in(d) for d in docs]


class MongoLedgerRepository(_Repo, LedgerRepository):
    """Append-only: there is no update and no delete (compensation removes only what a
    rolled-back unit appended, as a transaction's abort would).

    The append order is a sequence from one counter document, allocated *outside* the
    unit's transaction with ``find_one_and_update`` ``$inc``: atomic, strictly increasing
    across processes, never reused (a rolled-back append leaves a gap), and not a hot
    document that every paying transaction would conflict on. ObjectId order would not do:
    its timestamp has one-second resolution and its counter is per process.
    """

    name = Collections.LEDGER

    def _next_sequence(self) -> int:
        self._w.check_entered()
        counter = self._w.collection(Collections.COUNTERS).find_one_and_update(
            {"_id": LEDGER_COUNTER_ID},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if counter is None:  # pragma: no cover - an upsert returns the document
            raise RuntimeError("the ledger sequence could not be allocated")
        return int(counter["value"])

    def append(self, transaction: LedgerTransaction) -> None:
        doc = m.ledger_doc(transaction, self._next_sequence())
        self._insert(doc, lambda _: Conflict(f"ledger transaction {transaction.id} exists"))

    def list_for_order(self, order_id: str) -> list[LedgerTransaction]:
        docs = self._many({"order_id": text(order_id, "order_id")}, [("sequence", 1)])
        return [m.ledger_transaction(d) for d in docs]

    def list_all(self) -> list[LedgerTransaction]:
        return [m.ledger_transaction(d) for d in self._many({}, [("sequence", 1)])]

    def account_totals(self, account: str) -> dict[tuple[TransactionKind, str], int]:
        wanted = text(account, "account")
        pipeline: list[Document] = [
            {"$match": {"entries.account": wanted}},
            {"$unwind": "$entries"},
            {"$match": {"entries.account": wanted}},
            {
                "$group": {
                    "_id": {"kind": "$kind", "currency": "$entries.amount.currency"},
                    "total": {"$sum": "$entries.amount.amount"},
                }
            },
        ]
        rows = self._w.read(lambda s: list(self._c.aggregate(pipeline, session=s)))
        return {
            (TransactionKind(r["_id"]["kind"]), str(r["_id"]["currency"])): int(r["total"])
            for r in rows
        }


class MongoOutboxRepository(_Repo, OutboxRepository):
    name = Collections.OUTBOX

    def add(self, message: OutboxMessage) -> None:
        def conflict(exc: DuplicateKeyError) -> Conflict:
            if _duplicate_of(exc) == {"_id"}:
                return Conflict(f"outbox message {message.id} already exists")
            return Conflict(f"outbox idempotency key {message.idempotency_key} exists")

        self._insert(m.outbox_doc(message), conflict)

    def get(self, message_id: str) -> OutboxMessage | None:
        doc = self._one({"_id": text(message_id, "message_id")})
        return None if doc is None else m.outbox_message(doc)

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        cutoff, _ = split_time(now, "now")
        docs = self._many(
            {"status": OutboxStatus.PENDING.value, "available_at": {"$lte": cutoff}},
            [*time_sort("available_at"), *time_sort("created_at"), ("_id", 1)],
            limit,
        )
        return [msg for msg in map(m.outbox_message, docs) if msg.available_at <= now][:limit]

    def save(self, message: OutboxMessage) -> None:
        """Unversioned, as the reference: the worker owns a message while delivering it."""
        doc = m.outbox_doc(message)
        key, collection = doc["_id"], self._c

        def replace(s: Session) -> Document | None:
            return collection.find_one_and_replace(
                {"_id": key}, doc, upsert=True, return_document=ReturnDocument.BEFORE, session=s
            )

        try:
            before = self._w.write(replace)
        except DuplicateKeyError as exc:
            raise Conflict(f"outbox idempotency key {message.idempotency_key} exists") from exc

        def undo() -> bool:
            if before is None:
                return collection.delete_one({"_id": key}).deleted_count == 1
            return collection.replace_one({"_id": key}, before).matched_count == 1

        self._w.remember(f"save of outbox message {key!r}", undo)

    def pending_count(self) -> int:
        return self._count(OutboxStatus.PENDING)

    def dead(self, limit: int) -> list[OutboxMessage]:
        docs = self._many(
            {"status": OutboxStatus.DEAD.value},
            [*time_sort("available_at"), *time_sort("created_at"), ("_id", 1)],
            limit,
        )
        return [m.outbox_message(doc) for doc in docs]

    def dead_count(self) -> int:
        return self._count(OutboxStatus.DEAD)

    def _count(self, status: OutboxStatus) -> int:
        query = {"status": status.value}
        return self._w.read(lambda s: self._c.count_documents(query, session=s))


class MongoProcessedEventRepository(_Repo, ProcessedEventRepository):
    name = Collections.PROCESSED_EVENTS

    def record(self, provider: str, event_id: str, now: datetime) -> bool:
        doc = m.processed_event_doc(provider, event_id, now)
        query: dict[str, Any] = {"provider": doc["provider"], "event_id": doc["event_id"]}
        # Look first: in a transaction a duplicate-key error aborts the whole transaction,
        # and "already seen" is the normal answer to a webhook delivered twice.
        if self._w.read(lambda s: self._c.find_one(query, {"_id": 1}, session=s)) is not None:
            return False
        try:
            self._insert(doc, lambda _: Conflict("provider event already recorded"))
        except Conflict as exc:
            if self._w.transactional:  # recorded by a concurrent unit: the retry sees it
                raise ConcurrencyConflict("the provider event was recorded concurrently") from exc
            return False
        return True


# -- identity ------------------------------------------------------------------------------
#: On revoked refresh sessions: the id of the ``revoke_family``/``revoke_user`` call.
REVOCATION_FIELD = "revocation_id"


def _at(name: str, now: datetime) -> Document:
    """``{name: <date>, name_us: <micros>}``: a stored time, for a ``$set`` or an exact match."""
    date, micros = split_time(now, "now")
    return {name: date, f"{name}_us": micros}


def _unset_time(name: str) -> Document:
    return {name: None, f"{name}_us": 0}


def _after(name: str, now: datetime) -> Document:
    """``name > now`` to the microsecond, over the date and its remainder."""
    date, micros = split_time(now, "now")
    return {"$or": [{name: {"$gt": date}}, {name: date, f"{name}_us": {"$gt": micros}}]}


class MongoUserRepository(_Repo, UserRepository):
    name = Collections.USERS

    def add(self, user: User) -> None:
        doc = m.user_doc(user)

        def conflict(exc: DuplicateKeyError) -> Conflict:
            fields = _duplicate_of(exc) or self._taken(doc)
            if fields == {"_id"}:
                return Conflict(f"user {user.id} already exists")
            if fields == {"google_subject"}:
                return Conflict("this Google account is already linked", field="google_subject")
            return Conflict("this email is already registered", field="email")

        self._insert(doc, conflict)

    def _taken(self, doc: Document, *, other: bool = False) -> set[str]:
        """Which unique field refused ``doc`` when the error does not say (mongomock); with
        ``other``, held by another user. Never in a transaction: the failed write aborted
        it, and a real server always says."""
        if self._w.transactional:
            return set()
        mine = {"_id": {"$ne": doc["_id"]}} if other else {}
        for name in ("email", "google_subject"):
            if doc[name] is not None and self._one({name: doc[name], **mine}) is not None:
                return {name}
        return {"_id"}

    def get(self, user_id: str) -> User | None:
        doc = self._one({"_id": text(user_id, "user_id")})
        return None if doc is None else m.user(doc)

    def get_by_email(self, email: str) -> User | None:
        doc = self._one({"email": text(email, "email").strip().lower()})
        return None if doc is None else m.user(doc)

    def get_by_google_subject(self, subject: str) -> User | None:
        doc = self._one({"google_subject": text(subject, "google_subject")})
        return None if doc is None else m.user(doc)

    def save(self, user: User) -> None:
        doc = m.user_doc(user)
        try:
            self._save_versioned(user, doc)
        except DuplicateKeyError as exc:
            if (_duplicate_of(exc) or self._taken(doc, other=True)) == {"google_subject"}:
                message, field = "this Google account is linked to another user", "google_subject"
            else:
                message, field = "this email belongs to another user", "email"
            raise Conflict(message, field=field) from exc


class _Credentials(_Repo):
    """Shared by the repositories of credentials stored as digests."""

    hash_field: ClassVar[str] = "token_hash"
    kind: ClassVar[str] = ""

    def _add(self, doc: Document) -> None:
        def conflict(exc: DuplicateKeyError) -> Conflict:
            if _duplicate_of(exc) == {"_id"}:
                return Conflict(f"{self.kind} {doc['_id']} already exists")
            return Conflict(f"{self.name}: this digest exists")

        self._insert(doc, conflict)

    def _by_hash(self, digest: str) -> Document | None:
        return self._one({self.hash_field: text(digest, self.hash_field)})

    def _stamp(
        self,
        key_name: str,
        key: str,
        field: str,
        now: datetime,
        when: Document,
        superseded_ok: bool = False,
    ) -> bool:
        """``field = now`` on ``key`` if the document also matches ``when``: one conditional
        update; False when nothing matched. The journalled inverse puts the previous value
        back only while ``field`` still holds this one; with ``superseded_ok`` a later
        write over it counts as undone (a later use of a key is not an error)."""
        key = text(key, key_name)
        stamp = _at(field, now)
        before = self._update({"_id": key, **when}, {"$set": stamp})
        if before is None:
            return False
        previous = {field: before.get(field), f"{field}_us": before.get(f"{field}_us", 0)}
        query, restore, collection = {"_id": key, **stamp}, {"$set": previous}, self._c
        self._w.remember(
            f"{field} of {self.kind} {key!r}",
            lambda: collection.update_one(query, restore).matched_count == 1 or superseded_ok,
        )
        return True

    def _revoke(self, key_name: str, key: str, now: datetime) -> bool:
        return self._stamp(key_name, key, "revoked_at", now, {"revoked_at": None})

    def _touch(self, key_name: str, key: str, now: datetime) -> None:
        """Unconditional, as the reference (a missing key is ignored)."""
        self._stamp(key_name, key, "last_used_at", now, {}, superseded_ok=True)


class MongoRefreshSessionRepository(_Credentials, RefreshSessionRepository):
    name = Collections.REFRESH_SESSIONS
    kind = "refresh session"

    def add(self, session: RefreshSession) -> None:
        self._add(m.refresh_session_doc(session))

    def get_by_token_hash(self, token_hash: str) -> RefreshSession | None:
        doc = self._by_hash(token_hash)
        return None if doc is None else m.refresh_session(doc)

    def rotate(self, session_id: str, now: datetime) -> bool:
        when = {"rotated_at": None, "revoked_at": None}
        return self._stamp("session_id", session_id, "rotated_at", now, when)

    def revoke_family(self, family_id: str, now: datetime) -> int:
        return self._revoke_where({"family_id": text(family_id, "family_id")}, now)

    def revoke_user(self, user_id: str, now: datetime) -> int:
        return self._revoke_where({"user_id": text(user_id, "user_id")}, now)

    def _revoke_where(self, query: Document, now: datetime) -> int:
        """One ``update_many``; each session revoked also gets the call's ``revocation_id``
        (kept: the sessions revoked together), which is how the inverse finds exactly the
        sessions this call revoked and never one another unit revoked at the same instant."""
        stamp = _at("revoked_at", now)
        mark = {REVOCATION_FIELD: uuid.uuid4().hex}
        change = {"$set": stamp | mark}
        query = {**query, "revoked_at": None}
        result = self._w.write(lambda s: self._c.update_many(query, change, session=s))
        revoked = int(result.modified_count)
        if revoked:
            collection = self._c
            restore = {"$set": _unset_time("revoked_at"), "$unset": {REVOCATION_FIELD: ""}}
            self._w.remember(
                f"revocation of {revoked} refresh sessions ({mark[REVOCATION_FIELD]})",
                lambda: collection.update_many(mark | stamp, restore).modified_count == revoked,
            )
        return revoked


class MongoOneTimeTokenRepository(_Credentials, OneTimeTokenRepository):
    name = Collections.ONE_TIME_TOKENS
    kind = "one-time token"

    def add(self, token: OneTimeToken) -> None:
        self._add(m.one_time_token_doc(token))

    def get_by_hash(self, token_hash: str) -> OneTimeToken | None:
        doc = self._by_hash(token_hash)
        return None if doc is None else m.one_time_token(doc)

    def use(self, token_id: str, now: datetime) -> bool:
        when = {"used_at": None, **_after("expires_at", now)}
        return self._stamp("token_id", token_id, "used_at", now, when)


class MongoApiKeyRepository(_Credentials, ApiKeyRepository):
    name = Collections.API_KEYS
    kind = "API key"
    hash_field = "key_hash"

    def add(self, key: ApiKey) -> None:
        self._add(m.api_key_doc(key))

    def get_by_hash(self, key_hash: str) -> ApiKey | None:
        doc = self._by_hash(key_hash)
        return None if doc is None else m.api_key(doc)

    def list_by_organizer(self, organizer_id: str) -> list[ApiKey]:
        docs = self._many(
            {"organizer_id": text(organizer_id, "organizer_id")},
            [*time_sort("created_at"), ("_id", 1)],
        )
        return [m.api_key(d) for d in docs]

    def revoke(self, key_id: str, now: datetime) -> bool:
        return self._revoke("key_id", key_id, now)

    def touch(self, key_id: str, now: datetime) -> None:
        self._touch("key_id", key_id, now)


class MongoStaffCredentialRepository(_Credentials, StaffCredentialRepository):
    name = Collections.STAFF_CREDENTIALS
    kind = "staff credential"

    def add(self, credential: StaffCredential) -> None:
        self._add(m.staff_credential_doc(credential))

    def get(self, credential_id: str) -> StaffCredential | None:
        doc = self._one({"_id": text(credential_id, "credential_id")})
        return None if doc is None else m.staff_credential(doc)

    def get_by_hash(self, token_hash: str) -> StaffCredential | None:
        doc = self._by_hash(token_hash)
        return None if doc is None else m.staff_credential(doc)

    def list_by_event(self, event_id: str) -> list[StaffCredential]:
        docs = self._many(
            {"event_id": text(event_id, "event_id")}, [*time_sort("created_at"), ("_id", 1)]
        )
        return [m.staff_credential(d) for d in docs]

    def revoke(self, credential_id: str, now: datetime) -> bool:
        return self._revoke("credential_id", credential_id, now)

    def touch(self, credential_id: str, now: datetime) -> None:
        self._touch("credential_id", credential_id, now)


class MongoOrganizerRequestRepository(_Repo, OrganizerRequestRepository):
    """The partial unique index ``pending_user_unique`` (see :mod:`indexes`) refuses a
    second pending request of a user, atomically in the server."""

    name = Collections.ORGANIZER_REQUESTS

    def add(self, request: OrganizerRequest) -> None:
        def conflict(exc: DuplicateKeyError) -> Conflict:
            if _duplicate_of(exc) == {"_id"}:
                return Conflict(f"organizer request {request.id} already exists")
            return Conflict("this user already has a pending organizer request", field="user_id")

        self._insert(m.organizer_request_doc(request), conflict)

    def get(self, request_id: str) -> OrganizerRequest | None:
        doc = self._one({"_id": text(request_id, "request_id")})
        return None if doc is None else m.organizer_request(doc)

    def list_by_user(self, user_id: str) -> list[OrganizerRequest]:
        docs = self._many(
            {"user_id": text(user_id, "user_id")}, [*time_sort("created_at", -1), ("_id", -1)]
        )
        return [m.organizer_request(d) for d in docs]

    def list_by_status(
        self, status: OrganizerRequestStatus, limit: int, offset: int
    ) -> list[OrganizerRequest]:
        query = {"status": OrganizerRequestStatus(status).value}
        sort = [*time_sort("created_at"), ("_id", 1)]
        skip, limit = count(offset, "offset"), count(limit, "limit")
        if limit == 0:  # to MongoDB, a limit of 0 means none
            return []

        def run(s: Session) -> list[Document]:
            return list(self._c.find(query, sort=sort, skip=skip, limit=limit, session=s))

        return [m.organizer_request(d) for d in self._w.read(run)]

    def save(self, request: OrganizerRequest) -> None:
        self._save_versioned(request, m.organizer_request_doc(request))
