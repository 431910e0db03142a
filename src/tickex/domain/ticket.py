"""Ticket: one admission, issued once when its order is paid.

Status: active -> checked_in (staff may undo: checked_in -> active), active -> revoked;
while its payment is disputed (a chargeback): active -> frozen, then frozen -> active
(the dispute was won) or frozen -> revoked (lost). A frozen ticket does not admit.
Its ``secret`` is distinct from its id and from the order code; the QR code carries a
signed token over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tickex.domain.errors import InvalidTransition
from tickex.domain.money import Money


class TicketStatus(StrEnum):
    ACTIVE = "active"
    CHECKED_IN = "checked_in"
    REVOKED = "revoked"
    FROZEN = "frozen"


@dataclass(slots=True)
class Ticket:
    id: str
    order_id: str
    event_id: str
    ticket_type_id: str
    secret: str
    price_paid: Money  # this admission's share of the order total
    issued_at: datetime
    attendee_name: str = ""
    attendee_email: str = ""
    status: TicketStatus = TicketStatus.ACTIVE
    checked_in_at: datetime | None = None
    checked_in_by: str = ""
    version: int = 0

    @classmethod
    def issue(
        cls,
        *,
        id: str,
        order_id: str,
        event_id: str,
        ticket_type_id: str,
        secret: str,
        price_paid: Money,
        now: datetime,
        attendee_name: str = "",
        attendee_email: str = "",
    ) -> Ticket:
        return cls(
            id=id,
            order_id=order_id,
            event_id=event_id,
            ticket_type_id=ticket_type_id,
            secret=secret,
            price_paid=price_paid,
            issued_at=now,
            attendee_name=attendee_name,
            attendee_email=attendee_email,
        )

    def check_in(self, now: datetime, by: str) -> None:
        if self.status is not TicketStatus.ACTIVE:
            raise InvalidTransition(f"cannot check in a ticket that is {self.status}")
        self.status, self.checked_in_at, self.checked_in_by = TicketStatus.CHECKED_IN, now, by

    def undo_check_in(self) -> None:
        """Exit scan or staff correction: checked_in -> active."""
        if self.status is not TicketStatus.CHECKED_IN:
            raise InvalidTransition(f"cannot undo the check-in of a ticket that is {self.status}")
        self.status, self.checked_in_at, self.checked_in_by = TicketStatus.ACTIVE, None, ""

    def revoke(self) -> None:
        if self.status not in (TicketStatus.ACTIVE, TicketStatus.FROZEN):
            raise InvalidTransition(f"cannot revoke a ticket that is {self.status}")
        self.status = TicketStatus.REVOKED

    def freeze(self) -> None:
        """Its payment is disputed: it stops admitting until the dispute is decided."""
        if self.status is not TicketStatus.ACTIVE:
            raise InvalidTransition(f"cannot freeze a ticket that is {self.status}")
        self.status = TicketStatus.FROZEN

    def reinstate(self) -> None:
        """The dispute was decided for the seller: it admits again."""
        if self.status is not TicketStatus.FROZEN:
            raise InvalidTransition(f"cannot reinstate a ticket that is {self.status}")
        self.status = TicketStatus.ACTIVE
