"""Quota: a pool of capacity. The inventory rule is ``0 <= sold + held <= size``.

Availability is a pure calculation over counts (as pretix's ``QuotaAvailability``): a
ticket type is only as available as the least available of all its quotas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from tickex.domain.errors import ValidationFailed


class AvailabilityState(IntEnum):
    """Ordered: gone < ordered (pending holds may free up) < reserved < ok."""

    GONE = 0  # every unit is sold
    ORDERED = 1  # nothing left, but some units are only held by pending orders
    RESERVED = 2  # reserved for another reason (reserved for later use)
    OK = 3


@dataclass(frozen=True, slots=True)
class Availability:
    state: AvailabilityState
    left: int  # units that can be bought right now


@dataclass(slots=True)
class Quota:
    id: str
    event_id: str
    name: str
    size: int
    sold: int = 0
    held: int = 0
    version: int = 0

    def __post_init__(self) -> None:
        if self.size < 0 or self.sold < 0 or self.held < 0:
            raise ValidationFailed("quota counters cannot be negative")
        if self.sold + self.held > self.size:
            raise ValidationFailed("quota oversold: sold + held > size")

    @property
    def left(self) -> int:
        return self.size - self.sold - self.held

    def can_take(self, quantity: int) -> bool:
        return quantity >= 0 and self.sold + self.held + quantity <= self.size

    def availability(self) -> Availability:
        if self.left > 0:
            return Availability(AvailabilityState.OK, self.left)
        if self.held > 0:
            return Availability(AvailabilityState.ORDERED, 0)
        return Availability(AvailabilityState.GONE, 0)


def combined_availability(quotas: Iterable[Quota]) -> Availability:
    """Availability of a ticket type: the worst of all its quotas."""
    worst: Availability | None = None
    for quota in quotas:
        a = quota.availability()
        if worst is None or (a.state, a.left) < (worst.state, worst.left):
            worst = a
    if worst is None:
        raise ValidationFailed("a ticket type needs at least one quota")
    return worst
