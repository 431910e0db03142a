"""PromoCode: a percent or fixed discount with a usage cap, a validity window, the ticket
types it applies to, and possibly hidden ticket types it unlocks. Its uses obey the same
atomic rule as inventory: ``0 <= uses <= max_uses``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tickex.domain.clock import require_aware
from tickex.domain.errors import PromoCodeInvalid, ValidationFailed
from tickex.domain.money import BASIS_POINTS, Money

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")


class DiscountKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"  # a fixed amount off the order's applicable lines


def normalize_code(code: str) -> str:
    """Codes are case-insensitive: stored and compared upper-case."""
    return code.strip().upper()


@dataclass(slots=True)
class PromoCode:
    id: str
    event_id: str
    code: str
    kind: DiscountKind
    percent_bp: int = 0
    fixed: Money | None = None
    max_uses: int | None = None
    uses: int = 0
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    ticket_type_ids: tuple[str, ...] = ()  # empty: every ticket type of the event
    unlocks_hidden: bool = False
    version: int = 0

    def __post_init__(self) -> None:
        self.code = normalize_code(self.code)
        if not _CODE.match(self.code):
            raise ValidationFailed("a code is 3-40 letters, digits, '-' or '_'", field="code")
        if self.kind is DiscountKind.PERCENT:
            if not 0 < self.percent_bp <= BASIS_POINTS or self.fixed is not None:
                raise ValidationFailed("a percent code needs 1..10000 basis points")
        elif self.fixed is None or self.fixed.amount_minor <= 0 or self.percent_bp:
            raise ValidationFailed("a fixed code needs a positive amount")
        if self.max_uses is not None and self.max_uses < 1:
            raise ValidationFailed("max_uses must be at least 1")
        if self.valid_from is not None:
            self.valid_from = require_aware(self.valid_from, "valid_from")
        if self.valid_until is not None:
            self.valid_until = require_aware(self.valid_until, "valid_until")

    def applies_to(self, ticket_type_id: str) -> bool:
        return not self.ticket_type_ids or ticket_type_id in self.ticket_type_ids

    def unlocks(self, ticket_type_id: str) -> bool:
        return self.unlocks_hidden and self.applies_to(ticket_type_id)

    def check_valid(self, now: datetime) -> None:
        if self.valid_from is not None and now < self.valid_from:
            raise PromoCodeInvalid("this code is not valid yet")
        if self.valid_until is not None and now >= self.valid_until:
            raise PromoCodeInvalid("this code has expired")
