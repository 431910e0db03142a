"""Time rules shared by the domain: every datetime is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from tickex.domain.errors import ValidationFailed


def require_aware(value: datetime, name: str) -> datetime:
    """Return ``value`` converted to UTC; naive datetimes are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(f"{name} must be timezone-aware", field=name)
    return value.astimezone(UTC)
