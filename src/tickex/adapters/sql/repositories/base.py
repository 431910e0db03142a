"""What every SQL repository shares: prebuilt statements and the helpers built on them.

Statements are built once and executed with parameters (SQLAlchemy then skips coercing
every value into the statement, which was a measurable share of CPU per order):

- unique inserts: ``INSERT ... ON CONFLICT DO NOTHING RETURNING 1``; no row means the key
  was taken (``Conflict``), and nothing fails inside the transaction, so a PostgreSQL unit
  of work stays usable without a SAVEPOINT per insert;
- lookups by id or by one column;
- versioned saves: ``UPDATE ... WHERE id = :id AND version = :read``; no row means
  ``ConcurrencyConflict``;
- stamps: ``UPDATE t SET <column> = :now WHERE ... AND <column> IS NULL``, whose row count
  says whether this caller won.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, TypeVar

from sqlalchemy import Executable, Table, bindparam, literal, select, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import AnyRow
from tickex.domain.errors import ConcurrencyConflict, Conflict

if TYPE_CHECKING:
    from tickex.adapters.sql.unit_of_work import SqlUnitOfWork

T = TypeVar("T")

_STATEMENTS: dict[tuple[str, str, str], Executable] = {}


def _prebuilt(kind: str, variant: str, table: Table, build: Callable[[], Executable]) -> Executable:
    key = (kind, variant, table.name)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build()
    return stmt


def insert_ignoring_conflicts(dialect: str, table: Table) -> Executable:
    insert = pg_dialect.insert if dialect == "postgresql" else sqlite_dialect.insert
    return _prebuilt(
        "insert",
        dialect,
        table,
        lambda: insert(table).on_conflict_do_nothing().returning(literal(1)),
    )


def select_by(table: Table, column: str = "id", order_by: Sequence[str] = ()) -> Executable:
    """``SELECT * FROM t WHERE <column> = :b_value [ORDER BY <order_by>]``."""
    return _prebuilt(
        "select",
        ",".join((column, *order_by)),
        table,
        lambda: (
            select(table)
            .where(table.c[column] == bindparam("b_value"))
            .order_by(*(table.c[name] for name in order_by))
        ),
    )


def update_versioned(table: Table) -> Executable:
    """``UPDATE t SET <the columns given> WHERE id = :b_id AND version = :b_version``."""
    c = table.c
    return _prebuilt(
        "update",
        "",
        table,
        lambda: update(table).where(c.id == bindparam("b_id"), c.version == bindparam("b_version")),
    )


class SqlRepository(Generic[T]):
    """One table (the aggregate's own) read and written through the unit of work.

    ``table`` is the table, ``load`` builds the domain object from one of its rows (a
    function of ``tickex.adapters.sql.mapping``)."""

    table: ClassVar[Table]
    load: ClassVar[Callable[[AnyRow], Any]]

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _load(self, row: AnyRow) -> T:
        loaded: T = type(self).load(row)
        return loaded

    # -- reads ----------------------------------------------------------------------------
    def _row(self, *where: Any) -> AnyRow | None:
        rows = self._uow.read(select(self.table).where(*where).limit(1))
        return rows[0] if rows else None

    def _row_by(self, column: str, value: object) -> AnyRow | None:
        rows = self._uow.read(select_by(self.table, column), {"b_value": value})
        return rows[0] if rows else None

    def _get(self, key: str) -> T | None:
        """The object with id ``key`` (a prebuilt select), or None."""
        row = self._row_by("id", key)
        return None if row is None else self._load(row)

    def _get_by(self, column: str, value: object) -> T | None:
        row = self._row_by(column, value)
        return None if row is None else self._load(row)

    def _first(self, *where: Any) -> T | None:
        row = self._row(*where)
        return None if row is None else self._load(row)

    def _list(
        self,
        *where: Any,
        order_by: Sequence[Any] = (),
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[T]:
        stmt = select(self.table).where(*where).order_by(*order_by)
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset is not None:
            stmt = stmt.offset(offset)
        return [self._load(r) for r in self._uow.read(stmt)]

    def _list_by(self, column: str, value: object, order_by: Sequence[str]) -> list[T]:
        rows = self._uow.read(select_by(self.table, column, order_by), {"b_value": value})
        return [self._load(r) for r in rows]

    # -- writes ---------------------------------------------------------------------------
    def _insert_unique(self, values: dict[str, Any]) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING RETURNING 1: True when the row went in, False
        when a unique or primary key was taken. (RETURNING, because the row count of an
        INSERT is not reported reliably through every driver path.)"""
        stmt = insert_ignoring_conflicts(self._uow.dialect, self.table)
        return self._uow.write(stmt, values).first() is not None

    def _save_versioned(self, obj: Any, values: dict[str, Any]) -> None:
        """``UPDATE ... WHERE id = :id AND version = :read``; the version moves on by one."""
        t = self.table
        params = {**values, "version": obj.version + 1, "b_id": obj.id, "b_version": obj.version}
        params.pop("id", None)
        if self._uow.write(update_versioned(t), params).rowcount != 1:
            raise ConcurrencyConflict(f"{t.name} {obj.id} was changed concurrently or is missing")
        obj.version += 1

    def _stamp(
        self,
        column: str,
        key: str,
        now: datetime,
        *,
        by: str = "id",
        unless_set: Sequence[str] = (),
        before: str | None = None,
    ) -> int:
        """``UPDATE t SET <column> = :b_now WHERE <by> = :b_value AND <each of unless_set> IS
        NULL [AND <before> > :b_now]`` (prebuilt): one conditional statement; how many rows
        it changed (a racing second caller finds the condition false)."""
        table = self.table

        def build() -> Executable:
            c = table.c
            at = bindparam("b_now", type_=s.UtcDateTime())
            where = [c[by] == bindparam("b_value"), *(c[name].is_(None) for name in unless_set)]
            if before is not None:
                where.append(c[before] > at)
            return update(table).where(*where).values({column: at})

        variant = ":".join((column, by, ",".join(unless_set), before or ""))
        stmt = _prebuilt("stamp", variant, table, build)
        return self._uow.write(stmt, {"b_value": key, "b_now": now}).rowcount


class Unique(NamedTuple):
    """Another unique key of a table than its id: the columns, and the message of a clash
    on them (formatted with the row's values and ``table``, the table's name), with the
    ``field`` it names, if any."""

    columns: tuple[str, ...]
    message: str
    field: str | None = None


class Insertable(SqlRepository[T]):
    """A repository whose ``add`` inserts the one row ``dump`` builds (a function of
    ``tickex.adapters.sql.mapping``), once.

    When the insert goes nowhere, the ``Conflict`` names the first of ``unique`` that a
    stored row holds, else ``conflict`` (the messages differ by repository, and stay as
    they were)."""

    dump: ClassVar[Callable[[Any], dict[str, Any]]]
    unique: ClassVar[Sequence[Unique]] = ()
    conflict: ClassVar[str] = "{table} {id} already exists"

    def add(self, obj: T) -> None:
        row = type(self).dump(obj)
        if not self._insert_unique(row):
            raise self._taken(row)

    def add_all(self, objs: Sequence[T]) -> None:
        """One multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING 1``; a row that
        did not go in is a ``Conflict`` (named as ``add`` names it)."""
        if len(objs) < 2:
            for obj in objs:
                self.add(obj)
            return
        rows = [type(self).dump(obj) for obj in objs]
        stmt = insert_ignoring_conflicts(self._uow.dialect, self.table)
        if len(self._uow.write_many(stmt, rows).all()) != len(rows):
            raise next((self._taken(r) for r in rows if self._row_by("id", r["id"]) is None),
                       self._taken(rows[0]))  # fmt: skip

    def _taken(self, row: dict[str, Any]) -> Conflict:
        c = self.table.c
        for key in self.unique:
            values = {name: row[name] for name in key.columns}
            if None in values.values():
                continue  # a NULL clashes with nothing
            if self._row(*(c[name] == value for name, value in values.items())) is not None:
                return self._conflict(key.message, row, key.field)
        return self._conflict(self.conflict, row)

    def _conflict(self, message: str, row: dict[str, Any], field: str | None = None) -> Conflict:
        context = {} if field is None else {"field": field}
        return Conflict(message.format(table=self.table.name, **row), **context)


class Gettable(Insertable[T]):
    """Read back by id, too."""

    def get(self, key: str) -> T | None:
        return self._get(key)


class Versioned(Gettable[T]):
    """Saved under optimistic concurrency, too (see ``_save_versioned``)."""

    def save(self, obj: T) -> None:
        self._save_versioned(obj, type(self).dump(obj))
