"""Ledger: append-only double-entry bookkeeping.

An entry is a signed amount on an account: positive = debit, negative = credit. A
transaction's entries sum to zero in every currency. Nothing is updated or deleted:
corrections are new reversing transactions, and balances are always derived.

Accounts (debit-normal ones hold positive balances, credit-normal ones negative):
- ``customer_payments_clearing``: money held at the payment provider (asset).
- ``organizer_payable:<organizer id>``: what TickEx owes an organizer (liability).
- ``platform_fee_revenue``: the platform's fees (revenue).
- ``processor_fees``: what the payment provider charged (expense).
- ``dispute_fees``: what the payment provider charged for chargebacks (expense).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tickex.domain.errors import LedgerUnbalanced, ValidationFailed
from tickex.domain.money import Money

CLEARING = "customer_payments_clearing"
PLATFORM_REVENUE = "platform_fee_revenue"
PROCESSOR_FEES = "processor_fees"
DISPUTE_FEES = "dispute_fees"
_PAYABLE = "organizer_payable:"


def organizer_payable(organizer_id: str) -> str:
    return _PAYABLE + organizer_id


class TransactionKind(StrEnum):
    SALE = "sale"
    FEE = "fee"
    REFUND = "refund"
    PAYOUT = "payout"
    DISPUTE = "dispute"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class Entry:
    account: str
    amount: Money  # positive debit, negative credit


@dataclass(frozen=True, slots=True)
class LedgerTransaction:
    id: str
    kind: TransactionKind
    entries: tuple[Entry, ...]
    occurred_at: datetime
    description: str = ""
    order_id: str | None = None
    organizer_id: str | None = None
    reference: str | None = None  # provider id (payment, refund, payout)
    reverses: str | None = None  # id of the transaction this one corrects

    def __post_init__(self) -> None:
        if len(self.entries) < 2:
            raise ValidationFailed("a transaction needs at least two entries")
        sums: dict[str, int] = defaultdict(int)
        for entry in self.entries:
            sums[entry.amount.currency] += entry.amount.amount_minor
        unbalanced = {c: s for c, s in sums.items() if s != 0}
        if unbalanced:
            raise LedgerUnbalanced(f"transaction {self.id} does not balance: {unbalanced}")

    def reversal(self, id: str, now: datetime, description: str = "") -> LedgerTransaction:
        """A new transaction that undoes this one, entry by entry."""
        return LedgerTransaction(
            id=id,
            kind=self.kind,
            entries=tuple(Entry(e.account, -e.amount) for e in self.entries),
            occurred_at=now,
            description=description or f"reversal of {self.id}",
            order_id=self.order_id,
            organizer_id=self.organizer_id,
            reference=self.reference,
            reverses=self.id,
        )


def transfer(
    *,
    id: str,
    kind: TransactionKind,
    debit: str,
    credit: str,
    amount: Money,
    now: datetime,
    description: str,
    order_id: str | None = None,
    organizer_id: str | None = None,
    reference: str | None = None,
) -> LedgerTransaction:
    """The common two-entry transaction: ``amount`` from ``credit`` to ``debit``."""
    return LedgerTransaction(
        id=id,
        kind=kind,
        entries=(Entry(debit, amount), Entry(credit, -amount)),
        occurred_at=now,
        description=description,
        order_id=order_id,
        organizer_id=organizer_id,
        reference=reference,
    )


Balances = dict[tuple[str, str], int]  # (account, currency) -> signed minor units


def balances(transactions: Iterable[LedgerTransaction]) -> Balances:
    out: Balances = defaultdict(int)
    for tx in transactions:
        for entry in tx.entries:
            out[(entry.account, entry.amount.currency)] += entry.amount.amount_minor
    return dict(out)


def balance_of(transactions: Iterable[LedgerTransaction], account: str, currency: str) -> Money:
    return Money(balances(transactions).get((account, currency), 0), currency)
