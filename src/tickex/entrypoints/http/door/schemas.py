"""Transport schemas of the door: the staff credentials an organizer issues
(``/v1/organizer/.../staff-credentials``) and the scans of a door scanner (``/v1/scan``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from tickex.application.door.check_in import ScanResult
from tickex.domain.identity import StaffCredential
from tickex.entrypoints.http.schemas import Input, Moment, Output

ScanLabel = Annotated[str, Field(min_length=1, max_length=100)]


class IssueStaffCredentialInput(Input):
    label: Annotated[str, Field(min_length=1, max_length=200)]


class StaffCredentialOut(Output):
    id: str
    event_id: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class IssuedStaffCredentialOut(Output):
    token: str  # shown once: only its digest is stored
    credential: StaffCredentialOut


class StaffCredentialListOut(Output):
    items: list[StaffCredentialOut]


class ScanInput(Input):
    """The event is the staff credential's, never one named here."""

    token: Annotated[str, Field(min_length=1, max_length=1024)]
    nonce: Annotated[str, Field(min_length=8, max_length=100)] = Field(
        description="new for each scan, 8 to 100 characters; a retry sends the same nonce "
        "and is answered the first scan's result (replayed: true)"
    )
    gate: ScanLabel = "main"
    device: ScanLabel = "unknown"
    direction: Literal["entry", "exit"] = "entry"
    scanned_at: Moment | None = None


class ScanOut(Output):
    result: Literal["accepted", "rejected"]
    reason: str | None
    message: str
    ticket_id: str | None
    attendee_name: str
    replayed: bool


def staff_credential(value: StaffCredential) -> StaffCredentialOut:
    return StaffCredentialOut(
        id=value.id, event_id=value.event_id, label=value.label, created_at=value.created_at,
        last_used_at=value.last_used_at, revoked_at=value.revoked_at, active=value.is_active,
    )  # fmt: skip


def scan(value: ScanResult) -> ScanOut:
    decision = value.decision
    return ScanOut(
        result="accepted" if decision.accepted else "rejected",
        reason=decision.reason.value if decision.reason else None,
        message=decision.message, ticket_id=value.ticket_id,
        attendee_name=value.attendee_name, replayed=value.replayed,
    )  # fmt: skip
