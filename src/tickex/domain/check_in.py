"""Check-in: the decision a scan gets, and the record it leaves.

A second scan of the same ticket answers "already checked in at HH:MM by X", never a
second admission. Rejections are an enum, as pretix learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tickex.domain.event import Event, EventStatus
from tickex.domain.order import PAID_STATES, Order
from tickex.domain.ticket import Ticket, TicketStatus


class ScanDirection(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class CheckInResult(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RejectionReason(StrEnum):
    INVALID_SIGNATURE = "invalid_signature"
    UNKNOWN_TICKET = "unknown_ticket"
    WRONG_EVENT = "wrong_event"
    EVENT_CANCELLED = "event_cancelled"
    UNPAID = "unpaid"
    REVOKED = "revoked"
    DISPUTED = "disputed"
    ALREADY_CHECKED_IN = "already_checked_in"
    NOT_CHECKED_IN = "not_checked_in"


@dataclass(frozen=True, slots=True)
class CheckInDecision:
    result: CheckInResult
    reason: RejectionReason | None = None
    message: str = ""

    @property
    def accepted(self) -> bool:
        return self.result is CheckInResult.ACCEPTED


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A scan record; kept for accepted and rejected scans alike."""

    id: str
    event_id: str
    ticket_id: str | None
    gate: str
    device: str
    direction: ScanDirection
    scanned_at: datetime  # when the scanner saw it (offline scans keep their own time)
    recorded_at: datetime
    result: CheckInResult
    reason: RejectionReason | None
    nonce: str


def _reject(reason: RejectionReason, message: str) -> CheckInDecision:
    return CheckInDecision(CheckInResult.REJECTED, reason, message)


def decide_check_in(
    ticket: Ticket, order: Order, event: Event, scan_event_id: str, direction: ScanDirection
) -> CheckInDecision:
    """Pure decision for one scan; the caller applies it to the ticket when accepted."""
    if ticket.event_id != scan_event_id:
        return _reject(RejectionReason.WRONG_EVENT, "this ticket is for another event")
    if event.status is EventStatus.CANCELLED:
        return _reject(RejectionReason.EVENT_CANCELLED, "the event was cancelled")
    if ticket.status is TicketStatus.REVOKED:
        return _reject(RejectionReason.REVOKED, "this ticket was revoked")
    if ticket.status is TicketStatus.FROZEN:
        return _reject(RejectionReason.DISPUTED, "the payment for this ticket is disputed")
    if order.status not in PAID_STATES:
        return _reject(RejectionReason.UNPAID, f"the order is {order.status}")
    if direction is ScanDirection.ENTRY:
        if ticket.status is TicketStatus.CHECKED_IN and ticket.checked_in_at is not None:
            at = ticket.checked_in_at.strftime("%H:%M")
            return _reject(
                RejectionReason.ALREADY_CHECKED_IN,
                f"already checked in at {at} UTC by {ticket.checked_in_by or 'unknown'}",
            )
        return CheckInDecision(CheckInResult.ACCEPTED, message="welcome")
    if ticket.status is not TicketStatus.CHECKED_IN:
        return _reject(RejectionReason.NOT_CHECKED_IN, "this ticket is not checked in")
    return CheckInDecision(CheckInResult.ACCEPTED, message="goodbye")
