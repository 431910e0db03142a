"""Command parts shared by create_event and update_event."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from tickex.application.command import Command, Currency, Name
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
    country: Annotated[str, Field(pattern=r"^([A-Z]{2})?$")] = ""
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
    tax_mode: TaxMode = TaxMode.INCLUSIVE
    fee_policy: FeePolicy = FeePolicy.PASS_ON
    hold_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    max_tickets_per_order: Annotated[int, Field(ge=1, le=500)] = 20
    refund_policy: RefundPolicyInput = RefundPolicyInput()

    def to_domain(self) -> EventSettings:
        check_currency(self.currency)
        rp = self.refund_policy
        return EventSettings(
            currency=self.currency,
            tax_rate_bp=self.tax_rate_bp,
            tax_mode=self.tax_mode,
            fee_policy=self.fee_policy,
            hold_minutes=self.hold_minutes,
            max_tickets_per_order=self.max_tickets_per_order,
            refund_policy=RefundPolicy(
                rp.allowed, rp.deadline_hours_before_start, rp.refund_platform_fee
            ),
        )


Moment = AwareDatetime
