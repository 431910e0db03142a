"""Domain events: facts recorded by aggregates (past tense), never calls to the world.

An order records them (``Order.events``) and ``application/delivery/outbox.py`` turns them
into outbox messages in the same unit of work; an event that nothing reads is not
recorded (docs/adr/0015-domain-events-and-one-ledger-module.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DomainEvent:
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class OrderPaid(DomainEvent):
    """The order's tickets are to be delivered."""

    order_id: str


@dataclass(frozen=True, slots=True)
class OrderRefunded(DomainEvent):
    """Money goes back to the buyer: asked of the payment provider (when
    ``amount_minor``), unless the provider already returned it (``at_provider``: a refund
    made in its dashboard); the buyer is told either way."""

    order_id: str
    amount_minor: int
    currency: str
    fee_minor: int = 0  # the platform fee returned with it (the event's refund policy)
    at_provider: bool = False
