"""Command parts shared by create_event and update_event: the event's venue and settings,
and the fields an organizer gives about an event, declared once for the commands and for
the bodies that carry them (``entrypoints/http/catalog/schemas.py``)."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval
from pydantic import Field

from tickex.application.command import (
    COUNTRY_PATTERN,
    Choice,
    Command,
    Currency,
    Name,
    Slug,
    Text,
)
from tickex.application.date_bounds import Moment
from tickex.domain.event import (
    EventSettings,
    FeePolicy,
    GeoPoint,
    RefundPolicy,
    TaxMode,
    Venue,
)
from tickex.domain.money import check_currency


class GeoInput(Command):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]


class VenueInput(Command):
    name: Name
    address: Annotated[str, Field(min_length=1, max_length=500)]
    city: Annotated[str, Field(max_length=200)] = ""
    country: Annotated[str, Field(pattern=COUNTRY_PATTERN)] = ""
    geo: GeoInput | None = None

    def to_domain(self) -> Venue:
        geo = GeoPoint(self.geo.latitude, self.geo.longitude) if self.geo else None
        return Venue(self.name, self.address, self.city, self.country, geo)


class RefundPolicyInput(Command):
    allowed: bool = True
    deadline_hours_before_start: Annotated[int, Field(ge=0, le=24 * 365)] = 24
    refund_platform_fee: bool = True


class SettingsInput(Command):
    currency: Currency = "EUR"
    tax_rate_bp: Annotated[int, Field(ge=0, le=10_000)] = 0
    tax_mode: Choice[TaxMode] = TaxMode.INCLUSIVE
    fee_policy: Choice[FeePolicy] = FeePolicy.PASS_ON
    hold_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    max_tickets_per_order: Annotated[int, Field(ge=1, le=500)] = 20
    refund_policy: RefundPolicyInput = RefundPolicyInput()

    def to_domain(self) -> EventSettings:
        check_currency(self.currency)
        return EventSettings(
            **self.model_dump(exclude={"refund_policy"}),
            refund_policy=RefundPolicy(**self.refund_policy.model_dump()),
        )


class EventDetails(Command):
    """A new event as the organizer describes it."""

    title: Name
    slug: Slug
    starts_at: Moment
    ends_at: Moment
    venue: VenueInput
    description: Text = ""
    settings: SettingsInput = SettingsInput()
    capacity: Annotated[int, Interval(ge=1, le=10_000_000)] | None = Field(
        default=None, description="a venue capacity shared by every ticket type"
    )


class EventChanges(Command):
    """What an organizer may change of an event (not its status): a field not given stays
    as it is."""

    title: Name | None = None
    description: Text | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    venue: VenueInput | None = None
    settings: SettingsInput | None = None
