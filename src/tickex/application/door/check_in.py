"""check_in: a scan at the door. The token is verified first; the decision is made under
optimistic concurrency on the ticket (two scanners, one admission); a client ``nonce``
makes retries harmless; offline scans keep the time the scanner saw them (at most
``MAX_OFFLINE_AGE`` ago)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from pydantic import Field

from tickex.application.command import Choice, Command, Id
from tickex.application.date_bounds import DateOutOfRange, Moment
from tickex.application.services import Core
from tickex.domain.check_in import (
    CheckIn,
    CheckInDecision,
    CheckInResult,
    RejectionReason,
    ScanDirection,
    decide_check_in,
)
from tickex.domain.clock import require_aware
from tickex.domain.errors import NotFound, ValidationFailed
from tickex.ports.unit_of_work import UnitOfWork

MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_OFFLINE_AGE = timedelta(days=7)  # how long a scanner may keep the scans it made offline

Label = Annotated[str, Field(min_length=1, max_length=100)]


class CheckInTicket(Command):
    event_id: Id
    token: Annotated[str, Field(min_length=1, max_length=1024)]  # what the QR code carries
    nonce: Annotated[str, Field(min_length=8, max_length=100)]  # unique per scan attempt
    gate: Label = "main"
    device: Label = "unknown"
    staff: Annotated[str, Field(max_length=100)] = ""
    direction: Choice[ScanDirection] = ScanDirection.ENTRY
    scanned_at: Moment | None = None  # offline scans: when the scanner saw it


@dataclass(frozen=True, slots=True)
class ScanResult:
    decision: CheckInDecision
    ticket_id: str | None
    attendee_name: str
    ticket_type_id: str | None
    replayed: bool  # this nonce was seen before; the first answer is repeated


def check_in(services: Core, command: CheckInTicket) -> ScanResult:
    now = services.clock.now()
    scanned_at = require_aware(command.scanned_at, "scanned_at") if command.scanned_at else now
    if scanned_at > now + MAX_CLOCK_SKEW:
        raise ValidationFailed("scanned_at is in the future", field="scanned_at")
    if scanned_at < now - MAX_OFFLINE_AGE:
        raise DateOutOfRange(
            f"scanned_at must lie within the last {MAX_OFFLINE_AGE.days} days", field="scanned_at"
        )
    claims = services.signer.verify(command.token)

    def work(uow: UnitOfWork) -> ScanResult:
        event = uow.events.get(command.event_id)
        if event is None:
            raise NotFound("event not found")
        seen = uow.check_ins.get_by_nonce(event.id, command.nonce)
        if seen is not None:
            decision = CheckInDecision(seen.result, seen.reason, "repeated scan")
            ticket = uow.tickets.get(seen.ticket_id) if seen.ticket_id else None
            return ScanResult(decision, seen.ticket_id, ticket.attendee_name if ticket else "",
                              ticket.ticket_type_id if ticket else None, replayed=True)  # fmt: skip
        ticket = uow.tickets.get_by_secret(claims.ticket_secret) if claims else None
        order = uow.orders.get(ticket.order_id) if ticket else None
        if claims is None:
            decision = CheckInDecision(CheckInResult.REJECTED, RejectionReason.INVALID_SIGNATURE,
                                       "this code is not a valid ticket")  # fmt: skip
        elif ticket is None or order is None:
            decision = CheckInDecision(CheckInResult.REJECTED, RejectionReason.UNKNOWN_TICKET,
                                       "unknown ticket")  # fmt: skip
        else:
            decision = decide_check_in(ticket, order, event, event.id, command.direction)
        if decision.accepted and ticket is not None:
            by = command.staff or command.device
            if command.direction is ScanDirection.ENTRY:
                ticket.check_in(min(scanned_at, now), by)
            else:
                ticket.undo_check_in()
            uow.tickets.save(ticket)  # raises ConcurrencyConflict if another scan won
        uow.check_ins.add(
            CheckIn(
                id=services.ids.new_id(), event_id=event.id,
                ticket_id=ticket.id if ticket else None, gate=command.gate,
                device=command.device, direction=command.direction, scanned_at=scanned_at,
                recorded_at=now, result=decision.result, reason=decision.reason,
                nonce=command.nonce,
            )
        )  # fmt: skip
        return ScanResult(decision, ticket.id if ticket else None,
                          ticket.attendee_name if ticket else "",
                          ticket.ticket_type_id if ticket else None, replayed=False)  # fmt: skip

    return services.transaction(work)
