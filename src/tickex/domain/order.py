"""Order: one purchase. Status machine:

    pending -> paid -> partially_refunded -> refunded
    pending -> expired | failed | cancelled
    expired | cancelled | failed -> paid   (a late payment: the inventory is re-acquired,
                                            or the order is refunded at once)

Every transition is a method that checks it is allowed. Paying and refunding record a
domain event (``OrderPaid``, ``OrderRefunded``): the facts the outbox acts on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tickex.domain.errors import (
    InvalidTransition,
    PaymentMismatch,
    RefundNotAllowed,
    ValidationFailed,
)
from tickex.domain.events import DomainEvent, OrderPaid, OrderRefunded
from tickex.domain.money import Money, round_half_even
from tickex.domain.pricing import OrderLine, OrderTotals


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    EXPIRED = "expired"
    FAILED = "failed"
    CANCELLED = "cancelled"


PAID_STATES = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})


@dataclass(slots=True)
class Order:
    id: str
    code: str  # human order code, printed on tickets and emails
    event_id: str
    organizer_id: str
    customer_email: str
    lines: tuple[OrderLine, ...]
    totals: OrderTotals
    created_at: datetime
    expires_at: datetime
    customer_id: str | None = None
    customer_name: str = ""
    promo_code_id: str | None = None
    hold_id: str | None = None
    status: OrderStatus = OrderStatus.PENDING
    payment_reference: str | None = None  # the provider's checkout session id
    payment_url: str | None = None
    paid_at: datetime | None = None
    refunded: Money | None = None
    fee_refunded: Money | None = None
    status_reason: str = ""
    version: int = 0
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def place(
        cls,
        *,
        id: str,
        code: str,
        event_id: str,
        organizer_id: str,
        customer_email: str,
        lines: Sequence[OrderLine],
        totals: OrderTotals,
        now: datetime,
        expires_at: datetime,
        customer_id: str | None = None,
        customer_name: str = "",
        promo_code_id: str | None = None,
        hold_id: str | None = None,
    ) -> Order:
        return cls(
            id=id,
            code=code,
            event_id=event_id,
            organizer_id=organizer_id,
            customer_email=customer_email,
            customer_id=customer_id,
            customer_name=customer_name,
            lines=tuple(lines),
            totals=totals,
            created_at=now,
            expires_at=expires_at,
            promo_code_id=promo_code_id,
            hold_id=hold_id,
            refunded=Money.zero(totals.total.currency),
            fee_refunded=Money.zero(totals.total.currency),
        )

    # -- derived --------------------------------------------------------------------------
    @property
    def currency(self) -> str:
        return self.totals.total.currency

    @property
    def total(self) -> Money:
        return self.totals.total

    @property
    def refunded_amount(self) -> Money:
        return self.refunded or Money.zero(self.currency)

    @property
    def refundable(self) -> Money:
        return (
            self.total - self.refunded_amount
            if self.status in PAID_STATES
            else Money.zero(self.currency)
        )

    @property
    def admissions(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATES or self.status is OrderStatus.REFUNDED

    def quantities_by_type(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.ticket_type_id] = out.get(line.ticket_type_id, 0) + line.quantity
        return out

    def admission_shares(self) -> list[tuple[str, Money]]:
        """(ticket type id, share of the total) for every admission; shares sum to the total.

        The total is split over lines by their net value, then evenly within a line.
        """
        per_line = self.total.allocate([line.net.amount_minor for line in self.lines])
        out: list[tuple[str, Money]] = []
        for line, share in zip(self.lines, per_line, strict=True):
            out.extend((line.ticket_type_id, part) for part in share.allocate([1] * line.quantity))
        return out

    # -- transitions ----------------------------------------------------------------------
    def _require(self, *allowed: OrderStatus, action: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition(
                f"cannot {action} an order that is {self.status}", status=str(self.status)
            )

    def attach_payment(self, reference: str, url: str) -> None:
        self._require(OrderStatus.PENDING, action="attach a payment session to")
        self.payment_reference, self.payment_url = reference, url

    def mark_paid(self, now: datetime, amount: Money) -> None:
        """Pending -> paid. A payment can also arrive after the order expired, was cancelled
        or failed: the caller then re-acquires the inventory or refunds at once."""
        self._require(
            OrderStatus.PENDING,
            OrderStatus.EXPIRED,
            OrderStatus.CANCELLED,
            OrderStatus.FAILED,
            action="pay",
        )
        if amount != self.total:
            raise PaymentMismatch(
                f"paid {amount} but the order total is {self.total}",
                paid=amount.amount_minor,
                expected=self.total.amount_minor,
            )
        self.status = OrderStatus.PAID
        self.paid_at = now
        self.status_reason = ""
        self.events.append(OrderPaid(order_id=self.id, occurred_at=now))

    def expire(self) -> None:
        self._require(OrderStatus.PENDING, action="expire")
        self.status = OrderStatus.EXPIRED

    def fail(self, reason: str) -> None:
        self._require(OrderStatus.PENDING, action="fail")
        self.status, self.status_reason = OrderStatus.FAILED, reason

    def cancel(self, reason: str = "") -> None:
        self._require(OrderStatus.PENDING, action="cancel")
        self.status, self.status_reason = OrderStatus.CANCELLED, reason

    def record_refund(
        self, now: datetime, amount: Money, fee_part: Money, reason: str, *, complete: bool,
        at_provider: bool = False,
    ) -> None:  # fmt: skip
        """Record money returned to the buyer; never more than what was paid.

        ``complete`` says no admission of the order remains valid: the order is then
        refunded, which requires every paid minor unit to have been returned.
        ``at_provider``: the provider returned it already (nothing is to be asked of it).
        """
        self._require(*PAID_STATES, action="refund")
        if amount.amount_minor < 0 or amount > self.refundable:
            raise RefundNotAllowed(
                f"refund of {amount} exceeds the refundable {self.refundable}",
                refundable=self.refundable.amount_minor,
            )
        refunded = self.refunded_amount + amount
        if complete != (refunded == self.total) and not (self.total.is_zero and not complete):
            raise RefundNotAllowed("an order is refunded in full exactly when all its tickets are")
        self.refunded = refunded
        self.fee_refunded = (self.fee_refunded or Money.zero(self.currency)) + fee_part
        self.status = OrderStatus.REFUNDED if complete else OrderStatus.PARTIALLY_REFUNDED
        self.status_reason = reason
        self.events.append(
            OrderRefunded(
                order_id=self.id,
                amount_minor=amount.amount_minor,
                currency=self.currency,
                fee_minor=fee_part.amount_minor,
                occurred_at=now,
                at_provider=at_provider,
            )
        )

    def settle_fee_returned(self, returned: Money) -> Money:
        """The provider says how much of the platform fee it has returned in all (its own
        rounding of each refund's share): keep its figure, and answer the change to book."""
        fee = self.totals.platform_fee
        if returned.currency != self.currency or not 0 <= returned.amount_minor <= (
            fee.amount_minor
        ):
            raise ValidationFailed(f"a platform fee returned of {returned} is not of {fee}")
        change = returned - (self.fee_refunded or Money.zero(self.currency))
        self.fee_refunded = returned
        return change

    def fee_to_reverse(self, amount: Money) -> Money:
        """Platform fee returned with a refund of ``amount``: proportional to the refunded
        share of the total, computed on the running sum so a full refund returns it exactly."""
        if self.total.is_zero:
            return Money.zero(self.currency)
        after = self.refunded_amount + amount
        fee = self.totals.platform_fee
        target = Money(
            round_half_even(fee.amount_minor * after.amount_minor, self.total.amount_minor),
            self.currency,
        )
        return target - (self.fee_refunded or Money.zero(self.currency))
