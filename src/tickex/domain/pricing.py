"""Pricing: turns the lines a buyer asked for into priced lines and order totals.

Pure arithmetic over Money; percent values are basis points rounded half-even once each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tickex.domain.errors import ValidationFailed
from tickex.domain.event import EventSettings, FeePolicy, TaxMode
from tickex.domain.money import BASIS_POINTS, Money, round_half_even
from tickex.domain.promo_code import DiscountKind, PromoCode
from tickex.domain.ticket_type import TicketType


@dataclass(frozen=True, slots=True)
class PlatformFee:
    """The platform's fee: a percentage of the ticket value plus a fixed part per paid
    ticket (in the event's currency's minor units). Free tickets carry no fee."""

    percent_bp: int = 300
    fixed_minor_per_ticket: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.percent_bp <= BASIS_POINTS or self.fixed_minor_per_ticket < 0:
            raise ValidationFailed("platform fee out of range")


@dataclass(frozen=True, slots=True)
class OrderLine:
    ticket_type_id: str
    quantity: int
    unit_price: Money
    discount: Money  # on the whole line

    @property
    def subtotal(self) -> Money:
        return self.unit_price.times(self.quantity)

    @property
    def net(self) -> Money:
        return self.subtotal - self.discount


@dataclass(frozen=True, slots=True)
class OrderTotals:
    subtotal: Money
    discount: Money
    tax: Money
    platform_fee: Money
    total: Money  # what the buyer pays


def tax_of(net: Money, settings: EventSettings) -> Money:
    """Tax contained in (inclusive) or added to (exclusive) a net amount."""
    rate = settings.tax_rate_bp
    if rate == 0:
        return Money.zero(net.currency)
    if settings.tax_mode is TaxMode.EXCLUSIVE:
        return net.percent(rate)
    gross = net.amount_minor
    return Money(gross - round_half_even(gross * BASIS_POINTS, BASIS_POINTS + rate), net.currency)


def price_lines(
    requested: Sequence[tuple[TicketType, int]], promo: PromoCode | None
) -> list[OrderLine]:
    """Price each (ticket type, quantity) and spread the promo discount over the lines."""
    if not requested:
        raise ValidationFailed("an order needs at least one line")
    currency = requested[0][0].price.currency
    subtotals = [tt.price.times(qty) for tt, qty in requested]
    discounts = [Money.zero(currency) for _ in requested]
    if promo is not None:
        applicable = [i for i, (tt, _) in enumerate(requested) if promo.applies_to(tt.id)]
        if promo.kind is DiscountKind.PERCENT:
            for i in applicable:
                discounts[i] = subtotals[i].percent(promo.percent_bp)
        elif applicable and promo.fixed is not None:
            base = Money.sum((subtotals[i] for i in applicable), currency)
            off = promo.fixed.min(base)
            parts = off.allocate([subtotals[i].amount_minor for i in applicable])
            for i, part in zip(applicable, parts, strict=True):
                discounts[i] = part
    return [OrderLine(tt.id, qty, tt.price, discounts[i]) for i, (tt, qty) in enumerate(requested)]


def compute_totals(
    lines: Sequence[OrderLine], settings: EventSettings, fee: PlatformFee
) -> OrderTotals:
    currency = settings.currency
    subtotal = Money.sum((line.subtotal for line in lines), currency)
    discount = Money.sum((line.discount for line in lines), currency)
    net = subtotal - discount
    tax = tax_of(net, settings)
    ticket_value = net + tax if settings.tax_mode is TaxMode.EXCLUSIVE else net
    paid_tickets = sum(line.quantity for line in lines if line.net.amount_minor > 0)
    platform_fee = Money.zero(currency)
    if ticket_value.amount_minor > 0:
        platform_fee = ticket_value.percent(fee.percent_bp) + Money(
            fee.fixed_minor_per_ticket * paid_tickets, currency
        )
        platform_fee = platform_fee.min(ticket_value)  # a fee never exceeds the sale
    total = (
        ticket_value + platform_fee if settings.fee_policy is FeePolicy.PASS_ON else ticket_value
    )
    return OrderTotals(subtotal, discount, tax, platform_fee, total)
