"""Events, ticket types, quotas and promo codes <-> documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    check_schema,
    count,
    fields,
    money,
    money_doc,
    new_document,
    optional_money,
    optional_money_doc,
    read,
    stored,
    text,
    with_times,
)
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
from tickex.domain.promo_code import DiscountKind, PromoCode
from tickex.domain.quota import Quota
from tickex.domain.ticket_type import TicketType

_VENUE = ("name", "address", "city", "country")
_REFUND = ("allowed", "deadline_hours_before_start", "refund_platform_fee")
_SETTINGS = ("currency", "tax_rate_bp", "hold_minutes", "max_tickets_per_order")


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
    s = e.settings
    doc = new_document(e.id) | {
        "organizer_id": e.organizer_id,
        "title": e.title,
        "slug": text(e.slug, "slug"),
        "venue": fields(e.venue, *_VENUE) | {"geo": _geo_doc(e.venue.geo)},
        "settings": fields(s, *_SETTINGS)
        | {
            "tax_mode": TaxMode(s.tax_mode).value,
            "fee_policy": FeePolicy(s.fee_policy).value,
            "refund_policy": fields(s.refund_policy, *_REFUND),
        },
        "description": e.description,
        "media": list(e.media),
        "capacity_quota_id": e.capacity_quota_id,
        "status": EventStatus(e.status).value,
        "version": e.version,
    }
    return with_times(doc, e, "starts_at", "ends_at", "created_at")


def event(doc: Mapping[str, Any]) -> Event:
    check_schema(doc)  # before the fields below are read
    v, s = doc["venue"], doc["settings"]
    return Event(
        **read(
            doc,
            *("organizer_id", "title", "slug", "description", "version"),
            optional=("capacity_quota_id",),
            times=("starts_at", "ends_at", "created_at"),
        ),
        venue=Venue(**stored(v, *_VENUE), geo=_geo(v.get("geo"))),
        settings=EventSettings(
            tax_mode=TaxMode(s["tax_mode"]),
            fee_policy=FeePolicy(s["fee_policy"]),
            refund_policy=RefundPolicy(**stored(s["refund_policy"], *_REFUND)),
            **stored(s, *_SETTINGS),
        ),
        media=tuple(doc["media"]),
        status=EventStatus(doc["status"]),
    )


def ticket_type_doc(t: TicketType) -> Document:
    doc = new_document(t.id) | {
        "event_id": t.event_id,
        "name": t.name,
        "price": money_doc(t.price),
        "quota_id": t.quota_id,
        "shared_quota_ids": list(t.shared_quota_ids),
    }
    doc |= fields(
        t,
        *("description", "min_per_order", "max_per_order", "max_per_customer"),
        *("hidden", "position", "version"),
    )
    return with_times(doc, t, "sales_start", "sales_end")


def ticket_type(doc: Mapping[str, Any]) -> TicketType:
    return TicketType(
        **read(
            doc,
            *("event_id", "name", "quota_id", "description", "min_per_order"),
            *("max_per_order", "hidden", "position", "version"),
            optional=("max_per_customer",),
            optional_times=("sales_start", "sales_end"),
        ),
        price=money(doc["price"]),
        shared_quota_ids=tuple(doc["shared_quota_ids"]),
    )


def quota_doc(q: Quota) -> Document:
    counters = {name: count(getattr(q, name), name) for name in ("size", "sold", "held")}
    return new_document(q.id) | fields(q, "event_id", "name") | counters | {"version": q.version}


def quota(doc: Mapping[str, Any]) -> Quota:
    return Quota(**read(doc, "event_id", "name", "size", "sold", "held", "version"))


def promo_code_doc(p: PromoCode) -> Document:
    doc = new_document(p.id) | {
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
    return with_times(doc, p, "valid_from", "valid_until")


def promo_code(doc: Mapping[str, Any]) -> PromoCode:
    return PromoCode(
        **read(
            doc,
            *("event_id", "code", "percent_bp", "uses", "unlocks_hidden", "version"),
            optional=("max_uses",),
            optional_times=("valid_from", "valid_until"),
        ),
        kind=DiscountKind(doc["kind"]),
        fixed=optional_money(doc.get("fixed")),
        ticket_type_ids=tuple(doc["ticket_type_ids"]),
    )
