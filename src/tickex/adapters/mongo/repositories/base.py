"""What every Mongo repository shares: ``_Repo`` reads and writes one collection through
the unit of work's :class:`~tickex.adapters.mongo.unit_of_work.Work` (its session, and the
journal of inverses in compensating mode), inserts that turn a duplicate key into
``Conflict``, conditional updates that return the document before the change, and the
versioned save (``{_id, version}`` -> ``$set`` + ``$inc``).

A ``hot`` repository (quotas and promo codes: documents every buyer of an on-sale writes)
keeps out of the unit's transaction: its reads and writes run outside it and its writes are
journalled and undone on rollback in both modes (ADR 0018).

Over it, as in the SQL adapter, the collection of one aggregate mapped by its ``spec`` (an
:class:`~tickex.adapters.mongo.mapping.common.Aggregate`): :class:`Insertable` (``add``),
:class:`Gettable` (``get`` by id, too) and :class:`Versioned` (``save``, too); a repository
declares its collection, spec and unique clash (:class:`Taken`) and writes only its own
queries and guards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar

from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from tickex.adapters.mongo.mapping.common import Aggregate, Document, count, text, time_sort
from tickex.domain.errors import ConcurrencyConflict, Conflict

if TYPE_CHECKING:  # the unit of work imports the repositories
    from tickex.adapters.mongo.unit_of_work import Work

T = TypeVar("T")
R = TypeVar("R")  # what one operation returns
Sort = list[tuple[str, int]]
Session = ClientSession | None


class _Versioned(Protocol):
    id: str
    version: int


V = TypeVar("V", bound=_Versioned)


def by_creation(direction: int = 1) -> Sort:
    """Creation order (ties broken by id); ``-1``: newest first."""
    return [*time_sort("created_at", direction), ("_id", direction)]


def duplicate_of(exc: DuplicateKeyError) -> set[str]:
    """The fields of the unique index that refused a write, when the server says so
    (mongomock does not: the set is empty then)."""
    pattern = (exc.details or {}).get("keyPattern") or {}
    return set(pattern) if isinstance(pattern, dict) else set()


class _Repo(Generic[T]):
    """One collection (``name``) of one kind of aggregate (``kind``, for messages), mapped
    by ``spec`` unless the repository names its own ``_load``."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    spec: ClassVar[Aggregate[Any] | None] = None
    #: the callers' name for an id (the port's), in the message that refuses one, when it
    #: is not ``<kind>_id``
    id_name: ClassVar[str | None] = None
    #: documents every buyer writes (counters): read and written outside the transaction,
    #: each write compensated (ADR 0018)
    hot: ClassVar[bool] = False

    def __init__(self, work: Callable[[], Work]) -> None:
        # The unit of work's Work exists only between __enter__ and __exit__.
        self._work = work

    @property
    def _w(self) -> Work:
        return self._work()

    @property
    def _c(self) -> Collection[Document]:
        return self._w.collection(self.name, outside=self.hot)

    @property
    def _compensated(self) -> bool:
        """Whether this repository's writes are applied at once and journalled."""
        return self._w.compensates(self.hot)

    def _read(self, op: Callable[[Session], R]) -> R:
        return self._w.read(op, outside=self.hot)

    def _write(self, op: Callable[[Session], R]) -> R:
        return self._w.write(op, outside=self.hot)

    def _remember(self, description: str, undo: Callable[[], bool]) -> None:
        self._w.remember(description, undo, outside=self.hot)

    @property
    def _id_name(self) -> str:
        return self.id_name or f"{self.kind.replace(' ', '_')}_id"

    # -- reads ----------------------------------------------------------------------------
    def _one(self, query: Document) -> Document | None:
        return self._read(lambda s: self._c.find_one(query, session=s))

    def _many(self, query: Document, sort: Sort, limit: int = 0, skip: int = 0) -> list[Document]:
        def run(s: Session) -> list[Document]:
            return list(self._c.find(query, sort=sort, skip=skip, limit=max(limit, 0), session=s))

        return self._read(run)

    def _load(self, doc: Mapping[str, Any]) -> T:
        """A stored document as the domain object, as this unit sees it (with its deferred
        frees, see ``Work.overlay``)."""
        if self.spec is None:
            raise NotImplementedError(f"{type(self).__name__} names no spec and no _load")
        loaded: T = self.spec.load(self._w.overlay(self.name, dict(doc)))
        return loaded

    def _by(self, field: str, value: object, name: str) -> T | None:
        """The aggregate whose ``field`` equals the caller's ``value`` (a string, see
        :func:`~tickex.adapters.mongo.mapping.common.text`), or None."""
        return self._first({field: text(value, name)})

    def _first(self, query: Document) -> T | None:
        doc = self._one(query)
        return None if doc is None else self._load(doc)

    def _list(self, query: Document, sort: Sort, limit: int = 0, skip: int = 0) -> list[T]:
        return [self._load(doc) for doc in self._many(query, sort, limit, skip)]

    def _list_by(self, field: str, value: object, sort: Sort) -> list[T]:
        """The aggregates whose ``field`` equals the caller's ``value`` (a string)."""
        return self._list({field: text(value, field)}, sort)

    def _page(self, query: Document, sort: Sort, limit: int, offset: int) -> list[T]:
        """At most ``limit`` aggregates after the first ``offset`` (both counts)."""
        skip, limit = count(offset, "offset"), count(limit, "limit")
        if limit == 0:  # to MongoDB, a limit of 0 means none
            return []
        return self._list(query, sort, limit, skip)

    def _found(self, query: Document) -> bool:
        found = self._read(lambda s: self._c.find_one(query, {"_id": 1}, session=s))
        return found is not None

    def _exists(self, key: str) -> bool:
        return self._found({"_id": key})

    # -- writes ---------------------------------------------------------------------------
    def _insert(self, doc: Document, conflict: Callable[[DuplicateKeyError], Conflict]) -> None:
        try:
            self._write(lambda s: self._c.insert_one(doc, session=s))
        except DuplicateKeyError as exc:
            raise conflict(exc) from exc
        key, collection = doc["_id"], self._c
        self._remember(
            f"insert into {self.name} {key!r}",
            lambda: collection.delete_one({"_id": key}).deleted_count == 1,
        )

    def _insert_once(self, doc: Document, key: tuple[str, ...], what: str) -> bool:
        """Insert ``doc`` unless a document with the same ``key`` fields exists; False when
        one does. Looks first: in a transaction a duplicate-key error aborts the whole
        transaction, and "already there" is the everyday answer (a webhook delivered twice,
        a retried request). A concurrent unit that inserted it first makes a transactional
        unit retry (``ConcurrencyConflict``), where the retry sees it."""
        if self._found({name: doc[name] for name in key}):
            return False
        try:
            self._insert(doc, lambda _: Conflict(f"{what} already recorded"))
        except Conflict as exc:
            if self._w.transactional:
                raise ConcurrencyConflict(f"the {what} was recorded concurrently") from exc
            return False
        return True

    def _add(self, doc: Document, taken: Conflict | None = None) -> None:
        """Insert ``doc``: a duplicate ``_id`` is "<kind> <id> already exists", a duplicate
        on another unique index is ``taken``."""

        def conflict(exc: DuplicateKeyError) -> Conflict:
            if taken is None or duplicate_of(exc) == {"_id"}:
                return Conflict(f"{self.kind} {doc['_id']} already exists")
            return taken

        self._insert(doc, conflict)

    def _update(self, query: Document, change: Document) -> Document | None:
        """One conditional update; returns the document *before* it (None: no match)."""
        return self._write(
            lambda s: self._c.find_one_and_update(
                query, change, return_document=ReturnDocument.BEFORE, session=s
            )
        )

    def _undo(self, description: str, query: Document, change: Document) -> None:
        """Journal a conditional inverse update (applied only if ``query`` still matches)."""
        collection = self._c
        self._remember(description, lambda: collection.update_one(query, change).matched_count == 1)

    def _save_versioned(self, obj: _Versioned, doc: Document) -> None:
        key, version = text(obj.id, "id"), obj.version
        fields = {k: v for k, v in doc.items() if k not in ("_id", "version")}
        before = self._update(
            {"_id": key, "version": version}, {"$set": fields, "$inc": {"version": 1}}
        )
        if before is None:
            if not self._exists(key):
                raise ConcurrencyConflict(f"{self.name} {key} does not exist")
            raise ConcurrencyConflict(f"{self.name} {key} was changed concurrently")
        collection = self._c
        self._remember(
            f"save of {self.name} {key!r}",
            lambda: (
                collection.replace_one({"_id": key, "version": version + 1}, before).matched_count
                == 1
            ),
        )
        obj.version = version + 1


class Taken(NamedTuple):
    """What a clash on a unique index other than ``_id`` means: ``message``, formatted
    with the document's fields (and ``collection``), and the ``field`` it names."""

    message: str
    field: str | None = None

    def conflict(self, doc: Document, collection: str) -> Conflict:
        context = {} if self.field is None else {"field": self.field}
        return Conflict(self.message.format(collection=collection, **doc), **context)


class Insertable(_Repo[T]):
    """The collection of one aggregate: ``add`` inserts the document ``spec`` makes."""

    spec: ClassVar[Aggregate[Any]]
    taken: ClassVar[Taken | None] = None

    def add(self, obj: T) -> None:
        doc = self.spec.dump(obj)
        self._add(doc, None if self.taken is None else self.taken.conflict(doc, self.name))


class Gettable(Insertable[T]):
    """Read back by id, too."""

    def get(self, key: str) -> T | None:
        return self._by("_id", key, self._id_name)


class Versioned(Gettable[V]):
    """Saved under optimistic concurrency, too (see ``_save_versioned``)."""

    def save(self, obj: V) -> None:
        self._save_versioned(obj, self.spec.dump(obj))
