"""The SQL unit of work: one database transaction over every repository.

The connection is taken from the pool at the first statement (not at construction or
``__enter__``), so a unit of work that touches nothing costs nothing, and it goes back to
the pool at ``__exit__``. Rolled back unless ``commit()`` was called. A read-only unit
reads from a snapshot that takes no write lock (``SqlStorage.snapshot_connection``) and
refuses every write.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Connection, CursorResult, Executable
from sqlalchemy.exc import SQLAlchemyError

from tickex.adapters.sql.mapping.common import AnyRow
from tickex.adapters.sql.repositories import REPOSITORIES, SqlRepository
from tickex.adapters.sql.repositories.purchase import event_for_sale, order_for_payment
from tickex.ports.unit_of_work import (
    EventForSale,
    OrderForPayment,
    ReadOnlyUnitOfWork,
    UnitOfWork,
)

if TYPE_CHECKING:
    from tickex.adapters.sql.storage import SqlStorage


class SqlUnitOfWork(UnitOfWork):
    """One database transaction over every repository.

    ``repositories`` maps each attribute of the ``UnitOfWork`` port to the repository
    class built for it; a subclass may replace entries (a storage names its unit-of-work
    class in ``SqlStorage.unit_of_work_class``)."""

    repositories: ClassVar[Mapping[str, type[SqlRepository[Any]]]] = REPOSITORIES

    def __init__(self, storage: SqlStorage, *, read_only: bool = False) -> None:
        self._storage = storage
        self.read_only = read_only
        self._conn: Connection | None = None
        self._entered = False
        self.committed = False
        for name, repository in self.repositories.items():
            setattr(self, name, repository(self))

    @property
    def dialect(self) -> str:
        return self._storage.dialect

    def __enter__(self) -> SqlUnitOfWork:
        if self._entered:
            raise RuntimeError("a unit of work cannot be entered twice")
        self._entered = True
        self.committed = False
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """Roll back what was not committed and give the connection back to the pool."""
        try:
            if exc_type is None:
                self.rollback()
            else:  # do not hide the original error behind a failing rollback
                with contextlib.suppress(SQLAlchemyError):
                    self.rollback()
        finally:
            self._entered = False
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(SQLAlchemyError):
                    conn.close()

    def commit(self) -> None:
        self._check_entered()
        if self._conn is not None and self._conn.in_transaction():
            self._conn.commit()
        self.committed = True

    def rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()

    def event_for_sale(
        self, *, event_id: str | None = None, slug: str | None = None
    ) -> EventForSale | None:
        return event_for_sale(self, event_id, slug)  # one joined query

    def order_for_payment(
        self, *, order_id: str | None = None, reference: str | None = None
    ) -> OrderForPayment | None:
        return order_for_payment(self, order_id, reference)  # one joined query

    # -- statement execution for the repositories -----------------------------------------
    def _check_entered(self) -> None:
        if not self._entered:
            raise RuntimeError("use the unit of work as a context manager: `with uow: ...`")

    def _connection(self) -> Connection:
        self._check_entered()
        if self._conn is None:
            self._conn = (
                self._storage.snapshot_connection()  # no write lock for a read-only unit
                if self.read_only
                else self._storage.engine.connect()
            )
        return self._conn  # autobegin: BEGIN IMMEDIATE on SQLite (see the engine hooks)

    def read(self, stmt: Executable, params: dict[str, Any] | None = None) -> Sequence[AnyRow]:
        """Run a query in this unit's transaction."""
        return self._connection().execute(stmt, params).all()

    def write_many(self, stmt: Executable, rows: Sequence[dict[str, Any]]) -> CursorResult[Any]:
        """One statement for many rows (SQLAlchemy's "insertmanyvalues": a multi-row
        INSERT, RETURNING included, on both drivers)."""
        if self.read_only:
            raise ReadOnlyUnitOfWork("write in a read-only unit of work")
        result = self._connection().execute(stmt, list(rows))
        assert isinstance(result, CursorResult)
        return result

    def write(self, stmt: Executable, params: dict[str, Any] | None = None) -> CursorResult[Any]:
        if self.read_only:
            raise ReadOnlyUnitOfWork("write in a read-only unit of work")
        result = self._connection().execute(stmt, params)
        assert isinstance(result, CursorResult)
        return result
