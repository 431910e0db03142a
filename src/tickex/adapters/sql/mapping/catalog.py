"""Catalog rows: events (venue and settings as JSON), ticket types, quotas, promo codes."""

from __future__ import annotations

from typing import Any

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import (
    AnyRow,
    from_mapping,
    from_row,
    money,
    money_columns,
    plain_object,
    plain_row,
    to_row,
)
from tickex.domain.event import Event, EventSettings, GeoPoint, RefundPolicy, Venue
from tickex.domain.money import Money
from tickex.domain.promo_code import PromoCode
from tickex.domain.quota import Quota
from tickex.domain.ticket_type import TicketType


def _venue_json(v: Venue) -> dict[str, Any]:
    geo = None if v.geo is None else {"latitude": v.geo.latitude, "longitude": v.geo.longitude}
    return {"name": v.name, "address": v.address, "city": v.city, "country": v.country, "geo": geo}


def _venue(d: dict[str, Any]) -> Venue:
    geo = d.get("geo")
    point = None if geo is None else GeoPoint(float(geo["latitude"]), float(geo["longitude"]))
    return from_mapping(Venue, d, geo=point)


def _settings_json(st: EventSettings) -> dict[str, Any]:
    rp = st.refund_policy
    return {
        "currency": st.currency,
        "tax_rate_bp": st.tax_rate_bp,
        "tax_mode": str(st.tax_mode),
        "fee_policy": str(st.fee_policy),
        "hold_minutes": st.hold_minutes,
        "max_tickets_per_order": st.max_tickets_per_order,
        "refund_policy": {
            "allowed": rp.allowed,
            "deadline_hours_before_start": rp.deadline_hours_before_start,
            "refund_platform_fee": rp.refund_platform_fee,
        },
    }


def _settings(d: dict[str, Any]) -> EventSettings:
    refund_policy = from_mapping(RefundPolicy, d["refund_policy"])
    return from_mapping(EventSettings, d, refund_policy=refund_policy)


def event_row(e: Event) -> dict[str, Any]:
    return to_row(s.events, e, venue=_venue_json(e.venue), settings=_settings_json(e.settings))


def event_from_row(r: AnyRow) -> Event:
    return from_row(Event, r, venue=_venue(r.venue), settings=_settings(r.settings))


def ticket_type_row(t: TicketType) -> dict[str, Any]:
    return to_row(s.ticket_types, t, **money_columns("price", t.price))


def ticket_type_from_row(r: AnyRow) -> TicketType:
    return from_row(TicketType, r, price=Money(int(r.price_minor), r.price_currency))


quota_row = plain_row(s.quotas)
quota_from_row = plain_object(Quota)


def promo_code_row(p: PromoCode) -> dict[str, Any]:
    return to_row(s.promo_codes, p, **money_columns("fixed", p.fixed))


def promo_code_from_row(r: AnyRow) -> PromoCode:
    return from_row(PromoCode, r, fixed=money(r.fixed_minor, r.fixed_currency))
