"""Time rules shared by the domain: every datetime is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from tickex.domain.errors import ValidationFailed


def require_aware(value: datetime, name: str) -> datetime:
    """Return ``value`` converted to UTC; naive datetimes, and those whose UTC instant
    Python cannot hold (``0001-01-01T00:00:00+01:00``), are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(f"{name} must be timezone-aware", field=name)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationFailed(f"{name} is out of range in UTC", field=name) from None
