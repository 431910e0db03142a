"""Per-account limits of the identity use cases (log-in attempts, reset requests), counted
by the ``RateLimiter`` port. They fail open: when the limiter cannot be reached, the
per-address limits of the entrypoint still hold, and nobody is locked out of their account
by a Redis outage."""

from __future__ import annotations

from tickex.application.services import NeedsIdentity
from tickex.ports.rate_limit import RateLimitDecision, RateLimiterUnavailable


def refusal(
    services: NeedsIdentity, key: str, limit: int, window_seconds: int
) -> RateLimitDecision | None:
    """Count a hit for ``key``: the refusing decision when ``limit`` hits were used up in
    the last ``window_seconds``, None when allowed or when the limiter is unavailable."""
    try:
        decision = services.identity.rate_limiter.hit(key, limit, window_seconds)
    except RateLimiterUnavailable:
        return None
    return None if decision.allowed else decision
