"""What every in-memory repository shares: ``_Repo`` reads and writes one table through
the unit of work, hands out deep copies (``_clone``), refuses duplicates and saves
versioned aggregates (a stale ``version`` is a ``ConcurrencyConflict``).

Over it, as in the SQL engine: ``_Insertable`` (``add``, refusing a clash on the id or on
any of its ``unique`` keys), ``_Gettable`` (``get`` by id, too) and ``_Versioned``
(``save`` under optimistic concurrency, too), so that an aggregate's repository spells out
only its lookups and conditional changes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar

from tickex.domain.errors import ConcurrencyConflict, Conflict

if TYPE_CHECKING:  # the unit of work imports the repositories
    from tickex.adapters.memory.unit_of_work import InMemoryUnitOfWork

T = TypeVar("T")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


A = TypeVar("A", bound=_Identified)


def by_creation(obj: Any) -> tuple[datetime, str]:
    """The sort key of what is listed in creation order (ties broken by id)."""
    return (obj.created_at, obj.id)


def _clone(obj: T) -> T:
    out = copy.deepcopy(obj)
    events = getattr(out, "events", None)
    if isinstance(events, list):
        events.clear()
    return out


class _Repo(Generic[A]):
    """One table of one kind of aggregate, keyed by its id."""

    table = ""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    # -- reads ----------------------------------------------------------------------------
    def _stored(self, key: str) -> A | None:
        """The stored row itself (not a copy): only to decide and ``replace`` it."""
        stored: A | None = self._uow.read(self.table, key)
        return stored

    def _get(self, key: str) -> A | None:
        value = self._stored(key)
        return None if value is None else _clone(value)

    def _find(self, predicate: Callable[[A], bool]) -> list[A]:
        return [_clone(v) for v in self._uow.scan(self.table) if predicate(v)]

    def _first(self, predicate: Callable[[A], bool]) -> A | None:
        found = self._find(predicate)
        return found[0] if found else None

    def _get_by(self, field: str, value: object) -> A | None:
        """The first row whose ``field`` is ``value`` (a copy), or None."""
        return self._first(lambda v: getattr(v, field) == value)

    def _sorted(
        self, predicate: Callable[[A], bool], key: Callable[[A], Any], *, reverse: bool = False
    ) -> list[A]:
        return sorted(self._find(predicate), key=key, reverse=reverse)

    # -- writes ---------------------------------------------------------------------------
    def _insert_new(self, key: str, value: Any) -> bool:
        """Store a copy of ``value`` under ``key`` unless the key is taken; whether it went
        in (what the SQL engine's ``INSERT ... ON CONFLICT DO NOTHING`` answers)."""
        if self._uow.read(self.table, key) is not None:
            return False
        self._uow.write(self.table, key, _clone(value))
        return True

    def _insert(self, key: str, value: Any) -> None:
        if not self._insert_new(key, value):
            raise Conflict(f"{self.table} {key} already exists")

    def _add(self, obj: A) -> None:
        self._insert(obj.id, obj)

    def _add_unique(self, obj: A, clashes: Callable[[A], bool], taken: Conflict) -> None:
        """Insert ``obj``, or raise ``taken`` when a stored row ``clashes`` with it (what the
        other engines' unique indexes refuse)."""
        if any(clashes(v) for v in self._uow.scan(self.table)):
            raise taken
        self._add(obj)

    def _update(self, key: str, condition: Callable[[A], bool], **changes: Any) -> bool:
        """``changes`` on the row ``key`` if it exists and meets ``condition``."""
        stored = self._stored(key)
        if stored is None or not condition(stored):
            return False
        self._uow.write(self.table, key, replace(stored, **changes))  # type: ignore[type-var]
        return True

    def _save_versioned(self, obj: Any) -> None:
        stored = self._uow.read(self.table, obj.id)
        if stored is None:
            raise ConcurrencyConflict(f"{self.table} {obj.id} does not exist")
        if stored.version != obj.version:
            raise ConcurrencyConflict(f"{self.table} {obj.id} was changed concurrently")
        obj.version += 1
        self._uow.write(self.table, obj.id, _clone(obj))


class Unique(NamedTuple):
    """A unique key other than the id: the fields no two rows share the values of (a None
    clashes with nothing, as a NULL in the other engines' unique indexes), and the message
    of a clash (formatted with those values and ``table``), with the ``field`` it names."""

    fields: tuple[str, ...]
    message: str
    field: str | None = None


class _Insertable(_Repo[A]):
    """A repository whose ``add`` stores a copy, once: a stored row with the same id, or
    with the same values of one of ``unique`` (checked in order), is a ``Conflict``."""

    unique: ClassVar[Sequence[Unique]] = ()

    def add(self, obj: A) -> None:
        for key in self.unique:
            wanted = {name: getattr(obj, name) for name in key.fields}
            if None not in wanted.values() and self._holds(wanted):
                context = {} if key.field is None else {"field": key.field}
                raise Conflict(key.message.format(table=self.table, **wanted), **context)
        self._add(obj)

    def _holds(self, wanted: dict[str, Any]) -> bool:
        """Whether a stored row has every one of the ``wanted`` values."""
        return any(
            all(getattr(v, name) == value for name, value in wanted.items())
            for v in self._uow.scan(self.table)
        )


class _Gettable(_Insertable[A]):
    """Read back by id, too."""

    def get(self, key: str) -> A | None:
        return self._get(key)


class _Versioned(_Gettable[A]):
    """Saved under optimistic concurrency, too (see ``_save_versioned``)."""

    def save(self, obj: A) -> None:
        self._save_versioned(obj)
