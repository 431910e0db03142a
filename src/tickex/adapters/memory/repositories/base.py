"""What every in-memory repository shares: ``_Repo`` reads and writes one table through
the unit of work, hands out deep copies (``_clone``) and saves versioned aggregates
(a stale ``version`` is a ``ConcurrencyConflict``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tickex.domain.errors import ConcurrencyConflict, Conflict

if TYPE_CHECKING:  # the unit of work imports the repositories
    from tickex.adapters.memory.unit_of_work import InMemoryUnitOfWork

T = TypeVar("T")


def _clone(obj: T) -> T:
    out = copy.deepcopy(obj)
    events = getattr(out, "events", None)
    if isinstance(events, list):
        events.clear()
    return out


class _Repo:
    table = ""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _get(self, key: str) -> Any:
        value = self._uow.read(self.table, key)
        return None if value is None else _clone(value)

    def _insert(self, key: str, value: Any) -> None:
        if self._uow.read(self.table, key) is not None:
            raise Conflict(f"{self.table} {key} already exists")
        self._uow.write(self.table, key, _clone(value))

    def _find(self, predicate: Callable[[Any], bool]) -> list[Any]:
        return [_clone(v) for v in self._uow.scan(self.table) if predicate(v)]

    def _save_versioned(self, obj: Any) -> None:
        stored = self._uow.read(self.table, obj.id)
        if stored is None:
            raise ConcurrencyConflict(f"{self.table} {obj.id} does not exist")
        if stored.version != obj.version:
            raise ConcurrencyConflict(f"{self.table} {obj.id} was changed concurrently")
        obj.version += 1
        self._uow.write(self.table, obj.id, _clone(obj))
