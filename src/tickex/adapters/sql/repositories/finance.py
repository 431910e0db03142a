"""The ledger: append-only, two tables (transactions, their entries); no update, no
delete (the database refuses both, see migration 2)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping import finance as mapping
from tickex.adapters.sql.repositories.base import SqlRepository
from tickex.domain.errors import Conflict
from tickex.domain.ledger import Entry, LedgerTransaction, TransactionKind
from tickex.ports.repository import LedgerRepository


class Ledger(SqlRepository[LedgerTransaction], LedgerRepository):
    table = s.ledger_transactions

    def append(self, transaction: LedgerTransaction) -> None:
        tx = transaction
        if not self._insert_unique(mapping.transaction_row(tx)):
            raise Conflict(f"ledger transaction {tx.id} already exists")
        self._uow.write(s.ledger_entries.insert().values(mapping.entry_rows(tx)))

    def _transactions(self, *where: Any) -> list[LedgerTransaction]:
        """The transactions matching ``where`` in append order, each with its entries
        (two queries, not one a transaction)."""
        t, e = self.table, s.ledger_entries
        txs = self._uow.read(select(t).where(*where).order_by(t.c.seq))
        if not txs:
            return []
        entries: dict[str, list[Entry]] = defaultdict(list)
        stmt = (
            select(e.c.transaction_id, e.c.account, e.c.amount_minor, e.c.currency)
            .join(t, t.c.id == e.c.transaction_id)
            .where(*where)
            .order_by(t.c.seq, e.c.position)
        )
        for row in self._uow.read(stmt):
            entries[row.transaction_id].append(mapping.entry_from_row(row))
        return [mapping.transaction_from_row(r, entries[r.id]) for r in txs]

    def list_for_order(self, order_id: str) -> list[LedgerTransaction]:
        return self._transactions(self.table.c.order_id == order_id)

    def list_all(self) -> list[LedgerTransaction]:
        return self._transactions()

    def account_totals(self, account: str) -> dict[tuple[TransactionKind, str], int]:
        t, e = self.table, s.ledger_entries
        stmt = (
            select(t.c.kind, e.c.currency, func.sum(e.c.amount_minor))
            .join(t, t.c.id == e.c.transaction_id)
            .where(e.c.account == account)
            .group_by(t.c.kind, e.c.currency)
        )
        return {(TransactionKind(r[0]), r[1]): int(r[2]) for r in self._uow.read(stmt)}
