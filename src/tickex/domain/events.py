"""Domain events: facts recorded by aggregates (past tense), never calls to the world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DomainEvent:
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class EventPublished(DomainEvent):
    event_id: str


@dataclass(frozen=True, slots=True)
class EventCancelled(DomainEvent):
    event_id: str


@dataclass(frozen=True, slots=True)
class OrderPlaced(DomainEvent):
    order_id: str


@dataclass(frozen=True, slots=True)
class OrderPaid(DomainEvent):
    order_id: str


@dataclass(frozen=True, slots=True)
class OrderExpired(DomainEvent):
    order_id: str


@dataclass(frozen=True, slots=True)
class OrderCancelled(DomainEvent):
    order_id: str


@dataclass(frozen=True, slots=True)
class OrderRefunded(DomainEvent):
    order_id: str
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class TicketIssued(DomainEvent):
    ticket_id: str
    order_id: str


@dataclass(frozen=True, slots=True)
class TicketRevoked(DomainEvent):
    ticket_id: str


@dataclass(frozen=True, slots=True)
class TicketCheckedIn(DomainEvent):
    ticket_id: str
    gate: str
