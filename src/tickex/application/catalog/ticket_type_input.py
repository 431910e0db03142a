"""Command parts shared by create_ticket_type and update_ticket_type: the fields an
organizer gives about a ticket type, declared once for the commands and for the bodies
that carry them (``entrypoints/http/catalog/schemas.py``)."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval
from pydantic import Field

from tickex.application.command import Command, Id, MinorUnits, Name, Text
from tickex.application.date_bounds import Moment

# bounds as annotated-types metadata, which the HTTP layer's OpenAPI keeps when optional
Quantity = Annotated[int, Interval(ge=0, le=10_000_000)]
PerOrder = Annotated[int, Interval(ge=1, le=500)]
Price = MinorUnits


class TicketTypeDetails(Command):
    """A new ticket type as the organizer describes it (its own quota: ``quantity_total``)."""

    name: Name
    price_minor: Price = Field(description="in minor units of the event's currency")
    quantity_total: Quantity
    description: Text = ""
    shared_quota_ids: Annotated[list[Id], Field(max_length=10)] = []
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    min_per_order: PerOrder = 1
    max_per_order: PerOrder = 10
    max_per_customer: PerOrder | None = None
    hidden: bool = Field(default=False, description="sold only with a promo code unlocking it")
    position: Annotated[int, Field(ge=0, le=10_000)] = 0


class TicketTypeChanges(Command):
    """What an organizer may change of a ticket type: a field not given stays as it is."""

    name: Name | None = None
    description: Text | None = None
    price_minor: Price | None = None
    quantity_total: Quantity | None = None
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    min_per_order: PerOrder | None = None
    max_per_order: PerOrder | None = None
    max_per_customer: PerOrder | None = None
    hidden: bool | None = None
