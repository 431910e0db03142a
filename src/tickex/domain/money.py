"""Money: integer minor units and an ISO 4217 currency. Never a float.

``round_half_even`` is the one rounding function for every percentage in TickEx, and
``Money.allocate`` splits an amount into parts that always add up to the whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from tickex.domain.errors import CurrencyMismatch, UnsupportedCurrency, ValidationFailed

# Active ISO 4217 codes. Exponents other than 2 are listed in _EXPONENTS.
_ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
    ZWL
    """.split()  # noqa: SIM905 - a compact table
)
_EXPONENTS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3,
    "JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0,
    "TND": 3, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip

BASIS_POINTS = 10_000  # 100 % expressed in basis points


def check_currency(code: str) -> str:
    """Return ``code`` if it is an active ISO 4217 currency, else raise."""
    if code not in _ISO_4217:
        raise UnsupportedCurrency(f"{code!r} is not an ISO 4217 currency code", currency=code)
    return code


def currency_exponent(code: str) -> int:
    """Number of minor-unit digits (2 for EUR, 0 for JPY, 3 for KWD)."""
    return _EXPONENTS.get(check_currency(code), 2)


def round_half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, ties to even.

    The one rounding rule for every percentage (fees, tax, discounts). Exact: integers only.
    """
    if denominator == 0:
        raise ValidationFailed("division by zero while rounding")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units (cents) of one currency."""

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise ValidationFailed("Money.amount_minor must be an int (minor units)")
        check_currency(self.currency)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def sum(cls, items: Iterable[Money], currency: str) -> Money:
        total = cls.zero(currency)
        for item in items:
            total = total + item
        return total

    # -- arithmetic -----------------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} with {other.currency}",
                left=self.currency,
                right=other.currency,
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor <= other.amount_minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor > other.amount_minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor >= other.amount_minor

    def times(self, quantity: int) -> Money:
        return Money(self.amount_minor * quantity, self.currency)

    def percent(self, basis_points: int) -> Money:
        """``basis_points``/10 000 of this amount, rounded half-even to a minor unit."""
        return Money(round_half_even(self.amount_minor * basis_points, BASIS_POINTS), self.currency)

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    @property
    def is_zero(self) -> bool:
        return self.amount_minor == 0

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into ``len(weights)`` parts proportional to ``weights`` that sum exactly.

        Largest-remainder method: every part is the floor of its exact share, and the
        leftover minor units go to the largest remainders (earliest first on ties). All
        weights zero splits evenly.
        """
        if not weights:
            raise ValidationFailed("allocate needs at least one weight")
        if any(w < 0 for w in weights):
            raise ValidationFailed("allocation weights must not be negative")
        if sum(weights) == 0:
            weights = [1] * len(weights)
        total_weight = sum(weights)
        sign = -1 if self.amount_minor < 0 else 1
        amount = abs(self.amount_minor)
        shares = [divmod(amount * w, total_weight) for w in weights]
        parts = [q for q, _ in shares]
        leftover = amount - sum(parts)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
        for i in by_remainder[:leftover]:
            parts[i] += 1
        return [Money(sign * p, self.currency) for p in parts]

    # -- presentation ---------------------------------------------------------------------
    def format(self) -> str:
        """``12.50 EUR``; JPY has no decimals, KWD three."""
        exp = currency_exponent(self.currency)
        sign = "-" if self.amount_minor < 0 else ""
        whole, frac = divmod(abs(self.amount_minor), 10**exp)
        return (
            f"{sign}{whole}.{frac:0{exp}d} {self.currency}"
            if exp
            else f"{sign}{whole} {self.currency}"
        )

    def __str__(self) -> str:
        return self.format()

    # -- pydantic integration: {"amount_minor": 1250, "currency": "EUR"} -------------------
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def build(value: Any) -> Money:
            if isinstance(value, Money):
                return value
            if not isinstance(value, dict) or set(value) != {"amount_minor", "currency"}:
                raise ValueError("money must be an object with amount_minor and currency")
            amount, currency = value["amount_minor"], value["currency"]
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise ValueError("amount_minor must be an integer number of minor units")
            if not isinstance(currency, str):
                raise ValueError("currency must be a string")
            try:
                return cls(amount, currency)
            except UnsupportedCurrency as exc:
                raise ValueError(exc.detail) from exc

        return core_schema.no_info_plain_validator_function(
            build,
            json_schema_input_schema=core_schema.typed_dict_schema(
                {
                    "amount_minor": core_schema.typed_dict_field(core_schema.int_schema()),
                    "currency": core_schema.typed_dict_field(
                        core_schema.str_schema(pattern="^[A-Z]{3}$")
                    ),
                }
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda m: {"amount_minor": m.amount_minor, "currency": m.currency}
            ),
        )
