"""What every document mapping shares, and the rules that keep user input out of queries.

Every document carries ``schema_version`` so that a later release can migrate documents
lazily, and refuses to read documents written by a newer schema instead of guessing.

Representation choices (see ``docs/adapters/mongo.md``):

- ``_id`` is the domain id (a string); processed provider events get an ObjectId.
- Money is ``{"amount": int, "currency": str}``; amounts must fit BSON's int64.
- A datetime is a BSON date (UTC, millisecond precision, so range queries, sorts, TTL
  indexes and Atlas tooling work) plus ``<field>_us``, the microseconds below the
  millisecond. Together they round-trip the domain's microsecond datetimes exactly, as the
  in-memory reference does; sorts use ``(field, field_us)``. Naive datetimes are refused.
- Enums are stored as their string values; tuples as arrays.
- Outbox payload keys are escaped losslessly (``$``, ``.``, NUL and the escape character
  ``~`` become ``~24``, ``~2E``, ``~00``, ``~7E``) so no payload can carry an operator or a
  dotted path into the database.

Declarative mappings: an aggregate's document is an :class:`Aggregate` spec (a
:class:`Shape` for an embedded document), not a hand-written pair of functions. It stores
the fields of the domain dataclass under their names, in the class's order with the
datetimes last, each as its annotation says (an enum as its value, money, a datetime as
above, a tuple as an array, a frozenset as a sorted array, a nested dataclass as an
embedded document; a field that admits None is None when missing); the spec names only
what differs: lookup keys (:data:`KEY`), counters (:data:`COUNTER`), another
:class:`Codec`, and :class:`Derived` copies for an index. The helpers above it
(:func:`fields`, :func:`with_times`, :func:`read`...) remain for hand-written mappings.

Query values: every string a repository puts into a filter goes through :func:`text`,
which refuses anything that is not a ``str``. A ``str`` in an equality filter is always a
literal in MongoDB (``{"slug": "$where"}`` matches the slug ``"$where"``), so a value such
as ``{"$ne": None}`` arriving from a JSON body can never become an operator. User values
are never placed inside ``$expr`` or aggregation expressions, where a ``$``-string would
be read as a field path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, is_dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta
from enum import Enum
from types import NoneType, UnionType
from typing import (
    Any,
    ClassVar,
    Generic,
    Protocol,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from tickex.domain.errors import ValidationFailed
from tickex.domain.money import Money

Document = dict[str, Any]

SCHEMA_VERSION = 1
SCHEMA_FIELD = "schema_version"

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class SchemaTooNew(RuntimeError):
    """A document was written by a newer TickEx; reading it would lose data."""


# -- query values ------------------------------------------------------------------------
def text(value: object, name: str) -> str:
    """``value`` as a plain ``str`` for a query filter; anything else is refused.

    This is the single gate between caller input and a filter document: dicts (``{"$ne":
    None}``), lists and numbers never reach MongoDB as query values.
    """
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be a string", field=name)
    return str.__str__(value)  # a plain str, even for a str subclass


def optional_text(value: object, name: str) -> str | None:
    """:func:`text`, or None."""
    return None if value is None else text(value, name)


def count(value: object, name: str) -> int:
    """A non-negative int64 (quantities, sizes); ``bool`` is not a number here."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT64_MAX:
        raise ValidationFailed(f"{name} must be a non-negative integer", field=name)
    return value


# -- datetimes ---------------------------------------------------------------------------
def split_time(value: datetime, name: str) -> tuple[datetime, int]:
    """(UTC instant truncated to the millisecond, microseconds below the millisecond)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(f"{name} must be timezone-aware", field=name)
    utc = value.astimezone(UTC)
    rest = utc.microsecond % 1000
    return utc.replace(microsecond=utc.microsecond - rest), rest


def put_time(doc: Document, name: str, value: datetime | None) -> None:
    if value is None:
        doc[name], doc[f"{name}_us"] = None, 0
    else:
        doc[name], doc[f"{name}_us"] = split_time(value, name)


def get_time(doc: Mapping[str, Any], name: str) -> datetime | None:
    """Aware UTC. pymongo (``tz_aware``) and mongomock return different tzinfo objects, and
    a client built without ``tz_aware`` returns naive UTC: all become ``datetime.UTC``."""
    stored = doc.get(name)
    if stored is None:
        return None
    if not isinstance(stored, datetime):
        raise ValidationFailed(f"stored {name} is not a date", field=name)
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=UTC)
    return stored.astimezone(UTC) + timedelta(microseconds=int(doc.get(f"{name}_us") or 0))


def need_time(doc: Mapping[str, Any], name: str) -> datetime:
    value = get_time(doc, name)
    if value is None:
        raise ValidationFailed(f"stored {name} is missing", field=name)
    return value


def time_sort(name: str, direction: int = 1) -> list[tuple[str, int]]:
    return [(name, direction), (f"{name}_us", direction)]


# -- money -------------------------------------------------------------------------------
def money_doc(value: Money) -> Document:
    if not INT64_MIN <= value.amount_minor <= INT64_MAX:
        raise ValidationFailed("amount does not fit a 64-bit integer", field="amount")
    return {"amount": value.amount_minor, "currency": value.currency}


def money(doc: Mapping[str, Any]) -> Money:
    return Money(int(doc["amount"]), str(doc["currency"]))


def optional_money_doc(value: Money | None) -> Document | None:
    return None if value is None else money_doc(value)


def optional_money(doc: Mapping[str, Any] | None) -> Money | None:
    return None if doc is None else money(doc)


# -- outbox payloads ---------------------------------------------------------------------
_ESCAPES = {"~": "~7E", "$": "~24", ".": "~2E", "\x00": "~00"}
_ESCAPED = re.compile(r"~([0-9A-F]{2})")


def escape_key(key: str) -> str:
    """A field name with no ``$``, ``.`` or NUL; :func:`unescape_key` inverts it exactly."""
    return "".join(_ESCAPES.get(ch, ch) for ch in key)


def unescape_key(key: str) -> str:
    return _ESCAPED.sub(lambda found: chr(int(found.group(1), 16)), key)


def payload_doc(value: Any, path: str = "payload") -> Any:
    """A JSON-compatible value as BSON, with every object key escaped."""
    if isinstance(value, Mapping):
        out: Document = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationFailed(f"{path} keys must be strings, got {key!r}", field=path)
            out[escape_key(key)] = payload_doc(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [payload_doc(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, bool) or value is None or isinstance(value, float | str):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValidationFailed(f"{path} does not fit a 64-bit integer", field=path)
        return value
    raise ValidationFailed(
        f"{path} must be JSON-compatible (got {type(value).__name__})", field=path
    )


def payload(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {unescape_key(str(k)): payload(v) for k, v in value.items()}
    if isinstance(value, list):
        return [payload(v) for v in value]
    return value


# -- documents ---------------------------------------------------------------------------
def new_document(id: str) -> Document:
    """A document's first fields: its ``_id`` (the domain id) and the schema version."""
    return {"_id": text(id, "id"), SCHEMA_FIELD: SCHEMA_VERSION}


def check_schema(doc: Mapping[str, Any]) -> None:
    version = doc.get(SCHEMA_FIELD, SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"document {doc.get('_id')!r} has schema {version!r}; this TickEx reads up to "
            f"{SCHEMA_VERSION}: upgrade TickEx before reading this database"
        )


def fields(obj: object, *names: str) -> Document:
    """``obj``'s attributes ``names``, stored as they are (strings, numbers, booleans)."""
    return {name: getattr(obj, name) for name in names}


def lookup_keys(obj: object, *names: str) -> Document:
    """``obj``'s attributes ``names`` that queries filter on, each through :func:`text`."""
    return {name: text(getattr(obj, name), name) for name in names}


def with_times(doc: Document, obj: object, *names: str) -> Document:
    """``doc`` with ``obj``'s datetimes ``names``, each a date and its ``<name>_us``."""
    for name in names:
        put_time(doc, name, getattr(obj, name))
    return doc


def stored(doc: Mapping[str, Any], *names: str, optional: tuple[str, ...] = ()) -> Document:
    """The fields ``names`` of ``doc`` (each must be there) and ``optional`` (None if not)."""
    return {name: doc[name] for name in names} | {name: doc.get(name) for name in optional}


def stored_times(doc: Mapping[str, Any], *names: str, optional: tuple[str, ...] = ()) -> Document:
    """The datetimes ``names`` of ``doc`` (each must be set) and ``optional`` (or None)."""
    return {name: need_time(doc, name) for name in names} | {
        name: get_time(doc, name) for name in optional
    }


def read(
    doc: Mapping[str, Any],
    *names: str,
    optional: tuple[str, ...] = (),
    times: tuple[str, ...] = (),
    optional_times: tuple[str, ...] = (),
) -> Document:
    """An aggregate's constructor arguments from its document, once the schema version is
    checked: ``id``, the fields ``names`` (each must be there) and ``optional`` (None if
    not), the datetimes ``times`` (each must be set) and ``optional_times``."""
    check_schema(doc)
    return (
        {"id": doc["_id"]}
        | stored(doc, *names, optional=optional)
        | stored_times(doc, *times, optional=optional_times)
    )


# -- declarative mappings ----------------------------------------------------------------
def _as_is(value: Any, _name: str) -> Any:
    return value


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Codec:
    """How one field is stored: ``store(value, name)`` (``name``: the field's, for the
    messages of refused values) and ``load(stored)`` back."""

    store: Callable[[Any, str], Any]
    load: Callable[[Any], Any] = _same


#: A lookup key that queries filter on: a plain ``str`` (:func:`text`).
KEY = Codec(text)
#: A counter the guards change with ``$inc``: a non-negative int64 (:func:`count`).
COUNTER = Codec(count)


@dataclass(frozen=True, slots=True)
class Derived:
    """A field stored right after ``source``, ``compute`` of its value, for an index to
    serve; it is never read back."""

    name: str
    source: str
    compute: Callable[[Any], Any]

    def store(self, value: Any, _name: str) -> Any:
        return self.compute(value)


@dataclass(frozen=True, slots=True)
class _Slot:
    """One stored field: ``name`` in the document, from the object's ``attribute``."""

    name: str
    attribute: str
    codec: Codec | None  # None: a datetime, stored as a date and its ``<name>_us``
    optional: bool
    loaded: bool = True

    def put(self, doc: Document, obj: object) -> None:
        value = getattr(obj, self.attribute)
        if self.codec is None:
            put_time(doc, self.name, value)
        elif self.codec.store is _as_is or (value is None and self.optional):
            doc[self.name] = value
        else:
            doc[self.name] = self.codec.store(value, self.name)

    def take(self, doc: Mapping[str, Any]) -> Any:
        if self.codec is None:
            return get_time(doc, self.name) if self.optional else need_time(doc, self.name)
        if not self.optional:
            return self.codec.load(doc[self.name])
        value = doc.get(self.name)
        return None if value is None else self.codec.load(value)


S = TypeVar("S")


class Shape(Generic[S]):
    """A dataclass as an (embedded) document: every field its constructor takes and its
    equality compares (so not the pending domain events), in the class's order with the
    datetimes last, each stored as its annotation says unless ``codecs`` names it; each
    of ``derived`` right after its source."""

    #: fields stored otherwise (an aggregate's id is its ``_id``)
    _elsewhere: ClassVar[tuple[str, ...]] = ()

    def __init__(self, cls: type[S], *derived: Derived, **codecs: Codec | Shape[Any]) -> None:
        hints = get_type_hints(cls)
        names = [
            f.name
            for f in dataclass_fields(cls)  # type: ignore[arg-type]
            if f.init and f.compare and f.name not in self._elsewhere
        ]
        if not set(codecs) <= set(names):
            raise TypeError(f"{cls.__name__} has no fields {sorted(set(codecs) - set(names))}")
        slots: list[_Slot] = []
        for name in names:
            slots.append(_slot(name, hints[name], codecs.get(name)))
            slots += [
                _Slot(d.name, name, Codec(d.store), False, False)
                for d in derived
                if d.source == name
            ]
        self.cls = cls
        self.slots = tuple(sorted(slots, key=lambda slot: slot.codec is None))
        self.codec = Codec(self._store, self.load)

    def dump(self, obj: S) -> Document:
        doc: Document = {}
        for slot in self.slots:
            slot.put(doc, obj)
        return doc

    def load(self, doc: Mapping[str, Any]) -> S:
        return self.cls(**self._values(doc))

    def _values(self, doc: Mapping[str, Any]) -> Document:
        return {slot.attribute: slot.take(doc) for slot in self.slots if slot.loaded}

    def _store(self, obj: S, _name: str) -> Document:
        return self.dump(obj)


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


A = TypeVar("A", bound=_Identified)


class Aggregate(Shape[A]):
    """An aggregate's own document: its ``_id`` (the domain id) and the schema version
    first, then ``extra`` (what is stored that is not the aggregate's, such as the
    ledger's ``sequence``) and its fields; read back once the schema version is checked."""

    _elsewhere = ("id",)

    def dump(self, obj: A, **extra: Any) -> Document:
        return new_document(obj.id) | extra | super().dump(obj)

    def load(self, doc: Mapping[str, Any]) -> A:
        check_schema(doc)
        return self.cls(**({"id": doc["_id"]} | self._values(doc)))


def _slot(name: str, hint: Any, given: Codec | Shape[Any] | None) -> _Slot:
    optional = get_origin(hint) in (Union, UnionType) and NoneType in get_args(hint)
    inner = next(t for t in get_args(hint) if t is not NoneType) if optional else hint
    if isinstance(given, Shape):
        given = given.codec
    if given is None and inner is not datetime:
        given = _codec(inner, name)
    return _Slot(name, name, given, optional)


def _codec(hint: Any, name: str) -> Codec:
    """How a value of the type ``hint`` is stored by default, and read back."""
    if hint in (str, int, bool, float):
        return Codec(_as_is)
    if isinstance(hint, type) and issubclass(hint, Enum):
        enum: type[Enum] = hint
        return Codec(lambda value, _: enum(value).value, enum)
    if hint is Money:
        return Codec(lambda value, _: money_doc(value), money)
    args = get_args(hint)
    if get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _codec(args[0], name)
        return Codec(
            lambda value, name: [item.store(v, name) for v in value],
            lambda stored: tuple(map(item.load, stored)),
        )
    if get_origin(hint) is frozenset:
        item = _codec(args[0], name)
        return Codec(
            lambda value, name: sorted(item.store(v, name) for v in value),
            lambda stored: frozenset(map(item.load, stored)),
        )
    if isinstance(hint, type) and is_dataclass(hint):
        return Shape(hint).codec
    raise TypeError(f"{name}: no default storage for {hint!r}; give its Codec")
