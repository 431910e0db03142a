"""What every area's mapping uses: same-named columns copied both ways, money, roles.

Most columns carry the field of the same name, so :func:`to_row` and :func:`from_row`
copy those (an enum is stored as its value and rebuilt from it, by the field's type) and
the area modules spell out only what is stored differently: money as ``*_minor`` +
``*_currency`` columns (or ``{"amount_minor", "currency"}`` inside JSON), value objects as
JSON. Datetimes need nothing here: the ``UtcDateTime`` column type (``schema.py``) stores
and returns aware UTC values.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import fields
from enum import Enum
from functools import cache, partial
from types import UnionType
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, get_args, get_type_hints

from sqlalchemy import Row, Table

from tickex.domain.identity import Role
from tickex.domain.money import Money

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
D = TypeVar("D", bound="DataclassInstance")


def to_row(table: Table, obj: object, omit: Collection[str] = (), **special: Any) -> dict[str, Any]:
    """The values of ``obj`` for every column of ``table``: the attribute of the column's
    name, unless ``special`` gives the column's value; ``omit`` names the columns the
    database fills in. A column with neither fails loudly (``AttributeError``)."""
    values = {
        name: getattr(obj, name)
        for name in _column_names(table)
        if name not in special and name not in omit
    }
    for name, value in values.items():
        # An enum is stored as its value (psycopg would otherwise dump an Enum by name), a
        # tuple (ids, media, scopes) as a JSON list.
        if isinstance(value, Enum):
            values[name] = value.value
        elif isinstance(value, tuple):
            values[name] = list(value)
    values.update(special)
    return values


def from_row(cls: type[D], row: AnyRow, **special: Any) -> D:
    """``cls`` from ``row``: every field from the column of its name (see
    :func:`from_mapping`)."""
    return from_mapping(cls, row._asdict(), **special)


def from_mapping(cls: type[D], data: Mapping[str, Any], **special: Any) -> D:
    """``cls`` from ``data`` (a row's columns, or a JSON object): every field from the
    entry of its name (a JSON list as a tuple, an enum's value as the enum), unless
    ``special`` gives the field; fields without an entry (the pending domain events of a
    row) keep their defaults."""
    values = {name: data[name] for name in _field_names(cls) if name in data}
    for name, value in values.items():
        if isinstance(value, list):
            values[name] = tuple(value)
    for name, enum in _enum_fields(cls):
        value = values.get(name)
        if value is not None and name not in special:
            values[name] = enum(value)
    values.update(special)
    return cls(**values)


def plain_row(table: Table) -> Callable[[Any], dict[str, Any]]:
    """:func:`to_row` for a table whose every column is the field of its name."""
    return partial(to_row, table)


def plain_object(cls: type[D]) -> Callable[[AnyRow], D]:
    """:func:`from_row` for a class whose every field is the column of its name."""
    return partial(from_row, cls)


@cache
def _column_names(table: Table) -> tuple[str, ...]:
    return tuple(column.name for column in table.c)


@cache
def _field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.init)


@cache
def _enum_fields(cls: type[DataclassInstance]) -> tuple[tuple[str, type[Enum]], ...]:
    """The fields typed as an enum (or an enum or None), and the enum."""
    hints = get_type_hints(cls)
    found = []
    for name in _field_names(cls):
        hint = hints[name]
        options = get_args(hint) if isinstance(hint, UnionType) else (hint,)
        enums = [o for o in options if isinstance(o, type) and issubclass(o, Enum)]
        if len(enums) == 1:
            found.append((name, enums[0]))
    return tuple(found)


def money(minor: int | None, currency: str | None) -> Money | None:
    """Two nullable columns back to an optional amount."""
    if minor is None or currency is None:
        return None
    return Money(int(minor), currency)


def money_columns(prefix: str, amount: Money | None) -> dict[str, Any]:
    """``{prefix}_minor`` and ``{prefix}_currency`` (both NULL for no amount)."""
    return {
        f"{prefix}_minor": None if amount is None else amount.amount_minor,
        f"{prefix}_currency": None if amount is None else amount.currency,
    }


def money_json(m: Money) -> dict[str, Any]:
    return {"amount_minor": m.amount_minor, "currency": m.currency}


def money_from_json(d: dict[str, Any]) -> Money:
    return Money(int(d["amount_minor"]), str(d["currency"]))


def roles_text(roles: frozenset[Role]) -> str:
    """Sorted, comma-separated role values (``"customer,organizer"``)."""
    return ",".join(sorted(str(role) for role in roles))


def roles(value: str) -> frozenset[Role]:
    return frozenset(Role(role) for role in value.split(",") if role)
