"""TicketType: what a buyer chooses. It draws from its own quota and any shared ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tickex.domain.clock import require_aware
from tickex.domain.errors import ValidationFailed
from tickex.domain.money import Money


@dataclass(slots=True)
class TicketType:
    id: str
    event_id: str
    name: str
    price: Money
    quota_id: str  # its own quota, sized quantity_total
    shared_quota_ids: tuple[str, ...] = ()
    description: str = ""
    sales_start: datetime | None = None
    sales_end: datetime | None = None
    min_per_order: int = 1
    max_per_order: int = 10
    max_per_customer: int | None = None
    hidden: bool = False  # only sold with a promo code that unlocks it
    position: int = 0
    version: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.price.amount_minor < 0:
            raise ValidationFailed("a price cannot be negative", field="price")
        if self.sales_start is not None:
            self.sales_start = require_aware(self.sales_start, "sales_start")
        if self.sales_end is not None:
            self.sales_end = require_aware(self.sales_end, "sales_end")
        if self.sales_start and self.sales_end and self.sales_end <= self.sales_start:
            raise ValidationFailed("sales must end after they start", field="sales_end")
        if not 1 <= self.min_per_order <= self.max_per_order:
            raise ValidationFailed("need 1 <= min_per_order <= max_per_order")
        if self.max_per_customer is not None and self.max_per_customer < 1:
            raise ValidationFailed("max_per_customer must be at least 1")

    @property
    def quota_ids(self) -> tuple[str, ...]:
        """Every quota this type draws from, sorted: the order guards are taken in."""
        return tuple(sorted({self.quota_id, *self.shared_quota_ids}))

    def sales_window_open(self, now: datetime) -> bool:
        if self.sales_start is not None and now < self.sales_start:
            return False
        return not (self.sales_end is not None and now >= self.sales_end)
