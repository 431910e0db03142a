"""The documents' layout: the field names and BSON types every stored aggregate has.

An existing database (Atlas included) keeps working only while these stay as they are:
the mappings (``adapters/mongo/mapping``) may change how they are written, never what they
write. Key order is not part of the layout (no query or index depends on it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tickex.adapters.mongo import MongoStorage
from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping.common import KEY, Aggregate
from tickex.domain.check_in import CheckInResult, RejectionReason, ScanDirection
from tickex.domain.event import (
    EventSettings,
    EventStatus,
    FeePolicy,
    GeoPoint,
    RefundPolicy,
    TaxMode,
    Venue,
)
from tickex.domain.hold import HoldItem
from tickex.domain.identity import Role
from tickex.domain.money import Money
from tickex.domain.order import OrderStatus
from tickex.domain.organizer_request import OrganizerRequestStatus
from tickex.domain.outbox import OutboxMessage
from tickex.domain.promo_code import DiscountKind
from tickex.domain.ticket import Ticket
from tickex.ports.unit_of_work import UnitOfWork
from tickex.testing import builders as b

T = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
LATER = T + timedelta(hours=5)
M = Money(1234, "EUR")

C = Collections
ID = {"_id": "str", "schema_version": "int"}
MONEY = {"amount": "int", "currency": "str"}


def at(*names: str) -> dict[str, str]:
    return {f: t for name in names for f, t in ((name, "datetime"), (f"{name}_us", "int"))}


def text(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, "str")


def number(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, "int")


CREDENTIAL = at("created_at", "last_used_at", "revoked_at")
LAYOUT: dict[str, dict[str, Any]] = {
    C.ORGANIZERS: ID | text("name", "email", "payment_account_id", "disabled_reason")
    | {"charges_enabled": "bool", "payouts_enabled": "bool", "requirements_due": ["str"]}
    | number("version") | at("created_at", "payment_account_as_of"),
    C.EVENTS: ID | text("organizer_id", "title", "slug", "description", "capacity_quota_id")
    | {
        "venue": text("name", "address", "city", "country")
        | {"geo": {"type": "str", "coordinates": ["float", "float"]}},
        "settings": text("currency", "tax_mode", "fee_policy")
        | number("tax_rate_bp", "hold_minutes", "max_tickets_per_order")
        | {"refund_policy": {"allowed": "bool", "deadline_hours_before_start": "int",
                             "refund_platform_fee": "bool"}},
        "media": ["str"], "status": "str", "version": "int",
    }
    | at("starts_at", "ends_at", "created_at"),
    C.TICKET_TYPES: ID | text("event_id", "name", "quota_id", "description")
    | number("min_per_order", "max_per_order", "max_per_customer", "position", "version")
    | {"price": MONEY, "shared_quota_ids": ["str"], "hidden": "bool"}
    | at("sales_start", "sales_end"),
    C.QUOTAS: ID | text("event_id", "name") | number("size", "sold", "held", "version"),
    C.PROMO_CODES: ID | text("event_id", "code", "kind")
    | number("percent_bp", "max_uses", "uses", "version")
    | {"fixed": MONEY, "ticket_type_ids": ["str"], "unlocks_hidden": "bool"}
    | at("valid_from", "valid_until"),
    C.HOLDS: ID | text("order_id", "event_id", "promo_code_id", "status")
    | {"items": [{"quota_id": "str", "quantity": "int"}]} | at("expires_at"),
    C.ORDERS: ID
    | text("code", "event_id", "organizer_id", "customer_email", "customer_email_lower")
    | text("status", "customer_id", "customer_name", "promo_code_id", "hold_id")
    | text("payment_reference", "payment_url", "status_reason") | number("version")
    | {
        "lines": [{"ticket_type_id": "str", "quantity": "int", "unit_price": MONEY,
                   "discount": MONEY}],
        "totals": dict.fromkeys(("subtotal", "discount", "tax", "platform_fee", "total"), MONEY),
        "refunded": MONEY, "fee_refunded": MONEY,
    }
    | at("created_at", "expires_at", "paid_at"),
    C.TICKETS: ID | text("order_id", "event_id", "ticket_type_id", "secret", "attendee_name")
    | text("attendee_email", "status", "checked_in_by") | number("version")
    | {"price_paid": MONEY} | at("issued_at", "checked_in_at"),
    C.CHECK_INS: ID | text("event_id", "ticket_id", "gate", "device", "direction", "result")
    | text("reason", "nonce") | at("scanned_at", "recorded_at"),
    C.LEDGER: ID | text("kind", "description", "order_id", "organizer_id")
    | {"sequence": "int", "reference": "NoneType", "reverses": "NoneType",
       "entries": [{"account": "str", "amount": MONEY}] * 2}
    | at("occurred_at"),
    C.OUTBOX: ID | text("kind", "idempotency_key", "status", "last_error") | number("attempts")
    | {"payload": {"~24where": {"a~2Eb": ["int", "float", "NoneType", "bool", "str"]}}}
    | at("created_at", "available_at"),
    C.PROCESSED_EVENTS: ID | {"_id": "ObjectId"} | text("provider", "event_id")
    | at("recorded_at"),
    C.PAYMENT_REVIEWS: ID | text("provider", "event_id", "event_type", "problem", "order_id")
    | text("payment_reference", "status", "resolved_by", "resolution_note") | number("version")
    | {"amount_paid": MONEY} | at("flagged_at", "resolved_at"),
    C.USERS: ID | text("email", "name", "password_hash", "google_subject", "organizer_id")
    | text("status") | number("version") | {"roles": ["str", "str"], "email_verified": "bool"}
    | at("created_at", "sessions_valid_after"),
    C.REFRESH_SESSIONS: ID | text("user_id", "family_id", "token_hash")
    | at("created_at", "expires_at", "rotated_at", "revoked_at"),
    C.ONE_TIME_TOKENS: ID | text("user_id", "purpose", "token_hash")
    | at("created_at", "expires_at", "used_at"),
    C.API_KEYS: ID | text("name", "prefix", "organizer_id", "key_hash")
    | {"scopes": ["str", "str"]} | CREDENTIAL,
    C.STAFF_CREDENTIALS: ID | text("organizer_id", "label", "event_id", "token_hash")
    | CREDENTIAL,
    C.ORGANIZER_REQUESTS: ID | text("user_id", "organizer_name", "note", "status")
    | text("decided_by", "reason", "organizer_id") | number("version")
    | at("created_at", "decided_at"),
}  # fmt: skip


def layout(value: Any) -> Any:
    """A stored value's shape: its type's name, field by field and item by item."""
    if isinstance(value, dict):
        return {key: layout(item) for key, item in value.items()}
    if isinstance(value, list):
        return [layout(item) for item in value]
    return type(value).__name__


def stored(storage: MongoStorage) -> dict[str, Any]:
    db = storage.database
    return {name: [layout(d) for d in db[name].find()] for name in LAYOUT}


def everything(uow: UnitOfWork) -> None:
    """One of each aggregate, every optional field set."""
    uow.organizers.add(b.organizer(
        payment_account_id="acct", charges_enabled=True, payouts_enabled=True,
        requirements_due=("external_account",), disabled_reason="requirements.past_due",
        payment_account_as_of=T))  # fmt: skip
    venue = Venue("Hall", "1 St", "Berlin", "DE", GeoPoint(52.5, 13.4))
    settings = EventSettings("USD", 1900, TaxMode.EXCLUSIVE, FeePolicy.ABSORB, 20, 8,
                             RefundPolicy(False, 48, False))  # fmt: skip
    uow.events.add(b.event(venue=venue, settings=settings, description="d", media=("a.png",),
                           capacity_quota_id="q-cap", status=EventStatus.PUBLISHED,
                           starts_at=T, ends_at=LATER, created_at=T))  # fmt: skip
    uow.ticket_types.add(b.ticket_type(shared_quota_ids=("q1",), sales_start=T, sales_end=LATER,
                                       max_per_customer=7, hidden=True))  # fmt: skip
    uow.quotas.add(b.quota(sold=2, held=3))
    uow.promo_codes.add(b.promo_code(kind=DiscountKind.FIXED, fixed=M, percent_bp=0, max_uses=4,
                                     valid_from=T, valid_until=LATER,
                                     ticket_type_ids=("tt1",)))  # fmt: skip
    uow.holds.add(b.hold(items=(HoldItem("q1", 2),), promo_code_id="p1"))
    uow.orders.add(b.order(customer_id="u1", customer_name="N", promo_code_id="p", hold_id="h",
                           status=OrderStatus.PAID, payment_reference="cs_1",
                           payment_url="https://x", paid_at=LATER, refunded=M,
                           fee_refunded=Money(5, "EUR"), status_reason="r"))  # fmt: skip
    uow.tickets.add(b.ticket(attendee_name="A", attendee_email="a@b", checked_in_at=LATER,
                             checked_in_by="staff"))  # fmt: skip
    uow.check_ins.add(b.check_in(direction=ScanDirection.EXIT, result=CheckInResult.REJECTED,
                                 reason=RejectionReason.REVOKED))  # fmt: skip
    uow.ledger.append(b.sale())
    uow.outbox.add(b.outbox_message(payload={"$where": {"a.b": [1, 2.5, None, True, "x"]}},
                                    last_error="boom"))  # fmt: skip
    uow.processed_events.record("stripe", "evt_1", T)
    reviewed = b.payment_review(flagged_at=T)
    reviewed.resolve(LATER, "adm", "refunded")
    uow.payment_reviews.add(reviewed)
    uow.users.add(b.user(roles=frozenset({Role.ORGANIZER, Role.CUSTOMER}), password_hash="h",
                         email_verified=True, google_subject="g1", organizer_id="o",
                         sessions_valid_after=T))  # fmt: skip
    uow.sessions.add(b.refresh_session(rotated_at=T, revoked_at=LATER))
    uow.one_time_tokens.add(b.one_time_token(used_at=T))
    uow.api_keys.add(b.api_key(scopes=("a", "b"), last_used_at=T, revoked_at=LATER))
    uow.staff_credentials.add(b.staff_credential(last_used_at=T, revoked_at=LATER))
    uow.organizer_requests.add(b.organizer_request(note="n", status=OrganizerRequestStatus.APPROVED,
                                                   decided_at=T, decided_by="adm", reason="ok",
                                                   organizer_id="org-9"))  # fmt: skip


def least(uow: UnitOfWork) -> None:
    """One of each aggregate as the builders make it: optional fields unset."""
    for attribute in ("organizers", "events", "ticket_types", "quotas", "promo_codes", "holds",
                      "orders", "tickets", "check_ins", "users", "one_time_tokens",
                      "organizer_requests"):  # fmt: skip
        builder = {"organizers": b.organizer, "events": b.event, "ticket_types": b.ticket_type,
                   "quotas": b.quota, "promo_codes": b.promo_code, "holds": b.hold,
                   "orders": b.order, "tickets": b.ticket, "check_ins": b.check_in,
                   "users": b.user, "one_time_tokens": b.one_time_token,
                   "organizer_requests": b.organizer_request}[attribute]  # fmt: skip
        getattr(uow, attribute).add(builder())
    uow.ledger.append(b.sale())
    uow.outbox.add(b.outbox_message())
    uow.processed_events.record("stripe", "evt_1", T)
    uow.payment_reviews.add(b.payment_review(order_id=None, payment_reference=None,
                                             amount_paid=None))  # fmt: skip
    uow.sessions.add(b.refresh_session())
    uow.api_keys.add(b.api_key())
    uow.staff_credentials.add(b.staff_credential())


def test_every_aggregate_is_stored_with_its_fields_names_and_types(
    storage: MongoStorage,
) -> None:
    with storage.unit_of_work() as uow:
        everything(uow)
        uow.commit()
    assert stored(storage) == {name: [fields] for name, fields in LAYOUT.items()}


def test_an_unset_optional_field_is_stored_as_none_not_left_out(storage: MongoStorage) -> None:
    # the partial unique index on Google subjects, for one, relies on None being stored
    with storage.unit_of_work() as uow:
        least(uow)
        uow.commit()
    docs = {name: doc for name, [doc] in stored(storage).items()}
    assert {name: doc.keys() for name, doc in docs.items()} == {
        name: fields.keys() for name, fields in LAYOUT.items()
    }
    assert docs[C.USERS]["google_subject"] == "NoneType"
    assert docs[C.EVENTS]["venue"]["geo"] == "NoneType"
    assert docs[C.ORDERS]["paid_at"] == "NoneType"
    assert docs[C.ORDERS]["paid_at_us"] == "int"
    assert docs[C.PAYMENT_REVIEWS]["amount_paid"] == "NoneType"


def test_a_spec_names_only_fields_its_class_has() -> None:
    with pytest.raises(TypeError, match="secrett"):
        Aggregate(Ticket, secrett=KEY)


def test_a_field_with_no_default_storage_must_be_given_a_codec() -> None:
    # an outbox payload is JSON whose keys must be escaped: nothing stores it by default
    with pytest.raises(TypeError, match="payload"):
        Aggregate(OutboxMessage)
