"""Command parts shared by create_ticket_type and update_ticket_type."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tickex.application.command import MinorUnits

Quantity = Annotated[int, Field(ge=0, le=10_000_000)]
PerOrder = Annotated[int, Field(ge=1, le=500)]
Price = MinorUnits
