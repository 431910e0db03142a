"""Domain objects <-> MongoDB documents, and the rules that keep user input out of queries.

Every document carries ``schema_version`` so that a later release can migrate documents
lazily, and refuses to read documents written by a newer schema instead of guessing.

Representation choices (see ``docs/adapters/mongo.md``):

- ``_id`` is the domain id (a string); processed provider events get an ObjectId.
- Money is ``{"amount": int, "currency": str}``; amounts must fit BSON's int64.
- A datetime is a BSON date (UTC, millisecond precision, so range queries, sorts, TTL
  indexes and Atlas tooling work) plus ``<field>_us``, the microseconds below the
  millisecond. Together they round-trip the domain's microsecond datetimes exactly, as the
  in-memory reference does; sorts use ``(field, field_us)``. Naive datetimes are refused.
- Enums are stored as their string values; tuples as arrays.
- Outbox payload keys are escaped losslessly (``$``, ``.``, NUL and the escape character
  ``~`` become ``~24``, ``~2E``, ``~00``, ``~7E``) so no payload can carry an operator or a
  dotted path into the database.

Query values: every string a repository puts into a filter goes through :func:`text`,
which refuses anything that is not a ``str``. A ``str`` in an equality filter is always a
literal in MongoDB (``{"slug": "$where"}`` matches the slug ``"$where"``), so a value such
as ``{"$ne": None}`` arriving from a JSON body can never become an operator. User values
are never placed inside ``$expr`` or aggregation expressions, where a ``$``-string would
be read as a field path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from tickex.domain.check_in import CheckIn, CheckInResult, RejectionReason, ScanDirection
from tickex.domain.errors import ValidationFailed
from tickex.domain.event import (
    Event,
    EventSettings,
    EventStatus,
    FeePolicy,
    GeoPoint,
    RefundPolicy,
    TaxMode,
    Venue,
)
from tickex.domain.hold import Hold, HoldItem, HoldStatus
from tickex.domain.identity import (
    ApiKey,
    OneTimeToken,
    RefreshSession,
    Role,
    StaffCredential,
    TokenPurpose,
    User,
    UserStatus,
)
from tickex.domain.ledger import Entry, LedgerTransaction, TransactionKind
from tickex.domain.money import Money
from tickex.domain.order import Order, OrderStatus
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus
from tickex.domain.outbox import MessageKind, OutboxMessage, OutboxStatus
from tickex.domain.pricing import OrderLine, OrderTotals
from tickex.domain.promo_code import DiscountKind, PromoCode
from tickex.domain.quota import Quota
from tickex.domain.ticket import Ticket, TicketStatus
from tickex.domain.ticket_type import TicketType

Document = dict[str, Any]

SCHEMA_VERSION = 1
SCHEMA_FIELD = "schema_version"

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class SchemaTooNew(RuntimeError):
    """A document was written by a newer TickEx; reading it would lose data."""


# -- query values ------------------------------------------------------------------------
def text(value: object, name: str) -> str:
    """``value`` as a plain ``str`` for a query filter; anything else is refused.

    This is the single gate between caller input and a filter document: dicts (``{"$ne":
    None}``), lists and numbers never reach MongoDB as query values.
    """
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be a string", field=name)
    return str.__str__(value)  # a plain str, even for a str subclass


def optional_text(value: object, name: str) -> str | None:
    """:func:`text`, or None."""
    return None if value is None else text(value, name)


def count(value: object, name: str) -> int:
    """A non-negative int64 (quantities, sizes); ``bool`` is not a number here."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT64_MAX:
        raise ValidationFailed(f"{name} must be a non-negative integer", field=name)
    return value


# -- datetimes ---------------------------------------------------------------------------
def split_time(value: datetime, name: str) -> tuple[datetime, int]:
    """(UTC instant truncated to the millisecond, microseconds below the millisecond)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(f"{name} must be timezone-aware", field=name)
    utc = value.astimezone(UTC)
    rest = utc.microsecond % 1000
    return utc.replace(microsecond=utc.microsecond - rest), rest


def put_time(doc: Document, name: str, value: datetime | None) -> None:
    if value is None:
        doc[name], doc[f"{name}_us"] = None, 0
    else:
        doc[name], doc[f"{name}_us"] = split_time(value, name)


def get_time(doc: Mapping[str, Any], name: str) -> datetime | None:
    """Aware UTC. pymongo (``tz_aware``) and mongomock return different tzinfo objects, and
    a client built without ``tz_aware`` returns naive UTC: all become ``datetime.UTC``."""
    stored = doc.get(name)
    if stored is None:
        return None
    if not isinstance(stored, datetime):
        raise ValidationFailed(f"stored {name} is not a date", field=name)
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=UTC)
    return stored.astimezone(UTC) + timedelta(microseconds=int(doc.get(f"{name}_us") or 0))


def need_time(doc: Mapping[str, Any], name: str) -> datetime:
    value = get_time(doc, name)
    if value is None:
        raise ValidationFailed(f"stored {name} is missing", field=name)
    return value


def time_sort(name: str, direction: int = 1) -> list[tuple[str, int]]:
    return [(name, direction), (f"{name}_us", direction)]


# -- money -------------------------------------------------------------------------------
def money_doc(value: Money) -> Document:
    if not INT64_MIN <= value.amount_minor <= INT64_MAX:
        raise ValidationFailed("amount does not fit a 64-bit integer", field="amount")
    return {"amount": value.amount_minor, "currency": value.currency}


def money(doc: Mapping[str, Any]) -> Money:
    return Money(int(doc["amount"]), str(doc["currency"]))


def optional_money_doc(value: Money | None) -> Document | None:
    return None if value is None else money_doc(value)


def optional_money(doc: Mapping[str, Any] | None) -> Money | None:
    return None if doc is None else money(doc)


# -- outbox payloads ---------------------------------------------------------------------
_ESCAPES = {"~": "~7E", "$": "~24", ".": "~2E", "\x00": "~00"}
_ESCAPED = re.compile(r"~([0-9A-F]{2})")


def escape_key(key: str) -> str:
    """A field name with no ``$``, ``.`` or NUL; :func:`unescape_key` inverts it exactly."""
    return "".join(_ESCAPES.get(ch, ch) for ch in key)


def unescape_key(key: str) -> str:
    return _ESCAPED.sub(lambda found: chr(int(found.group(1), 16)), key)


def payload_doc(value: Any, path: str = "payload") -> Any:
    """A JSON-compatible value as BSON, with every object key escaped."""
    if isinstance(value, Mapping):
        out: Document = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationFailed(f"{path} keys must be strings, got {key!r}", field=path)
            out[escape_key(key)] = payload_doc(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [payload_doc(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, bool) or value is None or isinstance(value, float | str):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValidationFailed(f"{path} does not fit a 64-bit integer", field=path)
        return value
    raise ValidationFailed(
        f"{path} must be JSON-compatible (got {type(value).__name__})", field=path
    )


def payload(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {unescape_key(str(k)): payload(v) for k, v in value.items()}
    if isinstance(value, list):
        return [payload(v) for v in value]
    return value


# -- documents ---------------------------------------------------------------------------
def _base(id: str) -> Document:
    return {"_id": text(id, "id"), SCHEMA_FIELD: SCHEMA_VERSION}


def check_schema(doc: Mapping[str, Any]) -> None:
    version = doc.get(SCHEMA_FIELD, SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"document {doc.get('_id')!r} has schema {version!r}; this TickEx reads up to "
            f"{SCHEMA_VERSION}: upgrade TickEx before reading this database"
        )


def organizer_doc(o: Organizer) -> Document:
    doc = _base(o.id) | {
        "name": o.name,
        "email": o.email,
        "payment_account_id": o.payment_account_id,
        "version": o.version,
    }
    put_time(doc, "created_at", o.created_at)
    return doc


def organizer(doc: Mapping[str, Any]) -> Organizer:
    check_schema(doc)
    return Organizer(
        id=doc["_id"],
        name=doc["name"],
        email=doc["email"],
        created_at=need_time(doc, "created_at"),
        payment_account_id=doc.get("payment_account_id"),
        version=doc["version"],
    )


def _geo_doc(geo: GeoPoint | None) -> Document | None:
    # GeoJSON order is [longitude, latitude]; a 2dsphere index can serve "events near me".
    if geo is None:
        return None
    return {"type": "Point", "coordinates": [geo.longitude, geo.latitude]}


def _geo(doc: Mapping[str, Any] | None) -> GeoPoint | None:
    if doc is None:
        return None
    longitude, latitude = doc["coordinates"]
    return GeoPoint(latitude=float(latitude), longitude=float(longitude))


def event_doc(e: Event) -> Document:
    s, r = e.settings, e.settings.refund_policy
    doc = _base(e.id) | {
        "organizer_id": e.organizer_id,
        "title": e.title,
        "slug": text(e.slug, "slug"),
        "venue": {
            "name": e.venue.name,
            "address": e.venue.address,
            "city": e.venue.city,
            "country": e.venue.country,
            "geo": _geo_doc(e.venue.geo),
        },
        "settings": {
            "currency": s.currency,
            "tax_rate_bp": s.tax_rate_bp,
            "tax_mode": TaxMode(s.tax_mode).value,
            "fee_policy": FeePolicy(s.fee_policy).value,
            "hold_minutes": s.hold_minutes,
            "max_tickets_per_order": s.max_tickets_per_order,
            "refund_policy": {
                "allowed": r.allowed,
                "deadline_hours_before_start": r.deadline_hours_before_start,
                "refund_platform_fee": r.refund_platform_fee,
            },
        },
        "description": e.description,
        "media": list(e.media),
        "capacity_quota_id": e.capacity_quota_id,
        "status": EventStatus(e.status).value,
        "version": e.version,
    }
    put_time(doc, "starts_at", e.starts_at)
    put_time(doc, "ends_at", e.ends_at)
    put_time(doc, "created_at", e.created_at)
    return doc


def event(doc: Mapping[str, Any]) -> Event:
    check_schema(doc)
    v, s = doc["venue"], doc["settings"]
    r = s["refund_policy"]
    return Event(
        id=doc["_id"],
        organizer_id=doc["organizer_id"],
        title=doc["title"],
        slug=doc["slug"],
        starts_at=need_time(doc, "starts_at"),
        ends_at=need_time(doc, "ends_at"),
        venue=Venue(v["name"], v["address"], v["city"], v["country"], _geo(v.get("geo"))),
        settings=EventSettings(
            currency=s["currency"],
            tax_rate_bp=s["tax_rate_bp"],
            tax_mode=TaxMode(s["tax_mode"]),
            fee_policy=FeePolicy(s["fee_policy"]),
            hold_minutes=s["hold_minutes"],
            max_tickets_per_order=s["max_tickets_per_order"],
            refund_policy=RefundPolicy(
                r["allowed"], r["deadline_hours_before_start"], r["refund_platform_fee"]
            ),
        ),
        created_at=need_time(doc, "created_at"),
        description=doc["description"],
        media=tuple(doc["media"]),
        capacity_quota_id=doc.get("capacity_quota_id"),
        status=EventStatus(doc["status"]),
        version=doc["version"],
    )


def ticket_type_doc(t: TicketType) -> Document:
    doc = _base(t.id) | {
        "event_id": t.event_id,
        "name": t.name,
        "price": money_doc(t.price),
        "quota_id": t.quota_id,
        "shared_quota_ids": list(t.shared_quota_ids),
        "description": t.description,
        "min_per_order": t.min_per_order,
        "max_per_order": t.max_per_order,
        "max_per_customer": t.max_per_customer,
        "hidden": t.hidden,
        "position": t.position,
        "version": t.version,
    }
    put_time(doc, "sales_start", t.sales_start)
    put_time(doc, "sales_end", t.sales_end)
    return doc


def ticket_type(doc: Mapping[str, Any]) -> TicketType:
    check_schema(doc)
    return TicketType(
        id=doc["_id"],
        event_id=doc["event_id"],
        name=doc["name"],
        price=money(doc["price"]),
        quota_id=doc["quota_id"],
        shared_quota_ids=tuple(doc["shared_quota_ids"]),
        description=doc["description"],
        sales_start=get_time(doc, "sales_start"),
        sales_end=get_time(doc, "sales_end"),
        min_per_order=doc["min_per_order"],
        max_per_order=doc["max_per_order"],
        max_per_customer=doc.get("max_per_customer"),
        hidden=doc["hidden"],
        position=doc["position"],
        version=doc["version"],
    )


def quota_doc(q: Quota) -> Document:
    return _base(q.id) | {
        "event_id": q.event_id,
        "name": q.name,
        "size": count(q.size, "size"),
        "sold": count(q.sold, "sold"),
        "held": count(q.held, "held"),
        "version": q.version,
    }


def quota(doc: Mapping[str, Any]) -> Quota:
    check_schema(doc)
    return Quota(
        id=doc["_id"],
        event_id=doc["event_id"],
        name=doc["name"],
        size=doc["size"],
        sold=doc["sold"],
        held=doc["held"],
        version=doc["version"],
    )


def promo_code_doc(p: PromoCode) -> Document:
    doc = _base(p.id) | {
        "event_id": p.event_id,
        "code": text(p.code, "code"),
        "kind": DiscountKind(p.kind).value,
        "percent_bp": p.percent_bp,
        "fixed": optional_money_doc(p.fixed),
        "max_uses": p.max_uses,
        "uses": count(p.uses, "uses"),
        "ticket_type_ids": list(p.ticket_type_ids),
        "unlocks_hidden": p.unlocks_hidden,
        "version": p.version,
    }
    put_time(doc, "valid_from", p.valid_from)
    put_time(doc, "valid_until", p.valid_until)
    return doc


def promo_code(doc: Mapping[str, Any]) -> PromoCode:
    check_schema(doc)
    return PromoCode(
        id=doc["_id"],
        event_id=doc["event_id"],
        code=doc["code"],
        kind=DiscountKind(doc["kind"]),
        percent_bp=doc["percent_bp"],
        fixed=optional_money(doc.get("fixed")),
        max_uses=doc.get("max_uses"),
        uses=doc["uses"],
        valid_from=get_time(doc, "valid_from"),
        valid_until=get_time(doc, "valid_until"),
        ticket_type_ids=tuple(doc["ticket_type_ids"]),
        unlocks_hidden=doc["unlocks_hidden"],
        version=doc["version"],
    )


def hold_doc(h: Hold) -> Document:
    doc = _base(h.id) | {
        "order_id": h.order_id,
        "event_id": h.event_id,
        "items": [{"quota_id": i.quota_id, "quantity": i.quantity} for i in h.items],
        "promo_code_id": h.promo_code_id,
        "status": HoldStatus(h.status).value,
    }
    put_time(doc, "expires_at", h.expires_at)
    return doc


def hold(doc: Mapping[str, Any]) -> Hold:
    check_schema(doc)
    return Hold(
        id=doc["_id"],
        order_id=doc["order_id"],
        event_id=doc["event_id"],
        items=tuple(HoldItem(i["quota_id"], i["quantity"]) for i in doc["items"]),
        expires_at=need_time(doc, "expires_at"),
        promo_code_id=doc.get("promo_code_id"),
        status=HoldStatus(doc["status"]),
    )


def order_doc(o: Order) -> Document:
    t = o.totals
    doc = _base(o.id) | {
        "code": text(o.code, "code"),
        "event_id": o.event_id,
        "organizer_id": o.organizer_id,
        "customer_email": text(o.customer_email, "customer_email"),
        # lookups by customer are case-insensitive: a lower-cased copy serves the index
        "customer_email_lower": o.customer_email.lower(),
        "lines": [
            {
                "ticket_type_id": line.ticket_type_id,
                "quantity": line.quantity,
                "unit_price": money_doc(line.unit_price),
                "discount": money_doc(line.discount),
            }
            for line in o.lines
        ],
        "totals": {
            "subtotal": money_doc(t.subtotal),
            "discount": money_doc(t.discount),
            "tax": money_doc(t.tax),
            "platform_fee": money_doc(t.platform_fee),
            "total": money_doc(t.total),
        },
        "customer_id": o.customer_id,
        "customer_name": o.customer_name,
        "promo_code_id": o.promo_code_id,
        "hold_id": o.hold_id,
        "status": OrderStatus(o.status).value,
        "payment_reference": o.payment_reference,
        "payment_url": o.payment_url,
        "refunded": optional_money_doc(o.refunded),
        "fee_refunded": optional_money_doc(o.fee_refunded),
        "status_reason": o.status_reason,
        "version": o.version,
    }
    put_time(doc, "created_at", o.created_at)
    put_time(doc, "expires_at", o.expires_at)
    put_time(doc, "paid_at", o.paid_at)
    return doc


def order(doc: Mapping[str, Any]) -> Order:
    check_schema(doc)
    t = doc["totals"]
    return Order(
        id=doc["_id"],
        code=doc["code"],
        event_id=doc["event_id"],
        organizer_id=doc["organizer_id"],
        customer_email=doc["customer_email"],
        lines=tuple(
            OrderLine(
                line["ticket_type_id"],
                line["quantity"],
                money(line["unit_price"]),
                money(line["discount"]),
            )
            for line in doc["lines"]
        ),
        totals=OrderTotals(
            money(t["subtotal"]),
            money(t["discount"]),
            money(t["tax"]),
            money(t["platform_fee"]),
            money(t["total"]),
        ),
        created_at=need_time(doc, "created_at"),
        expires_at=need_time(doc, "expires_at"),
        customer_id=doc.get("customer_id"),
        customer_name=doc["customer_name"],
        promo_code_id=doc.get("promo_code_id"),
        hold_id=doc.get("hold_id"),
        status=OrderStatus(doc["status"]),
        payment_reference=doc.get("payment_reference"),
        payment_url=doc.get("payment_url"),
        paid_at=get_time(doc, "paid_at"),
        refunded=optional_money(doc.get("refunded")),
        fee_refunded=optional_money(doc.get("fee_refunded")),
        status_reason=doc["status_reason"],
        version=doc["version"],
    )


def ticket_doc(t: Ticket) -> Document:
    doc = _base(t.id) | {
        "order_id": t.order_id,
        "event_id": t.event_id,
        "ticket_type_id": t.ticket_type_id,
        "secret": text(t.secret, "secret"),
        "price_paid": money_doc(t.price_paid),
        "attendee_name": t.attendee_name,
        "attendee_email": t.attendee_email,
        "status": TicketStatus(t.status).value,
        "checked_in_by": t.checked_in_by,
        "version": t.version,
    }
    put_time(doc, "issued_at", t.issued_at)
    put_time(doc, "checked_in_at", t.checked_in_at)
    return doc


def ticket(doc: Mapping[str, Any]) -> Ticket:
    check_schema(doc)
    return Ticket(
        id=doc["_id"],
        order_id=doc["order_id"],
        event_id=doc["event_id"],
        ticket_type_id=doc["ticket_type_id"],
        secret=doc["secret"],
        price_paid=money(doc["price_paid"]),
        issued_at=need_time(doc, "issued_at"),
        attendee_name=doc["attendee_name"],
        attendee_email=doc["attendee_email"],
        status=TicketStatus(doc["status"]),
        checked_in_at=get_time(doc, "checked_in_at"),
        checked_in_by=doc["checked_in_by"],
        version=doc["version"],
    )


def check_in_doc(c: CheckIn) -> Document:
    doc = _base(c.id) | {
        "event_id": c.event_id,
        "ticket_id": c.ticket_id,
        "gate": c.gate,
        "device": c.device,
        "direction": ScanDirection(c.direction).value,
        "result": CheckInResult(c.result).value,
        "reason": None if c.reason is None else RejectionReason(c.reason).value,
        "nonce": text(c.nonce, "nonce"),
    }
    put_time(doc, "scanned_at", c.scanned_at)
    put_time(doc, "recorded_at", c.recorded_at)
    return doc


def check_in(doc: Mapping[str, Any]) -> CheckIn:
    check_schema(doc)
    reason = doc.get("reason")
    return CheckIn(
        id=doc["_id"],
        event_id=doc["event_id"],
        ticket_id=doc.get("ticket_id"),
        gate=doc["gate"],
        device=doc["device"],
        direction=ScanDirection(doc["direction"]),
        scanned_at=need_time(doc, "scanned_at"),
        recorded_at=need_time(doc, "recorded_at"),
        result=CheckInResult(doc["result"]),
        reason=None if reason is None else RejectionReason(reason),
        nonce=doc["nonce"],
    )


def ledger_doc(tx: LedgerTransaction, sequence: int) -> Document:
    doc = _base(tx.id) | {
        "sequence": sequence,
        "kind": TransactionKind(tx.kind).value,
        "entries": [{"account": e.account, "amount": money_doc(e.amount)} for e in tx.entries],
        "description": tx.description,
        "order_id": tx.order_id,
        "organizer_id": tx.organizer_id,
        "reference": tx.reference,
        "reverses": tx.reverses,
    }
    put_time(doc, "occurred_at", tx.occurred_at)
    return doc


def ledger_transaction(doc: Mapping[str, Any]) -> LedgerTransaction:
    check_schema(doc)
    return LedgerTransaction(
        id=doc["_id"],
        kind=TransactionKind(doc["kind"]),
        entries=tuple(Entry(e["account"], money(e["amount"])) for e in doc["entries"]),
        occurred_at=need_time(doc, "occurred_at"),
        description=doc["description"],
        order_id=doc.get("order_id"),
        organizer_id=doc.get("organizer_id"),
        reference=doc.get("reference"),
        reverses=doc.get("reverses"),
    )


def outbox_doc(msg: OutboxMessage) -> Document:
    doc = _base(msg.id) | {
        "kind": MessageKind(msg.kind).value,
        "payload": payload_doc(msg.payload),
        "idempotency_key": text(msg.idempotency_key, "idempotency_key"),
        "attempts": msg.attempts,
        "status": OutboxStatus(msg.status).value,
        "last_error": msg.last_error,
    }
    put_time(doc, "created_at", msg.created_at)
    put_time(doc, "available_at", msg.available_at)
    return doc


def outbox_message(doc: Mapping[str, Any]) -> OutboxMessage:
    check_schema(doc)
    return OutboxMessage(
        id=doc["_id"],
        kind=MessageKind(doc["kind"]),
        payload=payload(doc["payload"]),
        idempotency_key=doc["idempotency_key"],
        created_at=need_time(doc, "created_at"),
        available_at=need_time(doc, "available_at"),
        attempts=doc["attempts"],
        status=OutboxStatus(doc["status"]),
        last_error=doc["last_error"],
    )


def processed_event_doc(provider: str, event_id: str, now: datetime) -> Document:
    # Separate fields under a unique index: ("a:b", "c") and ("a", "b:c") stay different.
    doc: Document = {
        "_id": ObjectId(),
        SCHEMA_FIELD: SCHEMA_VERSION,
        "provider": text(provider, "provider"),
        "event_id": text(event_id, "event_id"),
    }
    put_time(doc, "recorded_at", now)
    return doc


# -- identity ----------------------------------------------------------------------------
# Digests, emails and Google subjects are unique-indexed lookup keys: they go through
# :func:`text` on the way in, as every filter value does on the way to a query.
def user_doc(u: User) -> Document:
    doc = _base(u.id) | {
        "email": text(u.email, "email"),  # lower-cased by the domain
        "name": u.name,
        "roles": sorted(Role(r).value for r in u.roles),
        "password_hash": u.password_hash,
        "email_verified": u.email_verified,
        # unique where set: the partial index covers strings only, so None never collides
        "google_subject": optional_text(u.google_subject, "google_subject"),
        "organizer_id": u.organizer_id,
        "status": UserStatus(u.status).value,
        "version": u.version,
    }
    put_time(doc, "created_at", u.created_at)
    put_time(doc, "sessions_valid_after", u.sessions_valid_after)
    return doc


def user(doc: Mapping[str, Any]) -> User:
    check_schema(doc)
    return User(
        id=doc["_id"],
        email=doc["email"],
        name=doc["name"],
        created_at=need_time(doc, "created_at"),
        roles=frozenset(Role(r) for r in doc["roles"]),
        password_hash=doc.get("password_hash"),
        email_verified=doc["email_verified"],
        google_subject=doc.get("google_subject"),
        organizer_id=doc.get("organizer_id"),
        status=UserStatus(doc["status"]),
        sessions_valid_after=get_time(doc, "sessions_valid_after"),
        version=doc["version"],
    )


def refresh_session_doc(s: RefreshSession) -> Document:
    doc = _base(s.id) | {
        "user_id": text(s.user_id, "user_id"),
        "family_id": text(s.family_id, "family_id"),
        "token_hash": text(s.token_hash, "token_hash"),
    }
    put_time(doc, "created_at", s.created_at)
    put_time(doc, "expires_at", s.expires_at)
    put_time(doc, "rotated_at", s.rotated_at)
    put_time(doc, "revoked_at", s.revoked_at)
    return doc


def refresh_session(doc: Mapping[str, Any]) -> RefreshSession:
    check_schema(doc)
    return RefreshSession(
        id=doc["_id"],
        user_id=doc["user_id"],
        family_id=doc["family_id"],
        token_hash=doc["token_hash"],
        created_at=need_time(doc, "created_at"),
        expires_at=need_time(doc, "expires_at"),
        rotated_at=get_time(doc, "rotated_at"),
        revoked_at=get_time(doc, "revoked_at"),
    )


def one_time_token_doc(t: OneTimeToken) -> Document:
    doc = _base(t.id) | {
        "user_id": t.user_id,
        "purpose": TokenPurpose(t.purpose).value,
        "token_hash": text(t.token_hash, "token_hash"),
    }
    put_time(doc, "created_at", t.created_at)
    put_time(doc, "expires_at", t.expires_at)
    put_time(doc, "used_at", t.used_at)
    return doc


def one_time_token(doc: Mapping[str, Any]) -> OneTimeToken:
    check_schema(doc)
    return OneTimeToken(
        id=doc["_id"],
        user_id=doc["user_id"],
        purpose=TokenPurpose(doc["purpose"]),
        token_hash=doc["token_hash"],
        created_at=need_time(doc, "created_at"),
        expires_at=need_time(doc, "expires_at"),
        used_at=get_time(doc, "used_at"),
    )


def api_key_doc(k: ApiKey) -> Document:
    doc = _base(k.id) | {
        "organizer_id": text(k.organizer_id, "organizer_id"),
        "name": k.name,
        "prefix": k.prefix,
        "key_hash": text(k.key_hash, "key_hash"),
        "scopes": list(k.scopes),
    }
    put_time(doc, "created_at", k.created_at)
    put_time(doc, "last_used_at", k.last_used_at)
    put_time(doc, "revoked_at", k.revoked_at)
    return doc


def api_key(doc: Mapping[str, Any]) -> ApiKey:
    check_schema(doc)
    return ApiKey(
        id=doc["_id"],
        organizer_id=doc["organizer_id"],
        name=doc["name"],
        prefix=doc["prefix"],
        key_hash=doc["key_hash"],
        created_at=need_time(doc, "created_at"),
        scopes=tuple(doc["scopes"]),
        last_used_at=get_time(doc, "last_used_at"),
        revoked_at=get_time(doc, "revoked_at"),
    )


def staff_credential_doc(c: StaffCredential) -> Document:
    doc = _base(c.id) | {
        "event_id": text(c.event_id, "event_id"),
        "organizer_id": c.organizer_id,
        "label": c.label,
        "token_hash": text(c.token_hash, "token_hash"),
    }
    put_time(doc, "created_at", c.created_at)
    put_time(doc, "last_used_at", c.last_used_at)
    put_time(doc, "revoked_at", c.revoked_at)
    return doc


def staff_credential(doc: Mapping[str, Any]) -> StaffCredential:
    check_schema(doc)
    return StaffCredential(
        id=doc["_id"],
        event_id=doc["event_id"],
        organizer_id=doc["organizer_id"],
        label=doc["label"],
        token_hash=doc["token_hash"],
        created_at=need_time(doc, "created_at"),
        last_used_at=get_time(doc, "last_used_at"),
        revoked_at=get_time(doc, "revoked_at"),
    )


def organizer_request_doc(r: OrganizerRequest) -> Document:
    doc = _base(r.id) | {
        # user_id and status are the partial unique index's key and filter
        "user_id": text(r.user_id, "user_id"),
        "organizer_name": r.organizer_name,
        "note": r.note,
        "status": OrganizerRequestStatus(r.status).value,
        "decided_by": optional_text(r.decided_by, "decided_by"),
        "reason": r.reason,
        "organizer_id": optional_text(r.organizer_id, "organizer_id"),
        "version": r.version,
    }
    put_time(doc, "created_at", r.created_at)
    put_time(doc, "decided_at", r.decided_at)
    return doc


def organizer_request(doc: Mapping[str, Any]) -> OrganizerRequest:
    check_schema(doc)
    return OrganizerRequest(
        id=doc["_id"],
        user_id=doc["user_id"],
        organizer_name=doc["organizer_name"],
        created_at=need_time(doc, "created_at"),
        note=doc.get("note"),
        status=OrganizerRequestStatus(doc["status"]),
        decided_at=get_time(doc, "decided_at"),
        decided_by=doc.get("decided_by"),
        reason=doc.get("reason"),
        organizer_id=doc.get("organizer_id"),
        version=doc["version"],
    )
