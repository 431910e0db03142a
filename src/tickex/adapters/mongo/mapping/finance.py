"""Ledger transactions <-> documents (append order in ``sequence``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    check_schema,
    money,
    money_doc,
    need_time,
    new_document,
    put_time,
)
from tickex.domain.ledger import Entry, LedgerTransaction, TransactionKind


def ledger_doc(tx: LedgerTransaction, sequence: int) -> Document:
    doc = new_document(tx.id) | {
        "sequence": sequence,
        "kind": TransactionKind(tx.kind).value,
        "entries": [{"account": e.account, "amount": money_doc(e.amount)} for e in tx.entries],
        "description": tx.description,
        "order_id": tx.order_id,
        "organizer_id": tx.organizer_id,
        "reference": tx.reference,
        "reverses": tx.reverses,
    }
    put_time(doc, "occurred_at", tx.occurred_at)
    return doc


def ledger_transaction(doc: Mapping[str, Any]) -> LedgerTransaction:
    check_schema(doc)
    return LedgerTransaction(
        id=doc["_id"],
        kind=TransactionKind(doc["kind"]),
        entries=tuple(Entry(e["account"], money(e["amount"])) for e in doc["entries"]),
        occurred_at=need_time(doc, "occurred_at"),
        description=doc["description"],
        order_id=doc.get("order_id"),
        organizer_id=doc.get("organizer_id"),
        reference=doc.get("reference"),
        reverses=doc.get("reverses"),
    )
