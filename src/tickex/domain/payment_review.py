"""PaymentReview: a payment that was taken but not fulfilled, left for a person to look at.

A provider reports a paid checkout that does not match its order (another amount, another
currency, another order named, or a session that claims one of our orders without being
its checkout). Nothing is issued for it; instead a review is kept, naming the provider's
event, the order and the session, what was paid and what is wrong, so that an admin sees
it, settles it at the provider (a refund, a call to the buyer) and marks it resolved with
a note. Status ``open -> resolved``, once: a second resolution is refused.

Each review is one provider event: storage keeps the event id once (the unit of work
that adds the review also records the event as processed), so a redelivered event makes
no second review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tickex.domain.clock import require_aware
from tickex.domain.errors import InvalidTransition, ValidationFailed
from tickex.domain.money import Money

MAX_PROBLEM = 500  # what is wrong with the payment, as TickEx found it
MAX_RESOLUTION_NOTE = 1000  # what the admin did about it
MAX_PROVIDER = 40
MAX_EVENT_ID = 255  # the provider's event id (Stripe: ``evt_...``)
MAX_EVENT_TYPE = 100  # the provider's name for the event type
MAX_REFERENCE = 255  # the provider's session id (an order's ``payment_reference``)


class PaymentReviewStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


def _bounded(value: str, name: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise ValidationFailed(f"{name} is needed", field=name)
    if len(text) > limit:
        raise ValidationFailed(f"{name} is longer than {limit} characters", field=name)
    return text


@dataclass(slots=True)
class PaymentReview:
    id: str
    provider: str
    event_id: str  # the provider's event that reported the payment
    event_type: str
    problem: str
    flagged_at: datetime
    order_id: str | None = None  # the order the payment was for, if one of ours is known
    payment_reference: str | None = None  # the provider's checkout session
    amount_paid: Money | None = None  # as the provider said (None: it did not say)
    status: PaymentReviewStatus = PaymentReviewStatus.OPEN
    resolved_at: datetime | None = None
    resolved_by: str | None = None  # the admin's user id
    resolution_note: str | None = None
    version: int = 0

    def __post_init__(self) -> None:
        self.provider = _bounded(self.provider, "provider", MAX_PROVIDER)
        self.event_id = _bounded(self.event_id, "event_id", MAX_EVENT_ID)
        self.event_type = _bounded(self.event_type, "event_type", MAX_EVENT_TYPE)
        self.problem = _bounded(self.problem, "problem", MAX_PROBLEM)
        if self.payment_reference is not None:
            self.payment_reference = _bounded(
                self.payment_reference, "payment_reference", MAX_REFERENCE
            )
        self.flagged_at = require_aware(self.flagged_at, "flagged_at")

    @property
    def is_open(self) -> bool:
        return self.status is PaymentReviewStatus.OPEN

    def resolve(self, now: datetime, by: str, note: str) -> None:
        """open -> resolved, by an admin, with what was done about the payment."""
        if not self.is_open:
            raise InvalidTransition("the payment review was already resolved")
        if not by:
            raise ValidationFailed("a resolution needs the admin who made it", field="resolved_by")
        self.resolution_note = _bounded(note, "note", MAX_RESOLUTION_NOTE)
        self.resolved_by = by
        self.resolved_at = require_aware(now, "now")
        self.status = PaymentReviewStatus.RESOLVED


def clip(text: str, limit: int = MAX_PROBLEM) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut): what a provider
    sent is never refused for its length once the payment was taken."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
