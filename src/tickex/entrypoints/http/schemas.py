"""Transport schemas: what goes over the wire, kept apart from the domain model.

Inputs forbid unknown fields and bound every number and string, so a body carrying
``status``, ``price`` or ``organizer_id`` is refused before any use case runs. They are
strict, too: a JSON string is never taken for a number or a boolean (``"2"``, ``"true"``),
nor a float for an integer (``2.0``). Outputs are built from use-case results by the
``from_*`` functions below and nowhere else.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, Self, TypeVar

from annotated_types import Gt, Interval, Len
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from tickex.application.catalog.get_event import EventPage, TicketTypeOffer
from tickex.application.catalog.organizer_events import OrganizerEvent
from tickex.application.command import (
    Email,
    Id,
    MinorUnits,
    Name,
    Password,
    PresentedPassword,
    Slug,
)
from tickex.application.door.check_in import ScanResult
from tickex.application.finance.organizer_metrics import OrganizerMetrics
from tickex.application.identity.authenticate import Account
from tickex.application.identity.session import PresentedToken, TokenPair
from tickex.application.sales.get_order import OrderDetails
from tickex.application.sales.place_order import PlacedOrder
from tickex.domain.event import Event, FeePolicy, TaxMode
from tickex.domain.identity import Role, StaffCredential
from tickex.domain.money import Money
from tickex.domain.order import Order, OrderStatus
from tickex.domain.pricing import OrderTotals
from tickex.domain.promo_code import DiscountKind, PromoCode
from tickex.domain.quota import AvailabilityState, Quota
from tickex.domain.ticket_type import TicketType

AvailabilityName = Literal["gone", "ordered", "reserved", "ok"]
_AVAILABILITY: dict[AvailabilityState, AvailabilityName] = {
    AvailabilityState.GONE: "gone",
    AvailabilityState.ORDERED: "ordered",
    AvailabilityState.RESERVED: "reserved",
    AvailabilityState.OK: "ok",
}


class Input(BaseModel):
    """A request body: unknown fields refused, and strict types (Litestar hands pydantic the
    decoded JSON, so strict mode sees JSON's own types). Enumerations are named by their
    value in JSON: declare them ``Choice[SomeEnum]``; date-times ``Moment``."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)

    @classmethod
    def model_validate(cls, obj: Any, *, strict: bool | None = None, **kwargs: Any) -> Self:
        """Litestar passes its own ``strict`` flag (``False``) on every call, which would
        override the model's: an input's strictness is the model's own, always."""
        del strict
        return super().model_validate(obj, **kwargs)


E = TypeVar("E")
#: an enumeration field of a strict input, given by its value (``"percent"``)
Choice = Annotated[E, Field(strict=False)]


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
    promo_code: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
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


# -- the organizer's routes (/v1/organizer) ----------------------------------------------
# The organizer is always the signed-in one: no input carries ``organizer_id``, and the
# strict inputs refuse it (and ``status``, ``sold``, ``price`` ...) like any unknown field.
# Bounds as annotated-types metadata, not ``Field(...)``: Litestar drops a ``Field``'s bounds
# from the document when the type is optional (``Count | None``); these it keeps.
Count = Annotated[int, Interval(ge=0, le=10_000_000)]
PerOrder = Annotated[int, Interval(ge=1, le=500)]
Text = Annotated[str, StringConstraints(max_length=10_000)]
Reason = Annotated[str, StringConstraints(max_length=500)]
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> datetime:
    """Only RFC 3339 text with an offset: pydantic would also take a number (seconds since
    1970), which the document does not promise."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("an RFC 3339 date-time with an offset, e.g. 2026-05-01T20:00:00Z")
    return datetime.fromisoformat(value.upper())


Moment = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


class GeoBody(Input):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]


class VenueBody(Input):
    name: Name
    address: Annotated[str, Field(min_length=1, max_length=500)]
    city: Annotated[str, Field(max_length=200)] = ""
    country: Annotated[str, StringConstraints(max_length=2, pattern=r"^([A-Z]{2})?$")] = ""
    geo: GeoBody | None = None


class RefundPolicyBody(Input):
    allowed: bool = True
    deadline_hours_before_start: Annotated[int, Field(ge=0, le=24 * 365)] = 24
    refund_platform_fee: bool = True


class EventSettingsBody(Input):
    currency: Annotated[str, StringConstraints(max_length=3, pattern=r"^[A-Z]{3}$")] = "EUR"
    tax_rate_bp: Annotated[int, Field(ge=0, le=10_000)] = 0
    tax_mode: Choice[TaxMode] = TaxMode.INCLUSIVE
    fee_policy: Choice[FeePolicy] = FeePolicy.PASS_ON
    hold_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    max_tickets_per_order: PerOrder = 20
    refund_policy: RefundPolicyBody = RefundPolicyBody()


class CreateEventInput(Input):
    title: Name
    slug: Slug
    starts_at: Moment
    ends_at: Moment
    venue: VenueBody
    description: Text = ""
    settings: EventSettingsBody = EventSettingsBody()
    capacity: Annotated[int, Interval(ge=1, le=10_000_000)] | None = Field(
        default=None, description="a venue capacity shared by every ticket type"
    )


class UpdateEventInput(Input):
    """Only the fields given change (not the status: publishEvent, cancelEvent)."""

    title: Name | None = None
    description: Text | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    venue: VenueBody | None = None
    settings: EventSettingsBody | None = None


class CreateTicketTypeInput(Input):
    name: Name
    price_minor: MinorUnits = Field(description="in minor units of the event's currency")
    quantity_total: Count
    description: Text = ""
    shared_quota_ids: Annotated[list[Id], Field(max_length=10)] = []
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    min_per_order: PerOrder = 1
    max_per_order: PerOrder = 10
    max_per_customer: PerOrder | None = None
    hidden: bool = Field(default=False, description="sold only with a promo code unlocking it")
    position: Annotated[int, Field(ge=0, le=10_000)] = 0


class UpdateTicketTypeInput(Input):
    """Only the fields given change; null clears sales_start, sales_end, max_per_customer.
    A new ``quantity_total`` below what is sold or held is refused."""

    name: Name | None = None
    description: Text | None = None
    price_minor: MinorUnits | None = None
    quantity_total: Count | None = None
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    min_per_order: PerOrder | None = None
    max_per_order: PerOrder | None = None
    max_per_customer: PerOrder | None = None
    hidden: bool | None = None


class CreateQuotaInput(Input):
    name: Name
    size: Count


class CreatePromoCodeInput(Input):
    code: Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
    kind: Choice[DiscountKind]
    percent_bp: Annotated[int, Field(ge=0, le=10_000)] = 0
    fixed_minor: MinorUnits | None = None
    max_uses: Annotated[int, Interval(ge=1, le=10_000_000)] | None = None
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    ticket_type_ids: Annotated[list[Id], Field(max_length=100)] = []
    unlocks_hidden: bool = False


class RefundOrderInput(Input):
    """Nothing: the whole order. ``ticket_ids``: those tickets. ``amount_minor``: a part
    of the money, the tickets stay valid. Never both."""

    ticket_ids: Annotated[list[Id], Len(1, 500)] | None = None
    amount_minor: Annotated[MinorUnits, Gt(0)] | None = None
    reason: Reason = ""

    @model_validator(mode="after")
    def _one_mode(self) -> RefundOrderInput:
        if self.ticket_ids is not None and self.amount_minor is not None:
            raise ValueError("refund either ticket_ids or an amount, not both")
        return self


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


class TicketTypeMetricsOut(Output):
    ticket_type_id: str
    name: str
    price: MoneyOut
    size: int
    sold: int
    held: int
    available: int
    availability: AvailabilityName


class EventMetricsOut(Output):
    event_id: str
    title: str
    status: str
    ticket_types: list[TicketTypeMetricsOut]
    tickets_valid: int
    tickets_checked_in: int
    tickets_revoked: int


class MoneyMetricsOut(Output):
    currency: str
    sales: MoneyOut
    platform_fees: MoneyOut
    refunds: MoneyOut
    payouts: MoneyOut
    balance: MoneyOut = Field(description="sales - fees - refunds - payouts: still owed")


class OrganizerMetricsOut(Output):
    events: list[EventMetricsOut]
    money: list[MoneyMetricsOut]


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


def organizer_metrics(value: OrganizerMetrics) -> OrganizerMetricsOut:
    return OrganizerMetricsOut(
        events=[
            EventMetricsOut(
                event_id=e.event_id, title=e.title, status=str(e.status),
                ticket_types=[
                    TicketTypeMetricsOut(
                        ticket_type_id=t.ticket_type_id, name=t.name, price=money(t.price),
                        size=t.size, sold=t.sold, held=t.held, available=t.available,
                        availability=_AVAILABILITY[t.availability],
                    )
                    for t in e.ticket_types
                ],
                tickets_valid=e.tickets_valid, tickets_checked_in=e.tickets_checked_in,
                tickets_revoked=e.tickets_revoked,
            )
            for e in value.events
        ],
        money=[
            MoneyMetricsOut(
                currency=m.currency, sales=money(m.sales), platform_fees=money(m.platform_fees),
                refunds=money(m.refunds), payouts=money(m.payouts), balance=money(m.balance),
            )
            for m in value.money
        ],
    )  # fmt: skip


# -- staff devices and the door ---------------------------------------------------------
ScanLabel = Annotated[str, Field(min_length=1, max_length=100)]


class IssueStaffCredentialInput(Input):
    label: Annotated[str, Field(min_length=1, max_length=200)]


class StaffCredentialOut(Output):
    id: str
    event_id: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class IssuedStaffCredentialOut(Output):
    token: str  # shown once: only its digest is stored
    credential: StaffCredentialOut


class StaffCredentialListOut(Output):
    items: list[StaffCredentialOut]


class ScanInput(Input):
    """The event is the staff credential's, never one named here."""

    token: Annotated[str, Field(min_length=1, max_length=1024)]
    nonce: Annotated[str, Field(min_length=8, max_length=100)]
    gate: ScanLabel = "main"
    device: ScanLabel = "unknown"
    direction: Literal["entry", "exit"] = "entry"
    scanned_at: Moment | None = None


class ScanOut(Output):
    result: Literal["accepted", "rejected"]
    reason: str | None
    message: str
    ticket_id: str | None
    attendee_name: str
    replayed: bool


def staff_credential(value: StaffCredential) -> StaffCredentialOut:
    return StaffCredentialOut(
        id=value.id, event_id=value.event_id, label=value.label, created_at=value.created_at,
        last_used_at=value.last_used_at, revoked_at=value.revoked_at, active=value.is_active,
    )  # fmt: skip


def scan(value: ScanResult) -> ScanOut:
    decision = value.decision
    return ScanOut(
        result="accepted" if decision.accepted else "rejected",
        reason=decision.reason.value if decision.reason else None,
        message=decision.message, ticket_id=value.ticket_id,
        attendee_name=value.attendee_name, replayed=value.replayed,
    )  # fmt: skip
