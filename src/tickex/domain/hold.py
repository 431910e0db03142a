"""Hold: inventory reserved for a pending order until ``expires_at``.

A hold ends exactly once: converted (the order was paid) or released (expired or
cancelled). Repositories end it with a conditional write so that ending twice is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class HoldStatus(StrEnum):
    ACTIVE = "active"
    CONVERTED = "converted"
    RELEASED = "released"


@dataclass(frozen=True, slots=True)
class HoldItem:
    quota_id: str
    quantity: int


@dataclass(slots=True)
class Hold:
    id: str
    order_id: str
    event_id: str
    items: tuple[HoldItem, ...]  # one per quota, sorted by quota id
    expires_at: datetime
    promo_code_id: str | None = None
    status: HoldStatus = HoldStatus.ACTIVE

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at
