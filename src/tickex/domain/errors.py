"""Domain errors. Every error carries a stable snake_case ``code`` that the HTTP layer
maps to a problem+json response; messages are for humans and may change."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every rule violation. ``code`` is stable; ``detail`` is free text."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}: {self.detail})"


class ValidationFailed(DomainError):
    code = "validation_failed"


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"


class UnsupportedCurrency(DomainError):
    code = "unsupported_currency"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class NotFound(DomainError):
    """Unknown id, or an id that belongs to somebody else (never tell the two apart)."""

    code = "not_found"


class Conflict(DomainError):
    """A unique value (slug, code) is already taken."""

    code = "conflict"


class ConcurrencyConflict(DomainError):
    """Somebody else changed the aggregate since it was read; the use case retries."""

    code = "concurrency_conflict"


class SoldOut(DomainError):
    code = "sold_out"


class NotOnSale(DomainError):
    code = "not_on_sale"


class OrderLimitExceeded(DomainError):
    code = "order_limit_exceeded"


class PromoCodeInvalid(DomainError):
    code = "promo_code_invalid"


class PromoCodeExhausted(DomainError):
    code = "promo_code_exhausted"


class TotalChanged(DomainError):
    """The total the buyer confirmed differs from the total computed now."""

    code = "total_changed"


class PaymentMismatch(DomainError):
    code = "payment_mismatch"


class RefundNotAllowed(DomainError):
    code = "refund_not_allowed"


class LedgerUnbalanced(DomainError):
    code = "ledger_unbalanced"


class Forbidden(DomainError):
    """The actor is known but may not do this (a missing role). Only for actions, never
    for another tenant's data: that answers ``NotFound``."""

    code = "forbidden"


class InvalidCredentials(DomainError):
    """Wrong email or password: one error, never saying which."""

    code = "invalid_credentials"


class AccountDisabled(DomainError):
    code = "account_disabled"


class TooManyAttempts(DomainError):
    """Too many attempts on one account (login); ``retry_after_seconds`` in the context."""

    code = "rate_limited"
