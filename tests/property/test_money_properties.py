"""Money: allocation sums to the whole, rounding is within half a minor unit, mixing
currencies raises."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickex.domain.errors import CurrencyMismatch
from tickex.domain.money import BASIS_POINTS, Money, round_half_even

amounts = st.integers(min_value=-(10**12), max_value=10**12)
currencies = st.sampled_from(["EUR", "USD", "JPY", "KWD", "GBP"])
weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30)


@given(amounts, currencies, weights)
def test_allocation_parts_add_up_to_the_whole(amount: int, currency: str, ws: list[int]) -> None:
    parts = Money(amount, currency).allocate(ws)
    assert len(parts) == len(ws)
    assert sum(p.amount_minor for p in parts) == amount
    assert all(p.currency == currency for p in parts)


@given(amounts, currencies, weights)
def test_each_part_is_within_one_minor_unit_of_its_exact_share(
    amount: int, currency: str, ws: list[int]
) -> None:
    parts = Money(amount, currency).allocate(ws)
    effective = ws if sum(ws) else [1] * len(ws)
    for part, w in zip(parts, effective, strict=True):
        exact = Fraction(amount * w, sum(effective))
        assert abs(part.amount_minor - exact) < 1


@given(st.integers(-(10**15), 10**15), st.integers(1, 10**9))
def test_rounding_is_within_half_a_unit_and_ties_go_to_even(num: int, den: int) -> None:
    rounded = round_half_even(num, den)
    error = abs(Fraction(num, den) - rounded)
    assert error <= Fraction(1, 2)
    if error == Fraction(1, 2):
        assert rounded % 2 == 0


@given(amounts, st.integers(0, BASIS_POINTS))
def test_percent_is_the_exact_share_rounded_half_even(amount: int, bp: int) -> None:
    result = Money(amount, "EUR").percent(bp).amount_minor
    assert abs(Fraction(amount * bp, BASIS_POINTS) - result) <= Fraction(1, 2)
    assert result == round(Fraction(amount * bp, BASIS_POINTS))  # Python rounds half-even


@given(amounts, amounts, currencies, currencies)
def test_mixing_currencies_raises(a: int, b: int, c1: str, c2: str) -> None:
    left, right = Money(a, c1), Money(b, c2)
    if c1 == c2:
        assert (left + right).amount_minor == a + b
        assert (left - right).amount_minor == a - b
        return
    for operation in (
        lambda: left + right,
        lambda: left - right,
        lambda: left < right,
        lambda: left.min(right),
    ):
        with pytest.raises(CurrencyMismatch):
            operation()


@given(amounts, amounts, amounts)
def test_addition_is_associative_and_exact(a: int, b: int, c: int) -> None:
    x, y, z = Money(a, "EUR"), Money(b, "EUR"), Money(c, "EUR")
    assert (x + y) + z == x + (y + z)
    assert (x + y - y) == x
