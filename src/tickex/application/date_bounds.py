"""Date bounds: the one place that says which moments TickEx takes from a caller.

Two kinds of rule, because a schema cannot know what time it is:

- **Absolute sanity** (``Moment``, the type of every date-time field of a command and of
  the bodies that carry them): timezone-aware, and representable once converted to UTC
  (``0001-01-01T00:00:00+01:00`` is a valid ISO 8601 text whose UTC instant lies before
  year 1: Python cannot hold it). A value that passes is one every storage engine stores
  and reads back (years 1 to 9999 UTC, to the microsecond); anything else is a 422.
- **Relative bounds**, checked by the use cases against the :class:`~tickex.ports.clock.Clock`
  (``Window.check``): a start lies between ``now - GRACE`` (a day, so an organizer can
  still fix today's event from any time zone) and ``now + HORIZON`` (five years); an end
  lies after ``now - GRACE`` and at most ``HORIZON + MAX_SPAN`` ahead (never later than
  the latest an event may end); an event lasts at most ``MAX_SPAN`` (366 days). Event
  dates, ticket type sales windows and promo code validity all follow these rules; holds
  expire ``hold_minutes`` (1 to 1440, ``EventSettings``) after the clock's now.

Only the moments a command gives are checked: changing an event's title after it started
does not fail because its start is now in the past. Why these bounds: ADR 0026; what a
caller sees: docs/api.md, "Dates an organizer gives".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from tickex.domain.errors import DomainError

GRACE = timedelta(days=1)
HORIZON = timedelta(days=5 * 365)
MAX_SPAN = timedelta(days=366)


class DateOutOfRange(DomainError):
    """A moment outside the relative bounds; ``field`` names it."""

    code = "date_out_of_range"


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range once converted to UTC (years 1 to 9999)") from None


#: a date-time a caller gives: aware, and representable in UTC (returned in UTC)
Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]


@dataclass(frozen=True, slots=True)
class Window:
    """A pair of moments a command gives (``start`` and ``end`` name their fields), each
    optional; ``max_span``: the longest the window may last when it has both ends."""

    start: str
    end: str
    max_span: timedelta | None = None

    def check(
        self,
        now: datetime,
        start: datetime | None,
        end: datetime | None,
        given: Collection[str] | None = None,
    ) -> None:
        """Refuse given moments outside the bounds (``DateOutOfRange`` naming the field).
        ``given``: the fields the command sets (``None``: both); a moment not given is
        only read, to bound the span. That the end comes after the start is the domain
        object's own rule."""
        fields = {self.start, self.end} if given is None else set(given)
        latest_end = now + HORIZON + MAX_SPAN
        if self.start in fields and start and not now - GRACE <= start <= now + HORIZON:
            raise DateOutOfRange(
                f"{self.start} must lie between a day ago and {HORIZON.days} days ahead",
                field=self.start,
            )
        if self.end in fields and end and not now - GRACE <= end <= latest_end:
            raise DateOutOfRange(
                f"{self.end} must lie between a day ago and {(latest_end - now).days} days ahead",
                field=self.end,
            )
        touched = bool(fields & {self.start, self.end})
        if touched and self.max_span and start and end and end - start > self.max_span:
            raise DateOutOfRange(
                f"{self.end} must lie at most {self.max_span.days} days after {self.start}",
                field=self.end,
            )


EVENT_DATES = Window("starts_at", "ends_at", max_span=MAX_SPAN)
#: sales may open long before an event: a window is bounded by the range, not by a span
SALES_WINDOW = Window("sales_start", "sales_end")
PROMO_VALIDITY = Window("valid_from", "valid_until")
