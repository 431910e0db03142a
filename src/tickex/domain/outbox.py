"""OutboxMessage: a side effect written in the same unit of work as the state change that
causes it, delivered later (after commit) by the worker with retries and backoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tickex.domain.errors import InvalidTransition


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # gave up after max attempts; needs a human


class MessageKind(StrEnum):
    DELIVER_TICKETS = "deliver_tickets"  # email (and WhatsApp) the buyer their tickets
    REFUND_PAYMENT = "refund_payment"  # ask the payment provider to return money
    NOTIFY_CUSTOMER = "notify_customer"  # a plain email to the buyer


MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


@dataclass(slots=True)
class OutboxMessage:
    id: str
    kind: MessageKind
    payload: dict[str, Any]  # JSON-compatible
    idempotency_key: str  # unique; also sent to providers that take one
    created_at: datetime
    available_at: datetime
    attempts: int = 0
    status: OutboxStatus = OutboxStatus.PENDING
    last_error: str = ""

    def succeeded(self) -> None:
        self.status = OutboxStatus.SENT

    def failed(self, now: datetime, error: str) -> None:
        self.attempts += 1
        self.last_error = error[:500]
        if self.attempts >= MAX_ATTEMPTS:
            self.status = OutboxStatus.DEAD
        else:
            self.available_at = now + backoff(self.attempts)

    def gave_up(self, now: datetime, error: str) -> None:
        """A failure no retry can fix (a refused recipient, bad credentials): dead now."""
        self.attempts += 1
        self.last_error = error[:500]
        self.available_at = now
        self.status = OutboxStatus.DEAD

    def revive(self, now: datetime) -> None:
        """A person fixed the cause (settings, a provider outage): deliver it again from the
        first attempt, now. Only a dead message revives; its idempotency key stays, so a
        provider that took it once still takes it once."""
        if self.status is not OutboxStatus.DEAD:
            raise InvalidTransition(f"only a dead message is retried, not a {self.status} one")
        self.status = OutboxStatus.PENDING
        self.attempts = 0
        self.available_at = now
