"""Transport schemas of the catalogue: the public event pages (``/v1/events``) and the
organizer's events, ticket types, quotas and promo codes (``/v1/organizer``).

The organizer is always the signed-in one: no input carries ``organizer_id``, and the
strict inputs refuse it (and ``status``, ``sold``, ``price`` ...) like any unknown field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from tickex.application.catalog.cancel_event import CancelledEvent
from tickex.application.catalog.event_input import (
    EventChanges,
    EventDetails,
    GeoInput,
    RefundPolicyInput,
    SettingsInput,
    VenueInput,
)
from tickex.application.catalog.get_event import EventPage, TicketTypeOffer
from tickex.application.catalog.organizer_events import OrganizerEvent
from tickex.application.catalog.promo_code_input import PromoCodeDetails
from tickex.application.catalog.ticket_type_input import (
    Quantity,
    TicketTypeChanges,
    TicketTypeDetails,
)
from tickex.application.command import COUNTRY_PATTERN, CURRENCY_PATTERN, Name
from tickex.domain.event import ENDS_AFTER_START, Event
from tickex.domain.promo_code import DiscountKind, PromoCode
from tickex.domain.quota import Quota
from tickex.domain.ticket_type import TicketType
from tickex.entrypoints.http.schemas import (
    AVAILABILITY,
    AvailabilityName,
    Input,
    Moment,
    MoneyOut,
    Output,
    money,
)


# -- the public catalogue ----------------------------------------------------------------
class VenueOut(Output):
    name: str
    address: str
    city: str
    country: str
    latitude: float | None
    longitude: float | None


class EventSummaryOut(Output):
    id: str
    slug: str
    title: str
    status: str
    starts_at: datetime
    ends_at: datetime
    currency: str
    venue: VenueOut


class AvailabilityOut(Output):
    state: AvailabilityName  # gone < ordered (pending orders may free up) < reserved < ok
    left: int


class TicketTypeOut(Output):
    id: str
    name: str
    description: str
    price: MoneyOut
    min_per_order: int
    max_per_order: int
    sales_start: datetime | None
    sales_end: datetime | None
    on_sale: bool
    availability: AvailabilityOut


class EventOut(EventSummaryOut):
    description: str
    on_sale: bool
    ticket_types: list[TicketTypeOut]


class EventListOut(Output):
    items: list[EventSummaryOut]
    limit: int
    offset: int
    next_offset: int | None


def event_summary(event: Event) -> EventSummaryOut:
    return EventSummaryOut(**_event_fields(event))


def _event_fields(event: Event) -> dict[str, object]:
    venue = event.venue
    return {
        "id": event.id,
        "slug": event.slug,
        "title": event.title,
        "status": str(event.status),
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "currency": event.currency,
        "venue": VenueOut(
            name=venue.name, address=venue.address, city=venue.city, country=venue.country,
            latitude=venue.geo.latitude if venue.geo else None,
            longitude=venue.geo.longitude if venue.geo else None,
        ),
    }  # fmt: skip


def _ticket_type(offer: TicketTypeOffer) -> TicketTypeOut:
    tt = offer.ticket_type
    return TicketTypeOut(
        id=tt.id, name=tt.name, description=tt.description, price=money(tt.price),
        min_per_order=tt.min_per_order, max_per_order=tt.max_per_order,
        sales_start=tt.sales_start, sales_end=tt.sales_end, on_sale=offer.on_sale,
        availability=AvailabilityOut(
            state=AVAILABILITY[offer.availability.state],
            left=offer.availability.left,
        ),
    )  # fmt: skip


def event_page(page: EventPage) -> EventOut:
    return EventOut(
        **event_summary(page.event).model_dump(),
        description=page.event.description,
        on_sale=page.on_sale,
        ticket_types=[_ticket_type(offer) for offer in page.ticket_types],
    )


# -- the organizer's events ----------------------------------------------------------------
# The bodies are the application's own command parts, strict on the wire (``Input`` first:
# its ``model_validate`` wins; the part's config would win, so each says again that a
# body's text is taken as sent, never stripped: ``Input``). A field declared again is a
# wire type of its own: date-times as RFC 3339 text (``Moment``), the body's own part
# type, or a ``maxLength`` beside the pattern in the document.
class GeoBody(Input, GeoInput, str_strip_whitespace=False):
    """A point on the map, in degrees."""


class VenueBody(Input, VenueInput, str_strip_whitespace=False):
    country: Annotated[str, StringConstraints(max_length=2, pattern=COUNTRY_PATTERN)] = ""
    geo: GeoBody | None = None


class RefundPolicyBody(Input, RefundPolicyInput, str_strip_whitespace=False):
    """When and how much a customer's order may be refunded."""


class EventSettingsBody(Input, SettingsInput, str_strip_whitespace=False):
    currency: Annotated[str, StringConstraints(max_length=3, pattern=CURRENCY_PATTERN)] = "EUR"
    refund_policy: RefundPolicyBody = RefundPolicyBody()


class CreateEventInput(Input, EventDetails, str_strip_whitespace=False):
    rule = f"{ENDS_AFTER_START}: ends_at after starts_at"

    starts_at: Moment
    ends_at: Moment
    venue: VenueBody
    settings: EventSettingsBody = EventSettingsBody()


class UpdateEventInput(Input, EventChanges, str_strip_whitespace=False):
    """Only the fields given change (not the status: publishEvent, cancelEvent)."""

    rule = (
        f"{ENDS_AFTER_START}: ends_at after starts_at, each given one checked against the "
        "other, given or the event's own"
    )

    starts_at: Moment | None = None
    ends_at: Moment | None = None
    venue: VenueBody | None = None
    settings: EventSettingsBody | None = None


class CreateTicketTypeInput(Input, TicketTypeDetails, str_strip_whitespace=False):
    sales_start: Moment | None = None
    sales_end: Moment | None = None


class UpdateTicketTypeInput(Input, TicketTypeChanges, str_strip_whitespace=False):
    """Only the fields given change; null clears sales_start, sales_end, max_per_customer.
    A new ``quantity_total`` below what is sold or held is refused."""

    sales_start: Moment | None = None
    sales_end: Moment | None = None


class CreateQuotaInput(Input):
    name: Name
    size: Quantity


class CreatePromoCodeInput(Input, PromoCodeDetails, str_strip_whitespace=False):
    valid_from: Moment | None = None
    valid_until: Moment | None = None


class OrganizerTicketTypeOut(Output):
    id: str
    event_id: str
    name: str
    description: str
    price: MoneyOut
    quota_id: str
    shared_quota_ids: list[str]
    sales_start: datetime | None
    sales_end: datetime | None
    min_per_order: int
    max_per_order: int
    max_per_customer: int | None
    hidden: bool
    position: int


class QuotaOut(Output):
    id: str
    name: str
    size: int
    sold: int
    held: int


class PromoCodeOut(Output):
    id: str
    event_id: str
    code: str
    kind: Literal["percent", "fixed"]
    percent_bp: int
    fixed: MoneyOut | None
    max_uses: int | None
    uses: int
    valid_from: datetime | None
    valid_until: datetime | None
    ticket_type_ids: list[str]
    unlocks_hidden: bool


class OrganizerEventOut(EventSummaryOut):
    description: str
    capacity_quota_id: str | None
    ticket_types: list[OrganizerTicketTypeOut]
    quotas: list[QuotaOut]
    promo_codes: list[PromoCodeOut]


class OrganizerEventListOut(Output):
    items: list[EventSummaryOut]


class CancelledEventOut(Output):
    event: EventSummaryOut
    orders_cancelled: int
    orders_refunded: int
    failures: list[str] = Field(description="orders that need a person (checked-in tickets)")


def organizer_ticket_type(tt: TicketType) -> OrganizerTicketTypeOut:
    return OrganizerTicketTypeOut(
        id=tt.id, event_id=tt.event_id, name=tt.name, description=tt.description,
        price=money(tt.price), quota_id=tt.quota_id, shared_quota_ids=list(tt.shared_quota_ids),
        sales_start=tt.sales_start, sales_end=tt.sales_end, min_per_order=tt.min_per_order,
        max_per_order=tt.max_per_order, max_per_customer=tt.max_per_customer,
        hidden=tt.hidden, position=tt.position,
    )  # fmt: skip


def quota(value: Quota) -> QuotaOut:
    return QuotaOut(id=value.id, name=value.name, size=value.size, sold=value.sold,
                    held=value.held)  # fmt: skip


def promo_code(value: PromoCode) -> PromoCodeOut:
    kind: Literal["percent", "fixed"] = "percent" if value.kind is DiscountKind.PERCENT else "fixed"
    return PromoCodeOut(
        id=value.id, event_id=value.event_id, code=value.code, kind=kind,
        percent_bp=value.percent_bp, fixed=money(value.fixed) if value.fixed else None,
        max_uses=value.max_uses, uses=value.uses, valid_from=value.valid_from,
        valid_until=value.valid_until, ticket_type_ids=list(value.ticket_type_ids),
        unlocks_hidden=value.unlocks_hidden,
    )  # fmt: skip


def organizer_event(view: OrganizerEvent) -> OrganizerEventOut:
    return OrganizerEventOut(
        **event_summary(view.event).model_dump(),
        description=view.event.description,
        capacity_quota_id=view.event.capacity_quota_id,
        ticket_types=[organizer_ticket_type(tt) for tt in view.ticket_types],
        quotas=[quota(q) for q in view.quotas],
        promo_codes=[promo_code(p) for p in view.promo_codes],
    )


def cancelled_event(result: CancelledEvent) -> CancelledEventOut:
    return CancelledEventOut(
        event=event_summary(result.event),
        orders_cancelled=result.orders_cancelled,
        orders_refunded=result.orders_refunded,
        failures=list(result.failures),
    )


# -- inputs to commands -----------------------------------------------------------------
def event_fields(
    data: CreateEventInput | UpdateEventInput, *, exclude_unset: bool = False
) -> dict[str, Any]:
    """The fields of ``CreateEvent`` / ``UpdateEvent`` an input gives (all of them, or with
    ``exclude_unset`` those sent), the venue and the settings as the application's own."""
    fields = data.model_dump(exclude_unset=exclude_unset, exclude={"venue", "settings"})
    venue, settings = data.venue, data.settings
    return fields | {
        "venue": VenueInput.model_validate(venue.model_dump()) if venue else None,
        "settings": SettingsInput.model_validate(settings.model_dump()) if settings else None,
    }
