"""Transport schemas: what goes over the wire, kept apart from the domain model.

Inputs forbid unknown fields and bound every number and string, so a body carrying
``status``, ``price`` or ``organizer_id`` is refused before any use case runs. Outputs are
built from use-case results by the ``from_*`` functions below and nowhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tickex.application.authenticate import Account
from tickex.application.command import (
    Email,
    Id,
    MinorUnits,
    Name,
    Password,
    PresentedPassword,
    Slug,
)
from tickex.application.get_event import EventPage, TicketTypeOffer
from tickex.application.get_order import OrderDetails
from tickex.application.place_order import PlacedOrder
from tickex.application.session import PresentedToken, TokenPair
from tickex.domain.event import Event
from tickex.domain.identity import Role
from tickex.domain.money import Money
from tickex.domain.order import Order, OrderStatus
from tickex.domain.pricing import OrderTotals
from tickex.domain.quota import AvailabilityState

AvailabilityName = Literal["gone", "ordered", "reserved", "ok"]
_AVAILABILITY: dict[AvailabilityState, AvailabilityName] = {
    AvailabilityState.GONE: "gone",
    AvailabilityState.ORDERED: "ordered",
    AvailabilityState.RESERVED: "reserved",
    AvailabilityState.OK: "ok",
}


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(frozen=True)


# -- inputs -----------------------------------------------------------------------------
class OrderItemInput(Input):
    ticket_type_id: Id
    quantity: Annotated[int, Field(ge=1, le=500)]


class PlaceOrderInput(Input):
    """Give the event by ``event_slug`` or by ``event_id`` (exactly one)."""

    event_slug: Slug | None = None
    event_id: Id | None = None
    items: Annotated[list[OrderItemInput], Field(min_length=1, max_length=50)]
    customer_email: Email
    customer_name: Annotated[str, Field(max_length=200)] = ""
    promo_code: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    expected_total_minor: MinorUnits | None = Field(
        default=None, description="the total the buyer confirmed; a different total is refused"
    )

    @model_validator(mode="after")
    def _one_event(self) -> PlaceOrderInput:
        if (self.event_slug is None) == (self.event_id is None):
            raise ValueError("give exactly one of event_slug and event_id")
        return self


class CancelOrderInput(Input):
    email: Email = Field(description="the email the order was placed with")
    reason: Annotated[str, Field(max_length=500)] = ""


# accounts: passwords and tokens are taken exactly as sent (never stripped) and never echoed
class RegisterInput(Input):
    email: Email
    password: Password = Field(description="12 to 128 characters")
    name: Name
    as_organizer: bool = Field(
        default=False, description="also open an organizer (only when self-serve is on)"
    )
    organizer_name: Name | None = Field(
        default=None, description="the organizer's name (default: name); with as_organizer"
    )


class LoginInput(Input):
    email: Email
    password: PresentedPassword


class RefreshTokenInput(Input):
    refresh_token: PresentedToken


class ChangePasswordInput(Input):
    current_password: PresentedPassword
    new_password: Password = Field(description="12 to 128 characters")


# -- outputs ----------------------------------------------------------------------------
class MoneyOut(Output):
    amount_minor: int
    currency: str


def money(value: Money) -> MoneyOut:
    return MoneyOut(amount_minor=value.amount_minor, currency=value.currency)


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


class TotalsOut(Output):
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    platform_fee: MoneyOut
    total: MoneyOut


class PlacedOrderOut(Output):
    order_id: str
    order_code: str
    status: str
    totals: TotalsOut
    expires_at: datetime
    payment_url: str | None
    ticket_ids: list[str]


class OrderLineOut(Output):
    ticket_type_id: str
    quantity: int
    unit_price: MoneyOut
    discount: MoneyOut


class TicketOut(Output):
    id: str
    ticket_type_id: str
    status: str
    attendee_name: str
    token: str = Field(description="signed token for the ticket's QR code")


class OrderOut(Output):
    id: str
    code: str
    status: str
    event_id: str
    customer_name: str
    lines: list[OrderLineOut]
    totals: TotalsOut
    refunded: MoneyOut
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    payment_url: str | None = Field(description="set while the order waits for payment")
    tickets: list[TicketOut]


class HealthOut(Output):
    status: Literal["ok", "ready"]


RoleName = Literal["customer", "organizer", "admin"]


_ROLE_NAMES: dict[Role, RoleName] = {
    Role.CUSTOMER: "customer", Role.ORGANIZER: "organizer", Role.ADMIN: "admin"
}  # fmt: skip


class AccountOut(Output):
    id: str
    email: str
    name: str
    roles: list[RoleName]
    organizer_id: str | None
    email_verified: bool


class TokenPairOut(Output):
    """An OAuth 2.0 style token response (RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds the access token is valid for")
    refresh_token: str = Field(description="use once, at POST /v1/auth/refresh")
    refresh_expires_at: datetime


# -- mapping results to outputs ----------------------------------------------------------
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
            state=_AVAILABILITY[offer.availability.state],
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


def totals(value: OrderTotals) -> TotalsOut:
    return TotalsOut(
        subtotal=money(value.subtotal), discount=money(value.discount), tax=money(value.tax),
        platform_fee=money(value.platform_fee), total=money(value.total),
    )  # fmt: skip


def placed_order(placed: PlacedOrder) -> PlacedOrderOut:
    return PlacedOrderOut(
        order_id=placed.order_id, order_code=placed.order_code, status=str(placed.status),
        totals=totals(placed.totals), expires_at=placed.expires_at,
        payment_url=placed.payment_url, ticket_ids=list(placed.ticket_ids),
    )  # fmt: skip


def order(details: OrderDetails) -> OrderOut:
    return order_without_tickets(details.order).model_copy(
        update={
            "tickets": [
                TicketOut(id=t.id, ticket_type_id=t.ticket_type_id, status=str(t.status),
                          attendee_name=t.attendee_name, token=details.tokens[t.id])
                for t in details.tickets
            ]
        }
    )  # fmt: skip


def order_without_tickets(value: Order) -> OrderOut:
    pending = value.status is OrderStatus.PENDING
    return OrderOut(
        id=value.id, code=value.code, status=str(value.status), event_id=value.event_id,
        customer_name=value.customer_name,
        lines=[OrderLineOut(ticket_type_id=line.ticket_type_id, quantity=line.quantity,
                            unit_price=money(line.unit_price), discount=money(line.discount))
               for line in value.lines],
        totals=totals(value.totals), refunded=money(value.refunded_amount),
        created_at=value.created_at, expires_at=value.expires_at, paid_at=value.paid_at,
        payment_url=value.payment_url if pending else None, tickets=[],
    )  # fmt: skip


def account(value: Account) -> AccountOut:
    return AccountOut(
        id=value.id,
        email=value.email,
        name=value.name,
        roles=sorted(_ROLE_NAMES[role] for role in value.roles),
        organizer_id=value.organizer_id,
        email_verified=value.email_verified,
    )


def token_pair(pair: TokenPair) -> TokenPairOut:
    return TokenPairOut(
        access_token=pair.access_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        refresh_expires_at=pair.refresh_expires_at,
    )
