"""Ledger rows: a transaction in ``ledger_transactions``, its legs in ``ledger_entries``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import AnyRow, from_row, to_row
from tickex.domain.ledger import Entry, LedgerTransaction
from tickex.domain.money import Money


def transaction_row(tx: LedgerTransaction) -> dict[str, Any]:
    """The transaction without its entries; ``seq`` is the database's append order."""
    return to_row(s.ledger_transactions, tx, omit=("seq",))


def entry_rows(tx: LedgerTransaction) -> list[dict[str, Any]]:
    return [
        {
            "transaction_id": tx.id,
            "position": i,
            "account": e.account,
            "amount_minor": e.amount.amount_minor,
            "currency": e.amount.currency,
        }
        for i, e in enumerate(tx.entries)
    ]


def entry_from_row(r: AnyRow) -> Entry:
    return Entry(r.account, Money(int(r.amount_minor), r.currency))


def transaction_from_row(r: AnyRow, entries: Sequence[Entry]) -> LedgerTransaction:
    return from_row(LedgerTransaction, r, entries=tuple(entries))
