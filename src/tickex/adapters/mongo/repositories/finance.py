"""The ledger on MongoDB: append-only, in the order of one counter document."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from tickex.adapters.mongo.indexes import LEDGER_COUNTER_ID, Collections
from tickex.adapters.mongo.mapping import finance as m
from tickex.adapters.mongo.mapping.common import Document, text
from tickex.adapters.mongo.repositories.base import _Repo
from tickex.domain.errors import Conflict
from tickex.domain.ledger import LedgerTransaction, TransactionKind
from tickex.ports.repository import LedgerRepository


class MongoLedgerRepository(_Repo[LedgerTransaction], LedgerRepository):
    """Append-only: there is no update and no delete (compensation removes only what a
    rolled-back unit appended, as a transaction's abort would).

    The append order is a sequence from one counter document, allocated *outside* the
    unit's transaction with ``find_one_and_update`` ``$inc``: atomic, strictly increasing
    across processes, never reused (a rolled-back append leaves a gap), and not a hot
    document that every paying transaction would conflict on. ObjectId order would not do:
    its timestamp has one-second resolution and its counter is per process.
    """

    name = Collections.LEDGER
    kind = "ledger transaction"
    spec = m.LEDGER_TRANSACTION

    def _next_sequence(self) -> int:
        self._w.check_entered()
        counters = self._w.collection(Collections.COUNTERS, outside=True)
        counter = counters.find_one_and_update(
            {"_id": LEDGER_COUNTER_ID},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if counter is None:  # pragma: no cover - an upsert returns the document
            raise RuntimeError("the ledger sequence could not be allocated")
        return int(counter["value"])

    def append(self, transaction: LedgerTransaction) -> None:
        doc = m.LEDGER_TRANSACTION.dump(transaction, sequence=self._next_sequence())
        self._insert(doc, lambda _: Conflict(f"ledger transaction {transaction.id} exists"))

    def list_for_order(self, order_id: str) -> list[LedgerTransaction]:
        return self._list_by("order_id", order_id, [("sequence", 1)])

    def list_all(self) -> list[LedgerTransaction]:
        return self._list({}, [("sequence", 1)])

    def account_totals(self, account: str) -> dict[tuple[TransactionKind, str], int]:
        wanted = text(account, "account")
        pipeline: list[Document] = [
            {"$match": {"entries.account": wanted}},
            {"$unwind": "$entries"},
            {"$match": {"entries.account": wanted}},
            {
                "$group": {
                    "_id": {"kind": "$kind", "currency": "$entries.amount.currency"},
                    "total": {"$sum": "$entries.amount.amount"},
                }
            },
        ]
        rows = self._w.read(lambda s: list(self._c.aggregate(pipeline, session=s)))
        return {
            (TransactionKind(r["_id"]["kind"]), str(r["_id"]["currency"])): int(r["total"])
            for r in rows
        }


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "ledger": MongoLedgerRepository,
}
