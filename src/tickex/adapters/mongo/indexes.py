"""The collections and indexes the Mongo adapter needs, declared once.

Unique indexes are what turn a duplicate slug, order code, ticket secret, promo code,
scan nonce, outbox idempotency key, provider event id (processed, or under review), user
email, Google subject, credential digest or a user's second pending organizer request into
a ``Conflict`` -- atomically, including between two units of work that run at the same
time. The other indexes serve exactly the queries the repositories make (equality fields
first, then the sort fields), so no repository query scans a collection.

Names are explicit: ``migrate()`` is idempotent (creating an identical index is a no-op),
and an index whose definition changed under the same name fails loudly instead of being
silently kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

from tickex.adapters.mongo.mapping import Document


class Collections:
    """Collection names (one per repository, plus ``counters`` for the ledger sequence)."""

    ORGANIZERS = "organizers"
    EVENTS = "events"
    TICKET_TYPES = "ticket_types"
    QUOTAS = "quotas"
    PROMO_CODES = "promo_codes"
    HOLDS = "holds"
    ORDERS = "orders"
    TICKETS = "tickets"
    CHECK_INS = "check_ins"
    LEDGER = "ledger"
    OUTBOX = "outbox"
    PROCESSED_EVENTS = "processed_events"
    PAYMENT_REVIEWS = "payment_reviews"
    USERS = "users"
    REFRESH_SESSIONS = "refresh_sessions"
    ONE_TIME_TOKENS = "one_time_tokens"
    API_KEYS = "api_keys"
    STAFF_CREDENTIALS = "staff_credentials"
    ORGANIZER_REQUESTS = "organizer_requests"
    IDEMPOTENCY_KEYS = "idempotency_keys"
    COUNTERS = "counters"

    ALL: tuple[str, ...] = (
        ORGANIZERS,
        EVENTS,
        TICKET_TYPES,
        QUOTAS,
        PROMO_CODES,
        HOLDS,
        ORDERS,
        TICKETS,
        CHECK_INS,
        LEDGER,
        OUTBOX,
        PROCESSED_EVENTS,
        PAYMENT_REVIEWS,
        USERS,
        REFRESH_SESSIONS,
        ONE_TIME_TOKENS,
        API_KEYS,
        STAFF_CREDENTIALS,
        ORGANIZER_REQUESTS,
        IDEMPOTENCY_KEYS,
        COUNTERS,
    )


LEDGER_COUNTER_ID = "ledger_sequence"


@dataclass(frozen=True, slots=True)
class Index:
    collection: str
    name: str
    keys: tuple[str, ...]
    unique: bool = False
    #: ``partialFilterExpression``: only documents matching it are indexed (and so unique)
    partial: Document | None = None
    #: ``expireAfterSeconds``: the server deletes a document this long after the date in
    #: the (single) key field
    expire_after: int | None = None

    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"name": self.name, "unique": self.unique}
        if self.partial is not None:
            options["partialFilterExpression"] = self.partial
        if self.expire_after is not None:
            options["expireAfterSeconds"] = self.expire_after
        return options

    def spec(self) -> list[tuple[str, int]]:
        return [(key, ASCENDING) for key in self.keys]

    def model(self) -> IndexModel:
        return IndexModel(self.spec(), **self.options())

    def create(self, db: Database[Document]) -> None:
        db[self.collection].create_index(self.spec(), **self.options())


def _unique(collection: str, name: str, *keys: str, where: Document | None = None) -> Index:
    """A unique index; with ``where``, over the documents matching it only."""
    return Index(collection, name, keys, unique=True, partial=where)


def _t(name: str) -> tuple[str, str]:
    """A datetime sorts as (date, microseconds below the millisecond)."""
    return name, f"{name}_us"


C = Collections
INDEXES: tuple[Index, ...] = (
    # unique values: duplicates become Conflict
    _unique(C.EVENTS, "slug_unique", "slug"),
    _unique(C.ORDERS, "code_unique", "code"),
    _unique(C.TICKETS, "secret_unique", "secret"),
    _unique(C.PROMO_CODES, "event_code_unique", "event_id", "code"),
    _unique(C.CHECK_INS, "event_nonce_unique", "event_id", "nonce"),
    _unique(C.OUTBOX, "idempotency_key_unique", "idempotency_key"),
    _unique(C.PROCESSED_EVENTS, "provider_event_unique", "provider", "event_id"),
    _unique(C.PAYMENT_REVIEWS, "provider_event_unique", "provider", "event_id"),
    _unique(C.LEDGER, "sequence_unique", "sequence"),
    _unique(C.USERS, "email_unique", "email"),
    # unique where set: users without a Google account (None) are not in the index
    _unique(
        C.USERS,
        "google_subject_unique",
        "google_subject",
        where={"google_subject": {"$type": "string"}},
    ),
    _unique(C.REFRESH_SESSIONS, "token_hash_unique", "token_hash"),
    _unique(C.ONE_TIME_TOKENS, "token_hash_unique", "token_hash"),
    _unique(C.API_KEYS, "key_hash_unique", "key_hash"),
    _unique(C.STAFF_CREDENTIALS, "token_hash_unique", "token_hash"),
    # one pending organizer request per user: decided ones leave the index
    _unique(C.ORGANIZER_REQUESTS, "pending_user_unique", "user_id", where={"status": "pending"}),
    # one record per caller and Idempotency-Key: claiming a key is an insert on this index
    _unique(C.IDEMPOTENCY_KEYS, "scope_key_unique", "scope", "key_digest"),
    # the repositories' queries: equality fields, then sort fields
    Index(C.ORGANIZERS, "payment_account", ("payment_account_id", "_id")),
    Index(C.EVENTS, "organizer_starts", ("organizer_id", *_t("starts_at"), "_id")),
    Index(C.EVENTS, "catalogue", ("status", *_t("starts_at"), "_id")),
    Index(C.TICKET_TYPES, "event_position", ("event_id", "position", "_id")),
    Index(C.QUOTAS, "event_id", ("event_id", "_id")),
    Index(C.PROMO_CODES, "event_list", ("event_id", "code", "_id")),
    Index(C.HOLDS, "status_expires", ("status", *_t("expires_at"), "_id")),
    Index(C.ORDERS, "event_created", ("event_id", *_t("created_at"), "_id")),
    Index(
        C.ORDERS,
        "event_customer_created",
        ("event_id", "customer_email_lower", *_t("created_at"), "_id"),
    ),
    Index(C.ORDERS, "payment_reference", ("payment_reference",)),
    Index(C.TICKETS, "order_id", ("order_id", "_id")),
    Index(C.TICKETS, "event_status", ("event_id", "status")),
    # the admins' listing, newest first: the index read backwards
    Index(C.PAYMENT_REVIEWS, "status_flagged", ("status", *_t("flagged_at"), "_id")),
    Index(C.CHECK_INS, "ticket_recorded", ("ticket_id", *_t("recorded_at"), "_id")),
    Index(C.LEDGER, "order_sequence", ("order_id", "sequence")),
    Index(C.LEDGER, "account", ("entries.account",)),
    Index(
        C.OUTBOX,
        "status_available",
        ("status", *_t("available_at"), *_t("created_at"), "_id"),
    ),
    # revoking a family (refresh-token reuse) or every session of a user (sign out
    # everywhere) touches only the sessions not revoked yet
    Index(C.REFRESH_SESSIONS, "family_revoked", ("family_id", "revoked_at")),
    Index(C.REFRESH_SESSIONS, "user_revoked", ("user_id", "revoked_at")),
    # each worker's set of revoked sessions is refreshed from the recent revocations
    Index(C.REFRESH_SESSIONS, "revoked", _t("revoked_at")),
    Index(C.API_KEYS, "organizer_created", ("organizer_id", *_t("created_at"), "_id")),
    # an API key works while an account acting for its organizer is active (every use)
    Index(C.USERS, "organizer_created", ("organizer_id", *_t("created_at"), "_id")),
    Index(C.STAFF_CREDENTIALS, "event_created", ("event_id", *_t("created_at"), "_id")),
    Index(C.ORGANIZER_REQUESTS, "user_created", ("user_id", *_t("created_at"), "_id")),
    Index(C.ORGANIZER_REQUESTS, "status_created", ("status", *_t("created_at"), "_id")),
    # expired idempotency records: the server removes them (TTL), the purge finds the rest
    Index(C.IDEMPOTENCY_KEYS, "expires_ttl", ("expires_at",), expire_after=0),
)


def create_indexes(db: Database[Document]) -> None:
    """Create every collection and index (idempotent) and the ledger's sequence counter.

    Collections are created up front: a transaction may create one implicitly only on
    MongoDB 4.4+ and never in a cross-shard transaction."""
    existing = set(db.list_collection_names())
    for name in Collections.ALL:
        if name not in existing:
            db.create_collection(name)
    # One ``create_index`` per index rather than ``create_indexes`` per collection:
    # mongomock's ``create_indexes`` drops ``partialFilterExpression``, which would make
    # the Google-subject index unique over every user without one.
    for index in INDEXES:
        index.create(db)
    # The counter exists before the first append, so concurrent first appends never race
    # to upsert it.
    db[C.COUNTERS].update_one(
        {"_id": LEDGER_COUNTER_ID}, {"$setOnInsert": {"value": 0}}, upsert=True
    )
