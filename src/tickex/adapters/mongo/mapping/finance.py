"""Ledger transactions <-> documents (the append order in ``sequence``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    fields,
    money,
    money_doc,
    need_time,
    new_document,
    read,
    with_times,
)
from tickex.domain.ledger import Entry, LedgerTransaction, TransactionKind


def ledger_doc(tx: LedgerTransaction, sequence: int) -> Document:
    doc = new_document(tx.id) | {
        "sequence": sequence,
        "kind": TransactionKind(tx.kind).value,
        "entries": [{"account": e.account, "amount": money_doc(e.amount)} for e in tx.entries],
    }
    doc |= fields(tx, "description", "order_id", "organizer_id", "reference", "reverses")
    return with_times(doc, tx, "occurred_at")


def ledger_transaction(doc: Mapping[str, Any]) -> LedgerTransaction:
    return LedgerTransaction(
        **read(doc, "description", optional=("order_id", "organizer_id", "reference", "reverses")),
        kind=TransactionKind(doc["kind"]),
        entries=tuple(Entry(e["account"], money(e["amount"])) for e in doc["entries"]),
        occurred_at=need_time(doc, "occurred_at"),
    )
