"""Idempotency keys: what is stored about a request made with an ``Idempotency-Key``, and
the repository that stores it (``UnitOfWork.idempotency``).

A record is found by its caller's ``scope`` and the SHA-256 digest of the key (the key
itself is never stored). Claiming a key is one atomic insert that succeeds only while no
record holds that ``(scope, key_digest)`` (a unique index in every engine); every later
change is a versioned save (``ConcurrencyConflict`` when somebody changed the record since
it was read), so two attempts never both believe they hold one key. See
``docs/adr/0019-idempotency-keys.md`` and ``tickex.application.idempotency``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class IdempotencyRecord:
    """One key of one caller: the request it was first used for and, once known, where
    its effect is (``resource_id``) and the answer to give again (``response``).

    While ``response`` is None the request is in flight, held by the attempt whose
    ``lease_id`` it carries until ``locked_until``; an attempt that stopped (a killed
    process) lets its lease lapse, and the next attempt takes the record over."""

    id: str
    scope: str  # whose key space: "anonymous", "customer:<id>", "organizer:<id>"
    key_digest: str  # SHA-256 hex of the key
    operation: str  # e.g. "place_order": a key names one request of one operation
    fingerprint: str  # SHA-256 hex of the operation and its command
    created_at: datetime
    expires_at: datetime  # then the key may be used afresh, and the record purged
    lease_id: str  # the attempt holding the record
    locked_until: datetime  # that attempt's lease
    resource_id: str | None = None  # what the effect created or changed (the order)
    response: str | None = None  # the answer, as the caller rendered it
    version: int = 0

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    @property
    def is_complete(self) -> bool:
        return self.response is not None

    def is_held(self, now: datetime) -> bool:
        """An attempt is still running under a live lease."""
        return not self.is_complete and self.locked_until > now


class IdempotencyRepository(ABC):
    @abstractmethod
    def claim(self, record: IdempotencyRecord) -> bool:
        """Insert ``record`` if no record holds its ``(scope, key_digest)`` (nor its id):
        one atomic insert-if-absent. False when the key is taken. Of racing claims of one
        key exactly one wins; a loser sees False, or ``ConcurrencyConflict`` where the engine
        cannot go on after the refused insert (a MongoDB transaction): the unit is retried
        and then sees False."""

    @abstractmethod
    def find(self, scope: str, key_digest: str) -> IdempotencyRecord | None: ...

    @abstractmethod
    def save(self, record: IdempotencyRecord) -> None:
        """Versioned: ``ConcurrencyConflict`` if the stored version is not the one read (or
        the record is gone); the version moves on by one."""

    @abstractmethod
    def remove(self, record: IdempotencyRecord) -> bool:
        """Delete ``record`` if it is still at the version read; whether it was."""

    @abstractmethod
    def purge_expired(self, now: datetime, limit: int) -> int:
        """Delete up to ``limit`` records with ``expires_at <= now``; how many."""
