"""The ledger in memory: append-only, in the storage's sequence order."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tickex.adapters.memory.repositories.base import _Repo
from tickex.domain.ledger import LedgerTransaction, TransactionKind
from tickex.ports.repository import LedgerRepository


class _Ledger(_Repo[Any], LedgerRepository):
    table = "ledger"

    def append(self, transaction: LedgerTransaction) -> None:
        self._insert(transaction.id, (self._uow.next_sequence(), transaction))

    def _all(self) -> list[LedgerTransaction]:
        return [tx for _, tx in sorted(self._uow.scan(self.table), key=lambda row: row[0])]

    def list_for_order(self, order_id: str) -> list[LedgerTransaction]:
        return [tx for tx in self._all() if tx.order_id == order_id]

    def list_all(self) -> list[LedgerTransaction]:
        return self._all()

    def account_totals(self, account: str) -> dict[tuple[TransactionKind, str], int]:
        out: dict[tuple[TransactionKind, str], int] = defaultdict(int)
        for tx in self._all():
            for entry in tx.entries:
                if entry.account == account:
                    out[(tx.kind, entry.amount.currency)] += entry.amount.amount_minor
        return dict(out)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "ledger": _Ledger,
}
