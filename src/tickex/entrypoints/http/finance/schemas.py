"""Transport schemas of the organizer's metrics (``/v1/organizer/metrics``): live sales
per event and ticket type, and money per currency from the ledger."""

from __future__ import annotations

from pydantic import Field

from tickex.application.finance.organizer_metrics import OrganizerMetrics
from tickex.entrypoints.http.schemas import AVAILABILITY, AvailabilityName, MoneyOut, Output, money


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


def organizer_metrics(value: OrganizerMetrics) -> OrganizerMetricsOut:
    return OrganizerMetricsOut(
        events=[
            EventMetricsOut(
                event_id=e.event_id, title=e.title, status=str(e.status),
                ticket_types=[
                    TicketTypeMetricsOut(
                        ticket_type_id=t.ticket_type_id, name=t.name, price=money(t.price),
                        size=t.size, sold=t.sold, held=t.held, available=t.available,
                        availability=AVAILABILITY[t.availability],
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
