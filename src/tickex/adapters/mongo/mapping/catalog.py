"""Events, ticket types, quotas and promo codes <-> documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    check_schema,
    count,
    get_time,
    money,
    money_doc,
    need_time,
    new_document,
    optional_money,
    optional_money_doc,
    put_time,
    text,
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
    doc = new_document(e.id) | {
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
    doc = new_document(t.id) | {
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
    return new_document(q.id) | {
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
