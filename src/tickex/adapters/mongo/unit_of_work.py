"""``MongoUnitOfWork``, the unit of work on MongoDB, and :class:`Work`, the session,
transaction and journal behind it: how a unit makes its writes all-or-nothing, in two modes.

Transactional (replica sets and sharded clusters; Atlas always): every read and write of
the unit runs in one multi-document transaction on one ``ClientSession`` (snapshot read
concern, majority write concern, primary) -- except those of the *counter documents*
(quotas and promo codes, see below). MongoDB transactions *fail* on a write conflict
instead of waiting for the other writer, so:

- a ``TransientTransactionError`` on the unit's *first* write (nothing of this unit has
  been written yet, so nothing is lost) aborts and restarts the transaction and retries
  that write with jittered back-off, for up to ``conflict_patience`` seconds: a document
  another unit is writing (an order being paid and cancelled at once) is then waited for,
  as a row lock would be in SQL. Reads made before that write came from the older
  snapshot; every decision they fed is re-checked by a guard or a versioned save.
- a transient error on any later write, on a read or on commit surfaces as
  ``ConcurrencyConflict``: the application's ``Services.transaction`` retries the unit.
- a commit whose outcome is unknown (``UnknownTransactionCommitResult``) is retried (the
  server deduplicates it) until it succeeds, fails definitely, or ``commit_patience``
  runs out (then the unit's counter changes are kept: see below).

Counter documents (ADR 0018): a quota or a promo code is one document every buyer of an
on-sale writes, so inside transactions buyers would abort each other on it. Their
repositories are ``hot``: even in the transactional mode their reads and writes run outside
the transaction, each one atomic conditional single-document operation (majority write
concern), compensated exactly as in the compensating mode below -- journalled and undone
if the transaction aborts, frees applied once it has committed. A unit's transaction then
writes only documents of its own order, and buyers no longer conflict. When a commit's
outcome stays unknown the counters are kept as they are: giving a seat back for a unit
that did commit could oversell it, keeping it at worst leaves it unsold.

Compensating (standalone servers, and mongomock in tests): writes are applied at once and
journalled with their inverse; ``rollback`` (no commit, or an exception) applies the
inverses in reverse order. Inverses are themselves conditional single-document
operations (a restore applies only if nobody saved on top), and an inverse that cannot
apply is logged and listed in ``unrestored`` instead of being forced.

Frees (``release``, ``unsell``, ``release_use``) are the exception: they are checked when
called but *deferred* to ``commit``. Undoing a free would mean taking capacity back, which
fails if somebody bought the freed seat in the meantime; a deferred free never needs
undoing. The unit itself sees its pending frees (:meth:`Work.overlay`).

What this mode cannot give is isolation and crash safety: other units see writes before
commit, and a process that dies between two writes leaves the earlier ones in place. See
``docs/adr/0004-mongo-unit-of-work.md``; for the counter documents in both modes,
``docs/adr/0018-mongo-hot-documents.md``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pymongo import ReadPreference
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from tickex.adapters.mongo.mapping.common import Document
from tickex.adapters.mongo.repositories import REPOSITORIES
from tickex.domain.errors import ConcurrencyConflict
from tickex.ports.unit_of_work import ReadOnlyUnitOfWork, UnitOfWork

if TYPE_CHECKING:  # the storage hands out units of work
    from tickex.adapters.mongo.storage import MongoStorage

R = TypeVar("R")
Operation = Callable[[ClientSession | None], R]

log = logging.getLogger(__name__)

TRANSIENT = "TransientTransactionError"
UNKNOWN_COMMIT = "UnknownTransactionCommitResult"
_MAJORITY = WriteConcern("majority")


def without_values(exc: BaseException) -> None:
    """A server's refusal as it is raised and logged: its name and code, not its text.
    pymongo quotes the server's whole reply ("..., full error: {...}"): the key of a
    duplicate (``dup key: {...}``, ``keyValue``), the value a validator refused
    (``consideredValue``), a bulk write's document (``op``) -- a password hash, a token's
    hash, an email. ``details`` and ``code`` stay on the exception (the repositories read
    ``keyPattern``); errors that are no server reply (a lost connection) keep their text."""
    if isinstance(exc, OperationFailure):
        details = exc.details if isinstance(exc.details, dict) else {}
        name = details.get("codeName") or type(exc).__name__
        terse = f"the server refused the operation ({name}, code {exc.code})"
        exc.args, exc._message = (terse,), terse


@dataclass(eq=False)
class Work:
    """The session, transaction and journal of one unit of work. Repositories read
    through :meth:`read`, write through :meth:`write` and journal inverses with
    :meth:`remember`."""

    client: Any
    db: Database[Document]
    _: KW_ONLY
    transactional: bool
    lock: threading.RLock | None
    conflict_patience: float
    commit_patience: float
    read_only: bool = False
    #: inverses the last rollback could not apply (logged as errors too)
    unrestored: list[str] = field(default_factory=list, init=False)
    _session: ClientSession | None = field(default=None, init=False)
    _journal: list[tuple[str, Callable[[], bool]]] = field(default_factory=list, init=False)
    _deferred: list[Callable[[], None]] = field(default_factory=list, init=False)
    _pending: dict[tuple[str, Any], dict[str, int]] = field(default_factory=dict, init=False)
    _writes: int = field(default=0, init=False)  # successful writes in the current transaction
    _aborted: bool = field(default=False, init=False)  # so the server aborted the transaction
    _entered: bool = field(default=False, init=False)

    # -- lifecycle ------------------------------------------------------------------------
    def enter(self) -> None:
        if self._entered:
            raise RuntimeError("a unit of work cannot be entered twice")
        if self.lock is not None:
            self.lock.acquire()
        try:
            if self.transactional:
                self._session = self.client.start_session(causal_consistency=True)
        except BaseException:
            if self.lock is not None:
                self.lock.release()
            raise
        self._entered = True
        self._forget()
        self._writes, self._aborted = 0, False

    def exit(self) -> None:
        try:
            self.rollback()
        finally:
            if self._entered:
                self._entered = False
                session, self._session = self._session, None
                try:
                    if session is not None:
                        session.end_session()
                finally:
                    if self.lock is not None:
                        self.lock.release()

    def check_entered(self) -> None:
        if not self._entered:
            raise RuntimeError("use the unit of work as a context manager: `with uow: ...`")

    def collection(self, name: str, *, outside: bool = False) -> Collection[Document]:
        """``name``; ``outside`` a transaction, on the primary with writes acknowledged by
        a majority, as in the transaction (whatever the URL's ``readPreference`` and
        ``w``)."""
        if outside and self.transactional:
            return self.db.get_collection(
                name, write_concern=_MAJORITY, read_preference=ReadPreference.PRIMARY
            )
        return self.db[name]

    def compensates(self, outside: bool = False) -> bool:
        """Whether writes (``outside`` the transaction, or all of them in the compensating
        mode) are applied at once and undone by the journal rather than by an abort."""
        return outside or not self.transactional

    # -- transactions ---------------------------------------------------------------------
    def _transaction(self) -> ClientSession | None:
        session = self._session
        if session is None:
            return None
        if not session.in_transaction:
            session.start_transaction(
                read_concern=ReadConcern("snapshot"),
                write_concern=_MAJORITY,
                read_preference=ReadPreference.PRIMARY,
            )
            self._writes, self._aborted = 0, False
        return session

    def _abort(self) -> None:
        session = self._session
        if session is not None and session.in_transaction:
            try:
                session.abort_transaction()
            except PyMongoError:  # the server may have aborted it already
                log.debug("abort_transaction failed", exc_info=True)
        self._writes, self._aborted = 0, False

    def read(self, op: Operation[R], *, outside: bool = False) -> R:
        """Run one read, in the unit's transaction unless ``outside`` it."""
        self.check_entered()
        try:
            return op(None if outside else self._transaction())
        except PyMongoError as exc:
            without_values(exc)
            if not outside and exc.has_error_label(TRANSIENT):
                raise ConcurrencyConflict("the transaction conflicted; retry the unit") from exc
            raise

    def write(self, op: Operation[R], *, outside: bool = False) -> R:
        """Run one write, in the unit's transaction unless ``outside`` it (then the caller
        journals its inverse); see the module docstring for what happens on a conflict."""
        self.check_entered()
        if self.read_only:
            raise ReadOnlyUnitOfWork("write in a read-only unit of work")
        if outside:
            try:
                return op(None)
            except PyMongoError as exc:
                without_values(exc)
                raise
        deadline: float | None = None
        backoff = 0.002
        while True:
            session = self._transaction()
            try:
                result = op(session)
            except PyMongoError as exc:
                without_values(exc)
                if session is None:
                    raise
                transient = exc.has_error_label(TRANSIENT)
                if transient and self._writes == 0 and not self._aborted:
                    now = time.monotonic()
                    deadline = deadline or now + self.conflict_patience
                    if now < deadline:
                        self._abort()
                        time.sleep(random.uniform(0, backoff))  # noqa: S311 - jitter only
                        backoff = min(backoff * 2, 0.1)
                        continue
                self._aborted = True
                if transient:
                    raise ConcurrencyConflict("the transaction conflicted; retry the unit") from exc
                raise
            self._writes += 1
            return result

    def remember(
        self, description: str, undo: Callable[[], bool], *, outside: bool = False
    ) -> None:
        """Journal the inverse of a write that just succeeded, if the write was applied at
        once (:meth:`compensates`); a write in the transaction is undone by its abort.

        ``undo`` returns False when it could not be applied because the document changed
        since; rollback then logs it rather than forcing the document back.
        """
        if self.compensates(outside):
            self._journal.append((description, undo))

    def defer(
        self, collection: str, key: Any, deltas: dict[str, int], apply: Callable[[], None]
    ) -> None:
        """Apply a free at commit (after the transaction's, in the transactional mode);
        until then the unit's own reads see ``deltas`` through :meth:`overlay`."""
        pending = self._pending.setdefault((collection, key), {})
        for counter, delta in deltas.items():
            pending[counter] = pending.get(counter, 0) + delta
        self._deferred.append(apply)

    def overlay(self, collection: str, doc: Document) -> Document:
        """``doc`` as this unit sees it: with its deferred frees applied."""
        pending = self._pending.get((collection, doc["_id"]))
        if not pending:
            return doc
        return doc | {field: doc[field] + delta for field, delta in pending.items()}

    @property
    def journal_size(self) -> int:
        return len(self._journal) + len(self._deferred)

    def _forget(self) -> None:
        self._journal.clear()
        self._deferred.clear()
        self._pending.clear()

    def commit(self) -> None:
        self.check_entered()
        deferred, self._deferred = self._deferred, []
        if not self.transactional:
            for apply in deferred:  # raises (and the unit rolls back) if a free became invalid
                apply()
            self._forget()
            return
        self._commit_transaction()
        # Committed: what the unit took stays taken, and what it freed is freed now. A free
        # checked when called cannot fail here unless the counters were broken elsewhere.
        self._journal.clear()
        for apply in deferred:
            try:
                apply()
            except Exception as exc:  # the unit is committed: report, and free the rest
                without_values(exc)
                log.exception("a free could not be applied after the commit")
        self._forget()

    def _commit_transaction(self) -> None:
        session = self._session
        if session is None or not session.in_transaction:
            return
        if self._aborted:
            self._abort()
            raise ConcurrencyConflict("a write failed, so the transaction was aborted")
        deadline = time.monotonic() + self.commit_patience
        while True:
            try:
                session.commit_transaction()
                break
            except PyMongoError as exc:
                without_values(exc)
                if exc.has_error_label(TRANSIENT):  # aborted: rollback gives back the takes
                    raise ConcurrencyConflict("the commit conflicted; retry the unit") from exc
                if exc.has_error_label(UNKNOWN_COMMIT) and time.monotonic() < deadline:
                    continue  # committing again is safe: the server deduplicates it
                # Maybe committed: giving the counters back could oversell, keeping them
                # at worst leaves seats unsold. Keep them, and say so.
                if self._journal:
                    log.error(
                        "the commit may have happened (%s): kept the unit's %d counter "
                        "change(s)", type(exc).__name__, len(self._journal),
                    )  # fmt: skip
                self._forget()
                raise
        self._writes = 0

    def rollback(self) -> None:
        self.unrestored = []
        journal = list(self._journal)
        self._forget()
        if self.transactional:
            self._abort()  # then give back what the unit changed outside the transaction
        for description, undo in reversed(journal):
            try:
                restored, reason = undo(), "it changed since"
            except Exception as exc:  # keep undoing the rest whatever one inverse does
                without_values(exc)
                restored, reason = False, f"{type(exc).__name__}: {exc}"
            if not restored:
                log.error("rollback could not undo %s (%s)", description, reason)
                self.unrestored.append(description)


class MongoUnitOfWork(UnitOfWork):
    """One unit of work; rolls back unless ``commit()`` was called (cosmicpython's rule).

    Constructing it does no I/O: the session (and the lock, when serialized) is taken in
    ``__enter__`` and given back in ``__exit__``. Every repository (one an attribute, see
    :data:`~tickex.adapters.mongo.repositories.REPOSITORIES`) works through the current
    :class:`Work`.
    """

    def __init__(self, storage: MongoStorage, *, read_only: bool = False) -> None:
        self._storage = storage
        self.read_only = read_only
        self._work: Work | None = None
        self.committed = False
        for attribute, repository in REPOSITORIES.items():
            setattr(self, attribute, repository(self._current))

    def _current(self) -> Work:
        if self._work is None:
            raise RuntimeError("use the unit of work as a context manager: `with uow: ...`")
        return self._work

    @property
    def work(self) -> Work:
        """The session and journal (from ``__enter__`` on): for tests and diagnostics."""
        return self._current()

    def __enter__(self) -> MongoUnitOfWork:
        work = self._work or self._storage.new_work(read_only=self.read_only)
        work.enter()
        self._work = work
        self.committed = False
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._work is not None:
            self._work.exit()

    def commit(self) -> None:
        self._current().commit()
        self.committed = True

    def rollback(self) -> None:
        if self._work is not None:
            self._work.rollback()
