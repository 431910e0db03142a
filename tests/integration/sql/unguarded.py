"""The negative control of the SQL concurrency tests: a storage without the inventory guard.

``UnguardedSqlStorage`` is ``SqlStorage`` with every inventory guard (quota
``reserve``/``sell``, promo ``try_use``, hold ``end``) replaced by read-then-write: the
counters are read from a snapshot taken at the unit of work's first statement (a separate
connection: a deferred transaction on SQLite, REPEATABLE READ on PostgreSQL -- on SQLite
the read must happen outside the write lock, or SQLite would serialise it and nothing
could oversell), checked in Python and written back as absolute values; the freeing
updates (``convert``/``release``/``unsell``/``release_use``) lose their conditions; and
``migrate`` rebuilds ``quotas`` and ``promo_codes`` without their CHECK constraints (which
would otherwise stop the oversell the control must show).

The concurrency tests run their races against it and must observe an oversell, or the
harness could not have caught one and the guarded result would prove nothing. It is built
from the production adapter's extension points only (``SqlStorage.unit_of_work_class``,
``SqlUnitOfWork.repositories``, ``SqlStorage.migrate``): the production adapter has no
switch that turns its guards off. Throw-away databases only.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Connection,
    CursorResult,
    Executable,
    MetaData,
    Table,
    func,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from tickex.adapters.sql import SqlStorage, SqlUnitOfWork
from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import AnyRow
from tickex.adapters.sql.repositories import REPOSITORIES, Holds, PromoCodes, Quotas
from tickex.domain.errors import ValidationFailed
from tickex.domain.hold import HoldStatus

log = logging.getLogger(__name__)

#: The tables whose CHECK constraints would stop the oversell the control must show.
COUNTER_TABLES = ("quotas", "promo_codes")


def _stale(uow: SqlUnitOfWork, stmt: Executable) -> Sequence[AnyRow]:
    assert isinstance(uow, UnguardedSqlUnitOfWork)
    return uow.read_stale(stmt)


class UnguardedQuotas(Quotas):
    def _take(self, quota_id: str, quantity: int, column: str) -> bool:
        """Read (stale snapshot), check in Python, write back an absolute value -- the
        read-then-write the guard exists to prevent."""
        c = self.table.c
        rows = _stale(self._uow, select(self.table).where(c.id == quota_id))
        if not rows:
            raise ValidationFailed(f"unknown quota {quota_id}")
        q = self._load(rows[0])
        if not q.can_take(quantity):
            return False
        new = getattr(q, column) + quantity
        self._uow.write(update(self.table).where(c.id == quota_id).values({column: new}))
        return True

    def _change(self, quota_id: str, sold: int = 0, held: int = 0) -> None:
        c = self.table.c
        stmt = update(self.table).where(c.id == quota_id)
        stmt = stmt.values(sold=c.sold + sold, held=c.held + held)
        self._changed(self._uow.write(stmt).rowcount == 1, quota_id)


class UnguardedPromoCodes(PromoCodes):
    def try_use(self, promo_id: str) -> bool:
        c = self.table.c
        rows = _stale(self._uow, select(self.table).where(c.id == promo_id))
        if not rows:
            raise ValidationFailed(f"unknown promo code {promo_id}")
        p = self._load(rows[0])
        if p.max_uses is not None and p.uses >= p.max_uses:
            return False
        self._uow.write(update(self.table).where(c.id == promo_id).values(uses=p.uses + 1))
        return True

    def release_use(self, promo_id: str) -> None:
        c = self.table.c
        stmt = update(self.table).where(c.id == promo_id).values(uses=c.uses - 1)
        self._released(self._uow.write(stmt).rowcount == 1, promo_id)


class UnguardedHolds(Holds):
    def end(self, hold_id: str, status: HoldStatus) -> bool:
        c = self.table.c
        rows = _stale(self._uow, select(c.status).where(c.id == hold_id))
        if not rows or rows[0].status != str(HoldStatus.ACTIVE):
            return False
        self._uow.write(update(self.table).where(c.id == hold_id).values(status=str(status)))
        return True


class UnguardedSqlUnitOfWork(SqlUnitOfWork):
    """Reads before the first write come from a snapshot connection, so that (on SQLite)
    no write lock is taken yet: the read half of the read-then-write race. Its quotas,
    promo codes and holds are the unguarded ones."""

    repositories = {
        **REPOSITORIES,
        "quotas": UnguardedQuotas,
        "promo_codes": UnguardedPromoCodes,
        "holds": UnguardedHolds,
    }

    def __init__(self, storage: SqlStorage, *, read_only: bool = False) -> None:
        super().__init__(storage, read_only=read_only)
        self._snapshot: Connection | None = None
        self._wrote = False

    def __enter__(self) -> UnguardedSqlUnitOfWork:
        super().__enter__()
        self._wrote = False
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        try:
            super().__exit__(exc_type, *rest)
        finally:
            snapshot, self._snapshot = self._snapshot, None
            if snapshot is not None:
                with contextlib.suppress(SQLAlchemyError):
                    snapshot.close()

    def rollback(self) -> None:
        if self._snapshot is not None and self._snapshot.in_transaction():
            self._snapshot.rollback()
        super().rollback()

    def _snapshot_conn(self) -> Connection:
        self._check_entered()
        if self._snapshot is None:
            self._snapshot = self._storage.snapshot_connection()
        return self._snapshot

    def read(self, stmt: Executable, params: dict[str, Any] | None = None) -> Sequence[AnyRow]:
        if not self._wrote:
            return self._snapshot_conn().execute(stmt, params).all()
        return super().read(stmt, params)

    def read_stale(self, stmt: Executable) -> Sequence[AnyRow]:
        """Counters as the snapshot taken at the unit of work's start saw them."""
        return self._snapshot_conn().execute(stmt).all()

    def write(self, stmt: Executable, params: dict[str, Any] | None = None) -> CursorResult[Any]:
        if not self.read_only:
            self._wrote = True
        return super().write(stmt, params)


def without_checks(name: str) -> Table:
    """A copy of table ``name`` without its CHECK constraints."""
    table = s.metadata.tables[name].to_metadata(MetaData())
    for check in [c for c in table.constraints if isinstance(c, CheckConstraint)]:
        table.constraints.remove(check)
    return table


class UnguardedSqlStorage(SqlStorage):
    """``SqlStorage`` whose inventory guards are read-then-write (see the module)."""

    unit_of_work_class = UnguardedSqlUnitOfWork

    def __init__(self, url: Any, **options: Any) -> None:
        super().__init__(url, **options)
        log.warning("UnguardedSqlStorage: inventory guard DISABLED (negative control)")

    def migrate(self) -> None:
        """Migrate as usual, then rebuild the (still empty) counter tables without their
        CHECK constraints."""
        super().migrate()
        with self.engine.begin() as conn:
            for name in COUNTER_TABLES:
                table = without_checks(name)
                rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
                assert rows == 0, f"refusing to rebuild {name}: it holds rows"
                table.drop(conn)
                table.create(conn)
