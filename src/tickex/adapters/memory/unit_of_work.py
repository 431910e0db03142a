"""``InMemoryUnitOfWork``: one unit of work over an :class:`InMemoryStorage`.

It holds the store's lock from ``__enter__`` to ``__exit__`` (units run one at a time),
writes go to an overlay of pending rows, and ``commit`` applies the overlay at once; a
rollback drops it. The repositories (one an attribute, see
:data:`~tickex.adapters.memory.repositories.REPOSITORIES`) read and write through
:meth:`InMemoryUnitOfWork.read`, :meth:`~InMemoryUnitOfWork.write` and
:meth:`~InMemoryUnitOfWork.scan`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tickex.adapters.memory.repositories import REPOSITORIES
from tickex.ports.unit_of_work import ReadOnlyUnitOfWork, UnitOfWork

if TYPE_CHECKING:  # the storage hands out units of work
    from tickex.adapters.memory.storage import InMemoryStorage

_DELETED = object()


class InMemoryUnitOfWork(UnitOfWork):
    def __init__(self, storage: InMemoryStorage, *, read_only: bool = False) -> None:
        self._storage = storage
        self.read_only = read_only
        self._pending: dict[str, dict[str, Any]] = defaultdict(dict)
        self._entered = False
        self.committed = False
        for attribute, repository in REPOSITORIES.items():
            setattr(self, attribute, repository(self))

    def __enter__(self) -> InMemoryUnitOfWork:
        self._storage.lock.acquire()
        self._entered = True
        self._pending.clear()
        self.committed = False
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.rollback()
        finally:
            if self._entered:
                self._entered = False
                self._storage.lock.release()

    def commit(self) -> None:
        self._check_entered()
        for table, rows in self._pending.items():
            stored = self._storage.tables[table]
            for key, value in rows.items():
                if value is _DELETED:
                    stored.pop(key, None)
                else:
                    stored[key] = value
        self._pending.clear()
        self.committed = True

    def rollback(self) -> None:
        self._pending.clear()

    # -- table access for the repositories ------------------------------------------------
    def _check_entered(self) -> None:
        if not self._entered:
            raise RuntimeError("use the unit of work as a context manager: `with uow: ...`")

    def read(self, table: str, key: str) -> Any:
        self._check_entered()
        pending = self._pending.get(table, {})
        if key in pending:
            value = pending[key]
            return None if value is _DELETED else value
        return self._storage.tables[table].get(key)

    def write(self, table: str, key: str, value: Any) -> None:
        self._check_entered()
        if self.read_only:
            raise ReadOnlyUnitOfWork(f"write to {table} in a read-only unit of work")
        self._pending[table][key] = value

    def delete(self, table: str, key: str) -> None:
        """Remove the row ``key`` at commit (reads in this unit no longer see it)."""
        self.write(table, key, _DELETED)

    def scan(self, table: str) -> Iterator[Any]:
        self._check_entered()
        pending = self._pending.get(table, {})
        for key, value in self._storage.tables[table].items():
            if key not in pending:
                yield value
        for value in pending.values():
            if value is not _DELETED:
                yield value

    def next_sequence(self) -> int:
        self._storage.sequence += 1
        return self._storage.sequence
