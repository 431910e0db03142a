"""Builders of valid domain objects for tests; every field can be overridden."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tickex.domain.check_in import CheckIn, CheckInResult, ScanDirection
from tickex.domain.event import Event, EventSettings, Venue
from tickex.domain.hold import Hold, HoldItem
from tickex.domain.identity import (
    ApiKey,
    OneTimeToken,
    RefreshSession,
    StaffCredential,
    TokenPurpose,
    User,
)
from tickex.domain.ledger import CLEARING, LedgerTransaction, TransactionKind, organizer_payable
from tickex.domain.ledger import transfer as ledger_transfer
from tickex.domain.money import Money
from tickex.domain.order import Order
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest
from tickex.domain.outbox import MessageKind, OutboxMessage
from tickex.domain.payment_review import PaymentReview
from tickex.domain.pricing import OrderLine, OrderTotals
from tickex.domain.promo_code import DiscountKind, PromoCode
from tickex.domain.quota import Quota
from tickex.domain.ticket import Ticket
from tickex.domain.ticket_type import TicketType
from tickex.ports.idempotency import IdempotencyRecord

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
_counter = itertools.count(1)


def new_id(prefix: str = "x") -> str:
    return f"{prefix}-{next(_counter):08d}"


def organizer(**kw: Any) -> Organizer:
    values: dict[str, Any] = {"id": new_id("org"), "name": "Org", "email": "org@example.com",
                              "created_at": T0}  # fmt: skip
    values.update(kw)
    return Organizer(**values)


def event(**kw: Any) -> Event:
    values: dict[str, Any] = {
        "id": new_id("evt"), "organizer_id": "org-1", "title": "Show",
        "slug": new_id("show"), "starts_at": T0 + timedelta(days=10),
        "ends_at": T0 + timedelta(days=10, hours=3), "venue": Venue("Hall", "1 Street"),
        "settings": EventSettings(), "created_at": T0,
    }  # fmt: skip
    values.update(kw)
    return Event(**values)


def quota(**kw: Any) -> Quota:
    values: dict[str, Any] = {"id": new_id("quota"), "event_id": "evt-1", "name": "Q", "size": 10}
    values.update(kw)
    return Quota(**values)


def ticket_type(**kw: Any) -> TicketType:
    values: dict[str, Any] = {"id": new_id("tt"), "event_id": "evt-1", "name": "GA",
                              "price": Money(2500, "EUR"), "quota_id": "quota-1"}  # fmt: skip
    values.update(kw)
    return TicketType(**values)


def promo_code(**kw: Any) -> PromoCode:
    values: dict[str, Any] = {"id": new_id("promo"), "event_id": "evt-1", "code": "SAVE10",
                              "kind": DiscountKind.PERCENT, "percent_bp": 1000}  # fmt: skip
    values.update(kw)
    return PromoCode(**values)


def hold(**kw: Any) -> Hold:
    values: dict[str, Any] = {"id": new_id("hold"), "order_id": "ord-1", "event_id": "evt-1",
                              "items": (HoldItem("quota-1", 2),),
                              "expires_at": T0 + timedelta(minutes=15)}  # fmt: skip
    values.update(kw)
    return Hold(**values)


def order(**kw: Any) -> Order:
    eur = Money(2500, "EUR")
    zero = Money(0, "EUR")
    line = OrderLine("tt-1", 2, eur, zero)
    values: dict[str, Any] = {
        "id": new_id("ord"), "code": new_id("C"), "event_id": "evt-1",
        "organizer_id": "org-1", "customer_email": "buyer@example.com", "lines": (line,),
        "totals": OrderTotals(eur.times(2), zero, zero, zero, eur.times(2)),
        "created_at": T0, "expires_at": T0 + timedelta(minutes=15),
        "refunded": zero, "fee_refunded": zero,
    }  # fmt: skip
    values.update(kw)
    return Order(**values)


def ticket(**kw: Any) -> Ticket:
    values: dict[str, Any] = {"id": new_id("tkt"), "order_id": "ord-1", "event_id": "evt-1",
                              "ticket_type_id": "tt-1", "secret": new_id("secret"),
                              "price_paid": Money(2500, "EUR"), "issued_at": T0}  # fmt: skip
    values.update(kw)
    return Ticket(**values)


def check_in(**kw: Any) -> CheckIn:
    values: dict[str, Any] = {
        "id": new_id("scan"), "event_id": "evt-1", "ticket_id": "tkt-1", "gate": "main",
        "device": "d1", "direction": ScanDirection.ENTRY, "scanned_at": T0, "recorded_at": T0,
        "result": CheckInResult.ACCEPTED, "reason": None, "nonce": new_id("nonce"),
    }  # fmt: skip
    values.update(kw)
    return CheckIn(**values)


def sale(amount: int = 1000, organizer_id: str = "org-1", **kw: Any) -> LedgerTransaction:
    values: dict[str, Any] = {
        "id": new_id("tx"), "kind": TransactionKind.SALE, "debit": CLEARING,
        "credit": organizer_payable(organizer_id), "amount": Money(amount, "EUR"), "now": T0,
        "description": "sale", "order_id": "ord-1", "organizer_id": organizer_id,
    }  # fmt: skip
    values.update(kw)
    return ledger_transfer(**values)


def outbox_message(**kw: Any) -> OutboxMessage:
    values: dict[str, Any] = {"id": new_id("msg"), "kind": MessageKind.DELIVER_TICKETS,
                              "payload": {"order_id": "ord-1"},
                              "idempotency_key": new_id("key"), "created_at": T0,
                              "available_at": T0}  # fmt: skip
    values.update(kw)
    return OutboxMessage(**values)


def user(**kw: Any) -> User:
    n = new_id("user")
    values: dict[str, Any] = {"id": n, "email": f"{n}@example.com", "name": "User",
                              "created_at": T0}  # fmt: skip
    values.update(kw)
    return User(**values)


def refresh_session(**kw: Any) -> RefreshSession:
    values: dict[str, Any] = {"id": new_id("sess"), "user_id": "user-1", "family_id": "fam-1",
                              "token_hash": new_id("hash"), "created_at": T0,
                              "expires_at": T0 + timedelta(days=30)}  # fmt: skip
    values.update(kw)
    return RefreshSession(**values)


def one_time_token(**kw: Any) -> OneTimeToken:
    values: dict[str, Any] = {"id": new_id("ott"), "user_id": "user-1",
                              "purpose": TokenPurpose.VERIFY_EMAIL,
                              "token_hash": new_id("hash"), "created_at": T0,
                              "expires_at": T0 + timedelta(days=1)}  # fmt: skip
    values.update(kw)
    return OneTimeToken(**values)


def api_key(**kw: Any) -> ApiKey:
    values: dict[str, Any] = {"id": new_id("key"), "organizer_id": "org-1", "name": "CI",
                              "prefix": "tk_live_ab", "key_hash": new_id("hash"),
                              "created_at": T0}  # fmt: skip
    values.update(kw)
    return ApiKey(**values)


def staff_credential(**kw: Any) -> StaffCredential:
    values: dict[str, Any] = {"id": new_id("staff"), "event_id": "evt-1",
                              "organizer_id": "org-1", "label": "North gate",
                              "token_hash": new_id("hash"), "created_at": T0}  # fmt: skip
    values.update(kw)
    return StaffCredential(**values)


def organizer_request(**kw: Any) -> OrganizerRequest:
    values: dict[str, Any] = {"id": new_id("oreq"), "user_id": new_id("user"),
                              "organizer_name": "Nightjar", "created_at": T0}  # fmt: skip
    values.update(kw)
    return OrganizerRequest(**values)


def payment_review(**kw: Any) -> PaymentReview:
    """An open review of a paid session one cent short of its order (a new event each)."""
    values: dict[str, Any] = {"id": new_id("prev"), "provider": "stripe",
                              "event_id": new_id("evt"), "event_type": "checkout.session.completed",
                              "problem": "paid 49.99 EUR, the order's total is 50.00 EUR",
                              "flagged_at": T0, "order_id": "ord-1",
                              "payment_reference": new_id("cs"),
                              "amount_paid": Money(4999, "EUR")}  # fmt: skip
    values.update(kw)
    return PaymentReview(**values)


def idempotency_record(**kw: Any) -> IdempotencyRecord:
    """An in-flight record of a fresh key (a new digest each time), for a day."""
    values: dict[str, Any] = {"id": new_id("idem"), "scope": "anonymous",
                              "key_digest": new_id("digest"), "operation": "place_order",
                              "fingerprint": "f" * 64, "created_at": T0,
                              "expires_at": T0 + timedelta(hours=24), "lease_id": new_id("lease"),
                              "locked_until": T0 + timedelta(minutes=1)}  # fmt: skip
    values.update(kw)
    return IdempotencyRecord(**values)
