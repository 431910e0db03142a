"""Money: integer minor units of one ISO 4217 currency; one rounding rule; exact splits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from tickex.domain.errors import CurrencyMismatch, UnsupportedCurrency, ValidationFailed
from tickex.domain.money import Money, currency_exponent, round_half_even


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


# -- construction ---------------------------------------------------------------------------


def test_money_is_integer_minor_units_and_a_currency() -> None:
    m = Money(1250, "EUR")
    assert (m.amount_minor, m.currency) == (1250, "EUR")


@pytest.mark.parametrize("amount", [True, False, 12.5, 12.0, "1250", None])
def test_amount_must_be_a_plain_int(amount: object) -> None:
    with pytest.raises(ValidationFailed):
        Money(amount, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["XYZ", "eur", "EURO", "", "DEM"])
def test_unsupported_currency_is_refused(currency: str) -> None:
    with pytest.raises(UnsupportedCurrency) as exc:
        Money(100, currency)
    assert exc.value.code == "unsupported_currency"


def test_zero_is_zero_in_its_currency() -> None:
    assert Money.zero("JPY") == Money(0, "JPY")
    assert Money.zero("JPY").is_zero


def test_currency_exponents() -> None:
    assert [currency_exponent(c) for c in ("EUR", "JPY", "KWD")] == [2, 0, 3]


def test_same_amount_in_other_currency_is_not_equal() -> None:
    assert Money(100, "EUR") != Money(100, "USD")


def test_money_is_hashable_by_value() -> None:
    assert {eur(5), eur(5), eur(6)} == {eur(5), eur(6)}


# -- arithmetic -----------------------------------------------------------------------------


def test_add_subtract_negate() -> None:
    assert eur(1000) + eur(250) == eur(1250)
    assert eur(1000) - eur(1250) == eur(-250)
    assert -eur(300) == eur(-300)


def test_times_multiplies_by_a_quantity() -> None:
    assert eur(2500).times(3) == eur(7500)
    assert eur(2500).times(0) == eur(0)


def test_comparisons_within_one_currency() -> None:
    assert eur(1) < eur(2) <= eur(2) < eur(3)
    assert eur(3) > eur(2) >= eur(2)


def test_min_returns_the_smaller_amount() -> None:
    assert eur(5).min(eur(3)) == eur(3)
    assert eur(3).min(eur(5)) == eur(3)


def test_sum_of_nothing_is_zero() -> None:
    assert Money.sum([], "EUR") == eur(0)


def test_sum_adds_every_item() -> None:
    assert Money.sum([eur(1), eur(2), eur(3)], "EUR") == eur(6)


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
        lambda a, b: a.min(b),
    ],
)
def test_mixing_currencies_raises_currency_mismatch(
    combine: Callable[[Money, Money], object],
) -> None:
    with pytest.raises(CurrencyMismatch) as exc:
        combine(eur(100), Money(100, "USD"))
    assert exc.value.code == "currency_mismatch"


def test_sum_refuses_items_in_another_currency() -> None:
    with pytest.raises(CurrencyMismatch):
        Money.sum([eur(1), Money(1, "USD")], "EUR")


def test_adding_a_plain_number_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        eur(100) + 5  # type: ignore[operator]


# -- percent: one rounding rule, half-even ---------------------------------------------------


def test_percent_of_an_amount_in_basis_points() -> None:
    assert eur(2000).percent(1900) == eur(380)
    assert eur(2500).percent(10_000) == eur(2500)
    assert eur(2500).percent(0) == eur(0)


def test_percent_rounds_to_the_nearest_minor_unit() -> None:
    assert eur(2).percent(250) == eur(0)  # 0.05 -> 0
    assert eur(33).percent(2000) == eur(7)  # 6.6 -> 7
    assert eur(31).percent(2000) == eur(6)  # 6.2 -> 6


@pytest.mark.parametrize(
    ("amount", "bp", "expected"),
    [
        (1, 5000, 0),  # 0.5 -> 0
        (3, 5000, 2),  # 1.5 -> 2
        (5, 5000, 2),  # 2.5 -> 2
        (7, 5000, 4),  # 3.5 -> 4
        (-1, 5000, 0),  # -0.5 -> 0
        (-3, 5000, -2),  # -1.5 -> -2
        (-5, 5000, -2),  # -2.5 -> -2
        (20, 250, 0),  # 0.5 -> 0
        (60, 250, 2),  # 1.5 -> 2
    ],
)
def test_percent_ties_go_to_the_even_neighbour(amount: int, bp: int, expected: int) -> None:
    assert eur(amount).percent(bp) == eur(expected)


def test_round_half_even_with_a_negative_denominator() -> None:
    assert round_half_even(7, -2) == -4  # -3.5 -> -4
    assert round_half_even(5, -2) == -2  # -2.5 -> -2


def test_round_half_even_refuses_division_by_zero() -> None:
    with pytest.raises(ValidationFailed):
        round_half_even(1, 0)


# -- allocate -------------------------------------------------------------------------------


def test_allocate_splits_evenly_and_gives_the_leftover_to_the_first() -> None:
    assert eur(100).allocate([1, 1, 1]) == [eur(34), eur(33), eur(33)]


def test_allocate_is_proportional_to_the_weights() -> None:
    assert eur(1000).allocate([1, 3]) == [eur(250), eur(750)]


def test_allocate_leftover_goes_to_the_largest_remainder() -> None:
    # exact shares 1.4, 2.6, 6.0 -> floors 1, 2, 6; one unit left for the 0.6 remainder
    parts = eur(10).allocate([7, 13, 30])
    assert parts == [eur(1), eur(3), eur(6)]
    assert sum(p.amount_minor for p in parts) == 10


def test_allocate_always_sums_exactly() -> None:
    parts = eur(1001).allocate([3, 7, 11, 13])
    assert sum(p.amount_minor for p in parts) == 1001


def test_allocate_with_all_zero_weights_splits_evenly() -> None:
    assert eur(10).allocate([0, 0, 0]) == [eur(4), eur(3), eur(3)]


def test_allocate_gives_nothing_to_a_zero_weight() -> None:
    assert eur(7).allocate([0, 5, 0]) == [eur(0), eur(7), eur(0)]


def test_allocate_a_negative_amount_mirrors_the_positive_split() -> None:
    assert eur(-100).allocate([1, 1, 1]) == [eur(-34), eur(-33), eur(-33)]
    assert sum(p.amount_minor for p in eur(-1001).allocate([2, 5])) == -1001


def test_allocate_zero_gives_zeros() -> None:
    assert eur(0).allocate([1, 2]) == [eur(0), eur(0)]


def test_allocate_needs_a_weight() -> None:
    with pytest.raises(ValidationFailed):
        eur(10).allocate([])


def test_allocate_refuses_negative_weights() -> None:
    with pytest.raises(ValidationFailed):
        eur(10).allocate([1, -1])


def test_allocate_keeps_the_currency() -> None:
    assert {p.currency for p in Money(5, "JPY").allocate([1, 1])} == {"JPY"}


# -- format ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(1250, "EUR"), "12.50 EUR"),
        (Money(5, "EUR"), "0.05 EUR"),
        (Money(0, "EUR"), "0.00 EUR"),
        (Money(-1250, "EUR"), "-12.50 EUR"),
        (Money(-5, "EUR"), "-0.05 EUR"),
        (Money(1250, "JPY"), "1250 JPY"),
        (Money(-1250, "JPY"), "-1250 JPY"),
        (Money(1234, "KWD"), "1.234 KWD"),
        (Money(5, "KWD"), "0.005 KWD"),
        (Money(-1, "KWD"), "-0.001 KWD"),
    ],
)
def test_format_uses_the_currency_exponent(money: Money, text: str) -> None:
    assert money.format() == text
    assert str(money) == text


# -- pydantic -------------------------------------------------------------------------------


class Priced(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price: Money


def test_pydantic_reads_a_dict_and_dumps_a_dict() -> None:
    model = Priced.model_validate({"price": {"amount_minor": 1250, "currency": "EUR"}})
    assert model.price == eur(1250)
    assert model.model_dump() == {"price": {"amount_minor": 1250, "currency": "EUR"}}


def test_pydantic_json_round_trip() -> None:
    text = Priced(price=Money(500, "JPY")).model_dump_json()
    assert Priced.model_validate_json(text).price == Money(500, "JPY")


def test_pydantic_accepts_a_money_instance() -> None:
    assert Priced(price=eur(1)).price == eur(1)


@pytest.mark.parametrize(
    "value",
    [
        {"amount_minor": 1250, "currency": "EUR", "note": "x"},  # extra key
        {"amount_minor": 1250},  # missing currency
        {"amount_minor": 12.5, "currency": "EUR"},  # float
        {"amount_minor": True, "currency": "EUR"},  # bool
        {"amount_minor": "1250", "currency": "EUR"},  # string
        {"amount_minor": 1250, "currency": "XYZ"},  # unknown currency
        {"amount_minor": 1250, "currency": 978},  # not a string
        1250,
        "12.50 EUR",
    ],
)
def test_pydantic_refuses_anything_but_exact_money(value: object) -> None:
    with pytest.raises(ValidationError):
        Priced.model_validate({"price": value})
