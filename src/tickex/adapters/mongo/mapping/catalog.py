"""Events, ticket types, quotas and promo codes <-> documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import COUNTER, KEY, Aggregate, Codec, Document, Shape
from tickex.domain.event import Event, GeoPoint, Venue
from tickex.domain.promo_code import PromoCode
from tickex.domain.quota import Quota
from tickex.domain.ticket_type import TicketType


def _geo_doc(geo: GeoPoint, _name: str) -> Document:
    # GeoJSON order is [longitude, latitude]; a 2dsphere index can serve "events near me".
    return {"type": "Point", "coordinates": [geo.longitude, geo.latitude]}


def _geo(doc: Mapping[str, Any]) -> GeoPoint:
    longitude, latitude = doc["coordinates"]
    return GeoPoint(latitude=float(latitude), longitude=float(longitude))


EVENT = Aggregate(Event, slug=KEY, venue=Shape(Venue, geo=Codec(_geo_doc, _geo)))
TICKET_TYPE = Aggregate(TicketType)
QUOTA = Aggregate(Quota, size=COUNTER, sold=COUNTER, held=COUNTER)
PROMO_CODE = Aggregate(PromoCode, code=KEY, uses=COUNTER)
