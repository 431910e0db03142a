"""Event: what organizers publish. Status machine: draft -> published -> cancelled | ended."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from tickex.domain.clock import require_aware
from tickex.domain.errors import InvalidTransition, ValidationFailed
from tickex.domain.money import BASIS_POINTS, check_currency

#: the rule between an event's dates, in words (also the OpenAPI document's)
ENDS_AFTER_START = "an event must end after it starts"


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    ENDED = "ended"


class TaxMode(StrEnum):
    INCLUSIVE = "inclusive"  # prices include tax; tax is extracted
    EXCLUSIVE = "exclusive"  # tax is added on top of prices


class FeePolicy(StrEnum):
    ABSORB = "absorb"  # the organizer pays the platform fee out of the ticket price
    PASS_ON = "pass_on"  # the buyer pays the platform fee on top


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not -90 <= self.latitude <= 90 or not -180 <= self.longitude <= 180:
            raise ValidationFailed("geo point out of range")


@dataclass(frozen=True, slots=True)
class Venue:
    name: str
    address: str
    city: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    geo: GeoPoint | None = None


@dataclass(frozen=True, slots=True)
class RefundPolicy:
    """Whether buyers may ask for refunds and until when; organizers can always refund."""

    allowed: bool = True
    deadline_hours_before_start: int = 24
    refund_platform_fee: bool = True


@dataclass(frozen=True, slots=True)
class EventSettings:
    currency: str = "EUR"
    tax_rate_bp: int = 0  # basis points: 1900 = 19 %
    tax_mode: TaxMode = TaxMode.INCLUSIVE
    fee_policy: FeePolicy = FeePolicy.PASS_ON
    hold_minutes: int = 15
    max_tickets_per_order: int = 20
    refund_policy: RefundPolicy = field(default_factory=RefundPolicy)

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if not 0 <= self.tax_rate_bp <= BASIS_POINTS:
            raise ValidationFailed("tax rate must be between 0 and 10000 basis points")
        if not 1 <= self.hold_minutes <= 24 * 60:
            raise ValidationFailed("hold minutes must be between 1 and 1440")
        if not 1 <= self.max_tickets_per_order <= 500:
            raise ValidationFailed("max tickets per order must be between 1 and 500")


@dataclass(slots=True)
class Event:
    id: str
    organizer_id: str
    title: str
    slug: str
    starts_at: datetime
    ends_at: datetime
    venue: Venue
    settings: EventSettings
    created_at: datetime
    description: str = ""
    media: tuple[str, ...] = ()
    capacity_quota_id: str | None = None  # the shared venue-capacity quota, if any
    status: EventStatus = EventStatus.DRAFT
    version: int = 0

    def __post_init__(self) -> None:
        self.starts_at = require_aware(self.starts_at, "starts_at")
        self.ends_at = require_aware(self.ends_at, "ends_at")
        if self.ends_at <= self.starts_at:
            raise ValidationFailed(ENDS_AFTER_START, field="ends_at")

    @property
    def currency(self) -> str:
        return self.settings.currency

    def has_ended(self, now: datetime) -> bool:
        return self.status is EventStatus.ENDED or now >= self.ends_at

    def is_on_sale(self, now: datetime) -> bool:
        return self.status is EventStatus.PUBLISHED and not self.has_ended(now)

    def update(
        self,
        *,
        title: str | None = None,
        description: str | None = None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        venue: Venue | None = None,
        settings: EventSettings | None = None,
    ) -> None:
        if self.status in (EventStatus.CANCELLED, EventStatus.ENDED):
            raise InvalidTransition(f"a {self.status} event cannot be changed")
        if (
            settings is not None
            and self.status is not EventStatus.DRAFT
            and settings.currency != self.settings.currency
        ):
            raise InvalidTransition("the currency cannot change once an event is published")
        starts = require_aware(starts_at, "starts_at") if starts_at else self.starts_at
        ends = require_aware(ends_at, "ends_at") if ends_at else self.ends_at
        if ends <= starts:
            raise ValidationFailed(ENDS_AFTER_START, field="ends_at")
        self.starts_at, self.ends_at = starts, ends
        if title is not None:
            self.title = title
        if description is not None:
            self.description = description
        if venue is not None:
            self.venue = venue
        if settings is not None:
            self.settings = replace(settings)

    def publish(self, now: datetime) -> None:
        if self.status is not EventStatus.DRAFT:
            raise InvalidTransition(f"only a draft event can be published (it is {self.status})")
        if self.has_ended(now):
            raise InvalidTransition("an event that has already ended cannot be published")
        self.status = EventStatus.PUBLISHED

    def cancel(self) -> None:
        if self.status not in (EventStatus.DRAFT, EventStatus.PUBLISHED):
            raise InvalidTransition(f"a {self.status} event cannot be cancelled")
        self.status = EventStatus.CANCELLED

    def end(self, now: datetime) -> None:
        if self.status is not EventStatus.PUBLISHED or now < self.ends_at:
            raise InvalidTransition("only a published event past its end time can be ended")
        self.status = EventStatus.ENDED
