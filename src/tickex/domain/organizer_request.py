"""OrganizerRequest: a user asks for the organizer role and an admin decides.

Status ``pending -> approved | rejected``; each decision happens once and records who made
it and when. Approving names the Organizer that was created for the user; rejecting keeps
the admin's reason (it is told to the user). A user has at most one pending request at a
time: storage enforces it (a unique rule over the pending requests), so two racing asks
cannot both go in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tickex.domain.clock import require_aware
from tickex.domain.errors import InvalidTransition, ValidationFailed

MAX_ORGANIZER_NAME = 200
MAX_NOTE = 1000  # what the user tells the admin
MAX_REASON = 1000  # what the admin tells the user on a rejection


class OrganizerRequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def _bounded(value: str, name: str, limit: int, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise ValidationFailed(f"{name} is needed", field=name)
    if len(text) > limit:
        raise ValidationFailed(f"{name} is longer than {limit} characters", field=name)
    return text


@dataclass(slots=True)
class OrganizerRequest:
    id: str
    user_id: str
    organizer_name: str
    created_at: datetime
    note: str | None = None
    status: OrganizerRequestStatus = OrganizerRequestStatus.PENDING
    decided_at: datetime | None = None
    decided_by: str | None = None  # the admin's user id
    reason: str | None = None  # why it was rejected
    organizer_id: str | None = None  # the organizer created on approval
    version: int = 0

    def __post_init__(self) -> None:
        self.organizer_name = _bounded(
            self.organizer_name, "organizer_name", MAX_ORGANIZER_NAME, required=True
        )
        if self.note is not None:
            self.note = _bounded(self.note, "note", MAX_NOTE, required=False) or None
        self.created_at = require_aware(self.created_at, "created_at")

    @property
    def is_pending(self) -> bool:
        return self.status is OrganizerRequestStatus.PENDING

    def _decide(self, status: OrganizerRequestStatus, admin_id: str, now: datetime) -> None:
        if not self.is_pending:
            raise InvalidTransition(f"the request was already {self.status.value}")
        if not admin_id:
            raise ValidationFailed("a decision needs the admin who made it", field="decided_by")
        self.status = status
        self.decided_by = admin_id
        self.decided_at = require_aware(now, "now")

    def approve(self, admin_id: str, organizer_id: str, now: datetime) -> None:
        """pending -> approved, for the organizer just created for the user."""
        if not organizer_id:
            raise ValidationFailed("an approval needs the organizer it created")
        self._decide(OrganizerRequestStatus.APPROVED, admin_id, now)
        self.organizer_id = organizer_id

    def reject(self, admin_id: str, reason: str, now: datetime) -> None:
        """pending -> rejected, with the reason the user is told."""
        reason = _bounded(reason, "reason", MAX_REASON, required=True)
        self._decide(OrganizerRequestStatus.REJECTED, admin_id, now)
        self.reason = reason
