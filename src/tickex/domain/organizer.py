"""Organizer: the owner of events and of a payment provider's connected account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class Organizer:
    id: str
    name: str
    email: str
    created_at: datetime
    payment_account_id: str | None = None
    version: int = 0
