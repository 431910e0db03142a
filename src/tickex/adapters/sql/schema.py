"""The SQL schema as explicit SQLAlchemy Core tables.

The domain stays pure: these tables are mapped to and from the dataclasses by hand in
``mapping/``. Choices that matter:

- Money is two columns, integer minor units + ISO currency (``*_minor``, ``*_currency``);
  inside JSON value objects (order lines and totals) it is ``{"amount_minor", "currency"}``.
- Datetimes are :class:`UtcDateTime`: ``timestamptz`` on PostgreSQL; on SQLite a fixed-width
  ISO 8601 UTC string, so that text comparison and ``ORDER BY`` follow time.
- Ids, codes and slugs use the "C" collation on PostgreSQL, so that ``ORDER BY id`` sorts
  by code point exactly as the in-memory reference (and SQLite's BINARY collation) does.
- Integrity lives in the schema: CHECK constraints on the counters, UNIQUE constraints on
  every value the ports call unique.
- No foreign keys: the reference implementation has no referential rules either, and the
  aggregates are consistency boundaries of their own (an order names its event by id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from tickex.domain import payment_review as review

#: SQLite text width: ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``, the year zero-padded (``strftime``'s
#: ``%Y`` is not, below 1000: ``999-...`` neither sorts nor reads back), always UTC, so that
#: string order is time order for every year from 1 to 9999.
SQLITE_WIDTH = 32


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: TickEx stores aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.isoformat(timespec="microseconds")
        return value

    def process_result_value(self, value: Any, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        if value.tzinfo is None:  # pragma: no cover - only if a column lost its time zone
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _key(length: int = 64) -> TypeEngine[str]:
    """Identifier-like text, compared and sorted by code point on every engine."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


_JSON: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
_TEXT = Text()


def build_metadata() -> MetaData:
    """Every table TickEx stores (a new ``MetaData`` each call)."""
    md = MetaData()

    Table(
        "organizers", md,
        Column("id", _key(), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("email", String(320), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("payment_account_id", String(255)),
        # the connected account's state as the provider last reported it (migration 7)
        Column("charges_enabled", Boolean, nullable=False, server_default=text("false")),
        Column("payouts_enabled", Boolean, nullable=False, server_default=text("false")),
        Column("requirements_due", _JSON, nullable=False, server_default=text("'[]'")),
        Column("disabled_reason", String(100)),
        Column("payment_account_as_of", UtcDateTime()),
        Column("version", Integer, nullable=False),
        Index("ix_organizers_payment_account", "payment_account_id"),
    )  # fmt: skip

    Table(
        "events", md,
        Column("id", _key(), primary_key=True),
        Column("organizer_id", _key(), nullable=False),
        Column("title", String(300), nullable=False),
        Column("slug", _key(200), nullable=False),
        Column("starts_at", UtcDateTime(), nullable=False),
        Column("ends_at", UtcDateTime(), nullable=False),
        Column("venue", _JSON, nullable=False),
        Column("settings", _JSON, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("description", _TEXT, nullable=False),
        Column("media", _JSON, nullable=False),
        Column("capacity_quota_id", _key()),
        Column("status", String(20), nullable=False),
        Column("version", Integer, nullable=False),
        UniqueConstraint("slug", name="uq_events_slug"),
        Index("ix_events_organizer", "organizer_id", "starts_at"),
        Index("ix_events_catalogue", "status", "starts_at", "id"),
    )  # fmt: skip

    Table(
        "ticket_types", md,
        Column("id", _key(), primary_key=True),
        Column("event_id", _key(), nullable=False),
        Column("name", String(200), nullable=False),
        Column("price_minor", BigInteger, nullable=False),
        Column("price_currency", String(3), nullable=False),
        Column("quota_id", _key(), nullable=False),
        Column("shared_quota_ids", _JSON, nullable=False),
        Column("description", _TEXT, nullable=False),
        Column("sales_start", UtcDateTime()),
        Column("sales_end", UtcDateTime()),
        Column("min_per_order", Integer, nullable=False),
        Column("max_per_order", Integer, nullable=False),
        Column("max_per_customer", Integer),
        Column("hidden", Boolean, nullable=False),
        Column("position", Integer, nullable=False),
        Column("version", Integer, nullable=False),
        Index("ix_ticket_types_event", "event_id", "position", "id"),
    )  # fmt: skip

    Table(
        "quotas", md,
        Column("id", _key(), primary_key=True),
        Column("event_id", _key(), nullable=False),
        Column("name", String(200), nullable=False),
        Column("size", Integer, nullable=False),
        Column("sold", Integer, nullable=False),
        Column("held", Integer, nullable=False),
        Column("version", Integer, nullable=False),
        Index("ix_quotas_event", "event_id", "id"),
        CheckConstraint("size >= 0", name="ck_quotas_size_not_negative"),
        CheckConstraint("sold >= 0", name="ck_quotas_sold_not_negative"),
        CheckConstraint("held >= 0", name="ck_quotas_held_not_negative"),
        CheckConstraint("sold + held <= size", name="ck_quotas_not_oversold"),
    )  # fmt: skip

    Table(
        "promo_codes", md,
        Column("id", _key(), primary_key=True),
        Column("event_id", _key(), nullable=False),
        Column("code", _key(40), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("percent_bp", Integer, nullable=False),
        Column("fixed_minor", BigInteger),
        Column("fixed_currency", String(3)),
        Column("max_uses", Integer),
        Column("uses", Integer, nullable=False),
        Column("valid_from", UtcDateTime()),
        Column("valid_until", UtcDateTime()),
        Column("ticket_type_ids", _JSON, nullable=False),
        Column("unlocks_hidden", Boolean, nullable=False),
        Column("version", Integer, nullable=False),
        UniqueConstraint("event_id", "code", name="uq_promo_codes_event_code"),
        CheckConstraint("uses >= 0", name="ck_promo_codes_uses_not_negative"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="ck_promo_codes_uses_capped"),
    )  # fmt: skip

    Table(
        "holds", md,
        Column("id", _key(), primary_key=True),
        Column("order_id", _key(), nullable=False),
        Column("event_id", _key(), nullable=False),
        Column("items", _JSON, nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
        Column("promo_code_id", _key()),
        Column("status", String(20), nullable=False),
        # list_expired: active holds by expiry; the sweeper's only query.
        Index("ix_holds_status_expires", "status", "expires_at", "id"),
    )  # fmt: skip

    Table(
        "orders", md,
        Column("id", _key(), primary_key=True),
        Column("code", _key(32), nullable=False),
        Column("event_id", _key(), nullable=False),
        Column("organizer_id", _key(), nullable=False),
        Column("customer_email", String(320), nullable=False),
        # Python's str.lower() of the email: the lookup key of list_by_customer (SQL
        # lower() differs between engines for non-ASCII text).
        Column("customer_email_key", String(320), nullable=False),
        Column("lines", _JSON, nullable=False),
        Column("totals", _JSON, nullable=False),
        Column("total_minor", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
        Column("customer_id", _key()),
        Column("customer_name", String(200), nullable=False),
        Column("promo_code_id", _key()),
        Column("hold_id", _key()),
        Column("status", String(30), nullable=False),
        Column("payment_reference", String(255)),
        Column("payment_url", _TEXT),
        Column("paid_at", UtcDateTime()),
        Column("refunded_minor", BigInteger),
        Column("refunded_currency", String(3)),
        Column("fee_refunded_minor", BigInteger),
        Column("fee_refunded_currency", String(3)),
        Column("status_reason", _TEXT, nullable=False),
        Column("version", Integer, nullable=False),
        UniqueConstraint("code", name="uq_orders_code"),
        Index("ix_orders_event_created", "event_id", "created_at", "id"),
        Index("ix_orders_event_customer", "event_id", "customer_email_key", "created_at"),
        Index("ix_orders_payment_reference", "payment_reference"),
    )  # fmt: skip

    Table(
        "tickets", md,
        Column("id", _key(), primary_key=True),
        Column("order_id", _key(), nullable=False),
        Column("event_id", _key(), nullable=False),
        Column("ticket_type_id", _key(), nullable=False),
        Column("secret", _key(128), nullable=False),
        Column("price_minor", BigInteger, nullable=False),
        Column("price_currency", String(3), nullable=False),
        Column("issued_at", UtcDateTime(), nullable=False),
        Column("attendee_name", String(200), nullable=False),
        Column("attendee_email", String(320), nullable=False),
        Column("status", String(20), nullable=False),
        Column("checked_in_at", UtcDateTime()),
        Column("checked_in_by", String(200), nullable=False),
        Column("version", Integer, nullable=False),
        UniqueConstraint("secret", name="uq_tickets_secret"),
        Index("ix_tickets_order", "order_id", "id"),
        Index("ix_tickets_event_status", "event_id", "status"),
    )  # fmt: skip

    Table(
        "check_ins", md,
        Column("id", _key(), primary_key=True),
        Column("event_id", _key(), nullable=False),
        Column("ticket_id", _key()),
        Column("gate", String(100), nullable=False),
        Column("device", String(200), nullable=False),
        Column("direction", String(10), nullable=False),
        Column("scanned_at", UtcDateTime(), nullable=False),
        Column("recorded_at", UtcDateTime(), nullable=False),
        Column("result", String(20), nullable=False),
        Column("reason", String(40)),
        Column("nonce", _key(200), nullable=False),
        UniqueConstraint("event_id", "nonce", name="uq_check_ins_event_nonce"),
        Index("ix_check_ins_ticket", "ticket_id", "recorded_at", "id"),
    )  # fmt: skip

    # The ledger: append-only (a trigger rejects UPDATE and DELETE, see migrations.py).
    # ``seq`` keeps the order transactions were appended in.
    Table(
        "ledger_transactions", md,
        Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
               autoincrement=True),
        Column("id", _key(), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("occurred_at", UtcDateTime(), nullable=False),
        Column("description", _TEXT, nullable=False),
        Column("order_id", _key()),
        Column("organizer_id", _key()),
        Column("reference", String(255)),
        Column("reverses", _key()),
        UniqueConstraint("id", name="uq_ledger_transactions_id"),
        Index("ix_ledger_transactions_order", "order_id", "seq"),
    )  # fmt: skip

    Table(
        "ledger_entries", md,
        Column("transaction_id", _key(), nullable=False),
        Column("position", Integer, nullable=False),
        Column("account", String(200), nullable=False),
        Column("amount_minor", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        PrimaryKeyConstraint("transaction_id", "position", name="pk_ledger_entries"),
        Index("ix_ledger_entries_account", "account", "currency"),
    )  # fmt: skip

    Table(
        "outbox", md,
        Column("id", _key(), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("payload", _JSON, nullable=False),
        Column("idempotency_key", _key(255), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("available_at", UtcDateTime(), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("status", String(20), nullable=False),
        Column("last_error", _TEXT, nullable=False),
        UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
        Index("ix_outbox_status_available", "status", "available_at", "created_at", "id"),
    )  # fmt: skip

    Table(
        "processed_events", md,
        Column("provider", _key(40), nullable=False),
        Column("event_id", _key(255), nullable=False),
        Column("recorded_at", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("provider", "event_id", name="pk_processed_events"),
    )  # fmt: skip

    # Payments taken but not fulfilled (a paid session that does not match its order), for
    # an admin to review; one per provider event (the event is a processed one, too).
    Table(
        "payment_reviews", md,
        Column("id", _key(), primary_key=True),
        Column("provider", _key(review.MAX_PROVIDER), nullable=False),
        Column("event_id", _key(review.MAX_EVENT_ID), nullable=False),
        Column("event_type", String(review.MAX_EVENT_TYPE), nullable=False),
        Column("order_id", _key()),
        Column("payment_reference", String(review.MAX_REFERENCE)),
        Column("problem", String(review.MAX_PROBLEM), nullable=False),
        Column("amount_paid_minor", BigInteger),
        Column("amount_paid_currency", String(3)),
        Column("flagged_at", UtcDateTime(), nullable=False),
        Column("status", String(20), nullable=False),
        Column("resolved_at", UtcDateTime()),
        Column("resolved_by", _key()),
        Column("resolution_note", String(review.MAX_RESOLUTION_NOTE)),
        Column("version", Integer, nullable=False),
        UniqueConstraint("provider", "event_id", name="uq_payment_reviews_provider_event"),
        Index("ix_payment_reviews_status_flagged", "status", "flagged_at", "id"),
    )  # fmt: skip

    # -- identity: every credential is stored as a digest (SHA-256 hex), never in clear.
    Table(
        "users", md,
        Column("id", _key(), primary_key=True),
        # Lower-cased (as ``User`` normalizes it): get_by_email compares with the lower-cased
        # argument, so the unique constraint is case-insensitive on every engine.
        Column("email", String(320), nullable=False),
        Column("name", String(200), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("roles", String(200), nullable=False),  # sorted, comma-separated role values
        Column("password_hash", _TEXT),  # self-describing (algorithm, parameters, salt)
        Column("email_verified", Boolean, nullable=False),
        Column("google_subject", String(255)),
        Column("organizer_id", _key()),
        Column("status", String(20), nullable=False),
        Column("sessions_valid_after", UtcDateTime()),
        Column("version", Integer, nullable=False),
        UniqueConstraint("email", name="uq_users_email"),
        # NULLs are distinct in a UNIQUE constraint (SQLite and PostgreSQL): unique where set.
        UniqueConstraint("google_subject", name="uq_users_google_subject"),
        # an API key works while an account acting for its organizer is active (every use)
        Index("ix_users_organizer", "organizer_id", "created_at", "id"),
    )  # fmt: skip

    Table(
        "refresh_sessions", md,
        Column("id", _key(), primary_key=True),
        Column("user_id", _key(), nullable=False),
        Column("family_id", _key(), nullable=False),
        Column("token_hash", _key(128), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
        Column("rotated_at", UtcDateTime()),
        Column("revoked_at", UtcDateTime()),
        UniqueConstraint("token_hash", name="uq_refresh_sessions_token_hash"),
        Index("ix_refresh_sessions_family", "family_id"),
        Index("ix_refresh_sessions_user", "user_id"),
        Index("ix_refresh_sessions_revoked", "revoked_at"),  # the revocation set's refresh
    )  # fmt: skip

    Table(
        "one_time_tokens", md,
        Column("id", _key(), primary_key=True),
        Column("user_id", _key(), nullable=False),
        Column("purpose", String(30), nullable=False),
        Column("token_hash", _key(128), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
        Column("used_at", UtcDateTime()),
        UniqueConstraint("token_hash", name="uq_one_time_tokens_token_hash"),
    )  # fmt: skip

    Table(
        "api_keys", md,
        Column("id", _key(), primary_key=True),
        Column("organizer_id", _key(), nullable=False),
        Column("name", String(200), nullable=False),
        Column("prefix", String(32), nullable=False),
        Column("key_hash", _key(128), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("scopes", _JSON, nullable=False),
        Column("last_used_at", UtcDateTime()),
        Column("revoked_at", UtcDateTime()),
        UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
        Index("ix_api_keys_organizer", "organizer_id", "created_at", "id"),
    )  # fmt: skip

    Table(
        "staff_credentials", md,
        Column("id", _key(), primary_key=True),
        Column("event_id", _key(), nullable=False),
        Column("organizer_id", _key(), nullable=False),
        Column("label", String(200), nullable=False),
        Column("token_hash", _key(128), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("last_used_at", UtcDateTime()),
        Column("revoked_at", UtcDateTime()),
        UniqueConstraint("token_hash", name="uq_staff_credentials_token_hash"),
        Index("ix_staff_credentials_event", "event_id", "created_at", "id"),
    )  # fmt: skip

    Table(
        "organizer_requests", md,
        Column("id", _key(), primary_key=True),
        Column("user_id", _key(), nullable=False),
        Column("organizer_name", String(200), nullable=False),
        Column("note", String(1000)),
        Column("status", String(20), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("decided_at", UtcDateTime()),
        Column("decided_by", _key()),
        Column("reason", String(1000)),
        Column("organizer_id", _key()),
        Column("version", Integer, nullable=False),
        # at most one pending request per user: a partial unique index (SQLite 3.8+ and
        # PostgreSQL), which ON CONFLICT DO NOTHING respects like any unique constraint
        Index("uq_organizer_requests_pending_user", "user_id", unique=True,
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
        Index("ix_organizer_requests_user", "user_id", "created_at", "id"),
        Index("ix_organizer_requests_status", "status", "created_at", "id"),
    )  # fmt: skip

    # Requests made with an Idempotency-Key: the key only as a digest, one record per
    # caller and key (the unique constraint is what claims a key atomically).
    Table(
        "idempotency_keys", md,
        Column("id", _key(), primary_key=True),
        Column("scope", _key(80), nullable=False),
        Column("key_digest", _key(64), nullable=False),
        Column("operation", String(40), nullable=False),
        Column("fingerprint", _key(64), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
        Column("lease_id", _key(), nullable=False),
        Column("locked_until", UtcDateTime(), nullable=False),
        Column("resource_id", _key()),
        Column("response", _TEXT),
        Column("version", Integer, nullable=False),
        UniqueConstraint("scope", "key_digest", name="uq_idempotency_keys_scope_key"),
        Index("ix_idempotency_keys_expires", "expires_at", "id"),
    )  # fmt: skip

    Table(
        "schema_version", md,
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("name", String(200), nullable=False),
        Column("applied_at", UtcDateTime(), nullable=False),
    )  # fmt: skip

    return md


#: The tables, for queries.
metadata = build_metadata()
organizers = metadata.tables["organizers"]
events = metadata.tables["events"]
ticket_types = metadata.tables["ticket_types"]
quotas = metadata.tables["quotas"]
promo_codes = metadata.tables["promo_codes"]
holds = metadata.tables["holds"]
orders = metadata.tables["orders"]
tickets = metadata.tables["tickets"]
check_ins = metadata.tables["check_ins"]
ledger_transactions = metadata.tables["ledger_transactions"]
ledger_entries = metadata.tables["ledger_entries"]
outbox = metadata.tables["outbox"]
processed_events = metadata.tables["processed_events"]
payment_reviews = metadata.tables["payment_reviews"]
users = metadata.tables["users"]
refresh_sessions = metadata.tables["refresh_sessions"]
one_time_tokens = metadata.tables["one_time_tokens"]
api_keys = metadata.tables["api_keys"]
staff_credentials = metadata.tables["staff_credentials"]
organizer_requests = metadata.tables["organizer_requests"]
idempotency_keys = metadata.tables["idempotency_keys"]
schema_version = metadata.tables["schema_version"]

LEDGER_TABLES = ("ledger_transactions", "ledger_entries")
#: Added by migration 4.
IDENTITY_TABLES = ("users", "refresh_sessions", "one_time_tokens", "api_keys", "staff_credentials")
#: Added by migration 5.
ORGANIZER_REQUEST_TABLES = ("organizer_requests",)
#: Added by migration 6.
IDEMPOTENCY_TABLES = ("idempotency_keys",)
#: the organizers' columns migration 7 adds
PAYMENT_ACCOUNT_COLUMNS = ("charges_enabled", "payouts_enabled", "requirements_due",
                           "disabled_reason", "payment_account_as_of")  # fmt: skip
#: Added by migration 8.
PAYMENT_REVIEW_TABLES = ("payment_reviews",)
