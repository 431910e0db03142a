"""Pricing: promo discounts spread over lines, tax inclusive or exclusive, the platform fee."""

from __future__ import annotations

import pytest

from tickex.domain.errors import ValidationFailed
from tickex.domain.event import EventSettings, FeePolicy, TaxMode
from tickex.domain.money import Money
from tickex.domain.pricing import OrderLine, PlatformFee, compute_totals, price_lines
from tickex.domain.promo_code import DiscountKind, PromoCode
from tickex.domain.ticket_type import TicketType
from tickex.testing import builders

NO_FEE = PlatformFee(0, 0)


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


def ticket_type(type_id: str, price: int) -> TicketType:
    return builders.ticket_type(id=type_id, price=eur(price))


def percent_code(bp: int, *type_ids: str) -> PromoCode:
    return builders.promo_code(kind=DiscountKind.PERCENT, percent_bp=bp, ticket_type_ids=type_ids)


def fixed_code(amount: int, *type_ids: str) -> PromoCode:
    return builders.promo_code(
        kind=DiscountKind.FIXED, percent_bp=0, fixed=eur(amount), ticket_type_ids=type_ids
    )


def line(price: int, quantity: int = 1, discount: int = 0, type_id: str = "tt-1") -> OrderLine:
    return OrderLine(type_id, quantity, eur(price), eur(discount))


def settings(**kw: object) -> EventSettings:
    return EventSettings(**kw)  # type: ignore[arg-type]


GA, VIP = ticket_type("tt-ga", 2500), ticket_type("tt-vip", 6000)


# -- price_lines ----------------------------------------------------------------------------


def test_lines_without_a_promo_carry_no_discount() -> None:
    lines = price_lines([(GA, 2), (VIP, 1)], None)
    assert [(li.ticket_type_id, li.quantity, li.subtotal) for li in lines] == [
        ("tt-ga", 2, eur(5000)),
        ("tt-vip", 1, eur(6000)),
    ]
    assert all(li.discount == eur(0) for li in lines)


def test_an_order_needs_at_least_one_line() -> None:
    with pytest.raises(ValidationFailed):
        price_lines([], None)


def test_percent_code_without_types_discounts_every_line() -> None:
    lines = price_lines([(GA, 2), (VIP, 1)], percent_code(1000))
    assert [li.discount for li in lines] == [eur(500), eur(600)]


def test_percent_code_discounts_only_the_types_it_names() -> None:
    lines = price_lines([(GA, 2), (VIP, 1)], percent_code(1000, "tt-vip"))
    assert [li.discount for li in lines] == [eur(0), eur(600)]


def test_percent_discount_is_rounded_half_even_per_line() -> None:
    cheap = ticket_type("tt-cheap", 25)
    lines = price_lines([(cheap, 1), (ticket_type("tt-b", 75), 1)], percent_code(1000))
    assert [li.discount for li in lines] == [eur(2), eur(8)]  # 2.5 -> 2, 7.5 -> 8


def test_fixed_code_is_spread_over_lines_by_their_subtotal() -> None:
    lines = price_lines([(GA, 2), (VIP, 1)], fixed_code(1100))  # subtotals 5000 and 6000
    assert [li.discount for li in lines] == [eur(500), eur(600)]


def test_fixed_code_spread_sums_exactly_to_the_amount() -> None:
    a, b, c = ticket_type("tt-a", 100), ticket_type("tt-b", 100), ticket_type("tt-c", 100)
    lines = price_lines([(a, 1), (b, 1), (c, 1)], fixed_code(100))
    assert sum(li.discount.amount_minor for li in lines) == 100
    assert [li.discount for li in lines] == [eur(34), eur(33), eur(33)]


def test_fixed_code_is_spread_over_applicable_lines_only() -> None:
    lines = price_lines([(GA, 2), (VIP, 1)], fixed_code(1000, "tt-ga"))
    assert [li.discount for li in lines] == [eur(1000), eur(0)]


def test_fixed_code_is_capped_at_the_applicable_subtotal() -> None:
    lines = price_lines([(GA, 1), (VIP, 1)], fixed_code(10_000, "tt-ga"))
    assert [li.discount for li in lines] == [eur(2500), eur(0)]
    assert [li.net for li in lines] == [eur(0), eur(6000)]


def test_fixed_code_never_makes_a_line_negative() -> None:
    lines = price_lines([(GA, 1), (VIP, 1)], fixed_code(1_000_000))
    assert [li.net for li in lines] == [eur(0), eur(0)]


def test_fixed_code_for_types_not_in_the_order_discounts_nothing() -> None:
    lines = price_lines([(GA, 1)], fixed_code(500, "tt-other"))
    assert lines[0].discount == eur(0)


# -- compute_totals: tax --------------------------------------------------------------------


def test_totals_add_up_lines_and_discounts() -> None:
    totals = compute_totals([line(2500, 2, 500), line(6000, 1)], settings(), NO_FEE)
    assert (totals.subtotal, totals.discount, totals.total) == (eur(11_000), eur(500), eur(10_500))


def test_no_tax_rate_means_no_tax() -> None:
    assert compute_totals([line(10_000)], settings(), NO_FEE).tax == eur(0)


def test_inclusive_tax_is_extracted_from_the_price() -> None:
    s = settings(tax_rate_bp=1900, tax_mode=TaxMode.INCLUSIVE)
    totals = compute_totals([line(11_900)], s, NO_FEE)
    assert totals.tax == eur(1900)
    assert totals.total == eur(11_900)


def test_inclusive_tax_is_rounded_half_even() -> None:
    s = settings(tax_rate_bp=600, tax_mode=TaxMode.INCLUSIVE)
    # 4500 / 1.06 = 4245.28 -> net 4245, tax 255
    assert compute_totals([line(4500)], s, NO_FEE).tax == eur(255)


def test_exclusive_tax_is_added_on_top() -> None:
    s = settings(tax_rate_bp=1900, tax_mode=TaxMode.EXCLUSIVE)
    totals = compute_totals([line(10_000)], s, NO_FEE)
    assert totals.tax == eur(1900)
    assert totals.total == eur(11_900)


def test_tax_is_computed_after_the_discount() -> None:
    s = settings(tax_rate_bp=1000, tax_mode=TaxMode.EXCLUSIVE)
    totals = compute_totals([line(10_000, 1, 2000)], s, NO_FEE)
    assert totals.tax == eur(800)
    assert totals.total == eur(8800)


# -- compute_totals: platform fee -----------------------------------------------------------


def test_pass_on_fee_is_added_to_what_the_buyer_pays() -> None:
    s = settings(fee_policy=FeePolicy.PASS_ON)
    totals = compute_totals([line(2500, 2)], s, PlatformFee(300, 0))
    assert totals.platform_fee == eur(150)
    assert totals.total == eur(5150)


def test_absorbed_fee_is_not_added_but_still_computed() -> None:
    s = settings(fee_policy=FeePolicy.ABSORB)
    totals = compute_totals([line(2500, 2)], s, PlatformFee(300, 0))
    assert totals.platform_fee == eur(150)
    assert totals.total == eur(5000)


def test_fee_is_computed_on_the_ticket_value_including_exclusive_tax() -> None:
    s = settings(tax_rate_bp=1900, tax_mode=TaxMode.EXCLUSIVE, fee_policy=FeePolicy.PASS_ON)
    totals = compute_totals([line(10_000)], s, PlatformFee(300, 0))
    assert totals.platform_fee == eur(357)  # 3 % of 11 900
    assert totals.total == eur(12_257)


def test_fixed_fee_is_charged_per_paid_ticket() -> None:
    totals = compute_totals([line(2500, 3)], settings(), PlatformFee(0, 50))
    assert totals.platform_fee == eur(150)


def test_free_tickets_carry_no_fee() -> None:
    totals = compute_totals([line(0, 4)], settings(), PlatformFee(300, 50))
    assert totals.platform_fee == eur(0)
    assert totals.total == eur(0)


def test_free_lines_do_not_count_towards_the_fixed_fee() -> None:
    lines = [line(2500, 2, type_id="tt-paid"), line(0, 3, type_id="tt-free")]
    assert compute_totals(lines, settings(), PlatformFee(0, 50)).platform_fee == eur(100)


def test_fully_discounted_lines_do_not_count_towards_the_fixed_fee() -> None:
    lines = [line(2500, 2, discount=5000, type_id="tt-a"), line(1000, 1, type_id="tt-b")]
    assert compute_totals(lines, settings(), PlatformFee(0, 50)).platform_fee == eur(50)


def test_fee_never_exceeds_the_ticket_value() -> None:
    totals = compute_totals([line(100, 2)], settings(), PlatformFee(300, 500))
    assert totals.platform_fee == eur(200)
    assert totals.total == eur(400)


def test_fee_never_exceeds_the_ticket_value_when_absorbed() -> None:
    s = settings(fee_policy=FeePolicy.ABSORB)
    totals = compute_totals([line(100)], s, PlatformFee(10_000, 500))
    assert totals.platform_fee == eur(100)
    assert totals.total == eur(100)


@pytest.mark.parametrize(("percent_bp", "fixed"), [(-1, 0), (10_001, 0), (0, -1)])
def test_platform_fee_out_of_range_is_refused(percent_bp: int, fixed: int) -> None:
    with pytest.raises(ValidationFailed):
        PlatformFee(percent_bp, fixed)
