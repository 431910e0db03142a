"""The ledger: append-only, two tables (transactions, their entries); no update, no
delete (the database refuses both, see migration 2)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Executable, func, insert, literal, select

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping import finance as mapping
from tickex.adapters.sql.repositories.base import SqlRepository, insert_ignoring_conflicts
from tickex.domain.errors import Conflict
from tickex.domain.ledger import Entry, LedgerTransaction, TransactionKind
from tickex.ports.repository import LedgerRepository


@cache
def _insert_entries() -> Executable:
    # RETURNING makes SQLAlchemy send one multi-row INSERT (its "insertmanyvalues"), not
    # an executemany of one statement per entry
    return insert(s.ledger_entries).returning(literal(1))


class Ledger(SqlRepository[LedgerTransaction], LedgerRepository):
    table = s.ledger_transactions

    def append(self, transaction: LedgerTransaction) -> None:
        self.append_all([transaction])

    def append_all(self, transactions: Sequence[LedgerTransaction]) -> None:
        """Two statements for any number of transactions: their rows (in order: ``seq``
        follows), then all their entries."""
        if not transactions:
            return
        stmt = insert_ignoring_conflicts(self._uow.dialect, self.table)
        rows = [mapping.transaction_row(tx) for tx in transactions]
        inserted = (self._uow.write(stmt, rows[0]).all() if len(rows) == 1
                    else self._uow.write_many(stmt, rows).all())  # fmt: skip
        if len(inserted) != len(rows):
            ids = ", ".join(tx.id for tx in transactions)
            raise Conflict(f"ledger transaction already exists (one of {ids})")
        entries = [entry for tx in transactions for entry in mapping.entry_rows(tx)]
        self._uow.write_many(_insert_entries(), entries).all()

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
