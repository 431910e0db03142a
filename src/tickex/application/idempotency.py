"""Idempotency keys: a caller's key makes a request that moves money safe to retry.

The same key with the same request (the operation and its command) within 24 hours gets
the first answer again, without doing anything twice; the same key with another request
is refused (``idempotency_key_reused``); while the first attempt still runs, a duplicate
is refused (``idempotency_request_in_flight``) rather than run beside it. Keys belong to
their caller's scope (``organizer:<id>``, ``admin:<id>``, ``customer:<id>``; ``anonymous``
for a buyer without an account, whose key alone is the scope: hence 16 to 255 visible
ASCII characters, a random UUID or better). Only the key's SHA-256 digest is stored.

How (``docs/adr/0019-idempotency-keys.md``):

1. *Claim*: one atomic insert of the key's record (unique per scope and key), committed
   at once, holding a lease of :data:`LEASE`. A taken key is answered from its record:
   the stored answer, a refusal, or -- when the lease lapsed because the attempt holding it
   stopped (a killed process) -- a take-over.
2. *Run*: the use case binds the key to its effect (``Claim.bind``) inside its own unit of
   work: the order and the record that names it commit together or not at all. An
   operation whose answer is known in that unit stores the answer there too.
3. *Complete*: the answer is stored. A take-over after a crash between 2 and 3 resumes
   from the effect named in the record (``Operation.resume``) instead of doing it again.

A refused request (a ``DomainError``) left no live effect, so its key is released: the
retry runs afresh. Any other failure leaves the record for its lease to lapse.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Annotated, Generic, TypeVar

from pydantic import Field

from tickex.application.command import Command, described
from tickex.application.services import Core
from tickex.domain.errors import ConcurrencyConflict, DomainError, ValidationFailed
from tickex.ports.idempotency import IdempotencyRecord
from tickex.ports.unit_of_work import UnitOfWork

R = TypeVar("R")

#: how long a key keeps its answer (then it may be used afresh, and its record purged)
KEY_LIFETIME = timedelta(hours=24)
#: how long an attempt holds a key before another may take it over (well above the
#: payment provider's timeout: an attempt still running keeps its key)
LEASE = timedelta(seconds=60)
KEY_MIN_LENGTH, KEY_MAX_LENGTH = 16, 255
#: visible ASCII: no spaces, no control or non-ASCII characters
KEY_PATTERN = described(
    r"^[\x21-\x7e]+$", "may hold only visible ASCII characters (letters, digits, punctuation)"
)
ANONYMOUS = "anonymous"


class IdempotencyKeyReused(DomainError):
    """The key was used within its lifetime for another request (another body, order or
    operation)."""

    code = "idempotency_key_reused"


class IdempotencyRequestInFlight(DomainError):
    """The first request with this key is still running (or another attempt took it
    over): retry in a moment for its answer."""

    code = "idempotency_request_in_flight"


def scope_of(kind: str, caller_id: str | None) -> str:
    """A caller's key space (``organizer:<id>``), or ``anonymous`` without a caller."""
    return ANONYMOUS if caller_id is None else f"{kind}:{caller_id}"


@dataclass(frozen=True, slots=True)
class IdempotentAnswer:
    """The rendered answer (the same text for the first answer and every replay), and
    whether it is a replay of an earlier request's answer."""

    body: str
    replayed: bool


@dataclass(frozen=True, slots=True)
class Claim(Generic[R]):
    """One attempt's hold on a key. ``resource_id``: the effect an earlier, interrupted
    attempt committed (then the operation resumes from it)."""

    scope: str
    key_digest: str
    lease_id: str
    render: Callable[[R], str] = field(repr=False)
    resource_id: str | None = None

    def bind(self, uow: UnitOfWork, resource_id: str, result: R | None = None) -> None:
        """In the operation's unit of work: name its effect (and, when known there, store
        its answer), so they commit together. Refused (``idempotency_request_in_flight``,
        the unit rolls back) if this attempt lost its key to a take-over."""
        record = self.held(uow)
        if record is None:
            raise IdempotencyRequestInFlight("another attempt took this request over")
        record.resource_id = resource_id
        if result is not None:
            record.response = self.render(result)
        uow.idempotency.save(record)

    def held(self, uow: UnitOfWork) -> IdempotencyRecord | None:
        """The key's record while this attempt holds it (None after a take-over)."""
        record = uow.idempotency.find(self.scope, self.key_digest)
        return record if record is not None and record.lease_id == self.lease_id else None


@dataclass(frozen=True, slots=True)
class Operation(Generic[R]):
    """A use case run under a key: ``run`` does it (binding its effect to the claim),
    ``render`` gives the answer to store and replay, ``resume`` finishes or reads the effect
    an interrupted attempt committed. An operation that binds its answer with its effect
    (one unit of work) is never interrupted between them and needs no ``resume``."""

    name: str
    scope: str
    command: Command
    run: Callable[[Claim[R]], R]
    render: Callable[[R], str]
    resume: Callable[[str], R] | None = None


def run_idempotently(services: Core, key: str, operation: Operation[R]) -> IdempotentAnswer:
    digest = _digest(_checked(key))
    fingerprint = _digest(f"{operation.name}\n{operation.command.model_dump_json()}")
    begun = services.transaction(lambda uow: _begin(services, uow, operation, digest, fingerprint))
    if isinstance(begun, str):
        return IdempotentAnswer(begun, replayed=True)
    claim = begun
    try:
        if claim.resource_id is None:
            result = operation.run(claim)
        else:
            assert operation.resume is not None, f"{operation.name} binds its answer"
            result = operation.resume(claim.resource_id)
    except DomainError:
        services.transaction(lambda uow: _release(uow, claim))
        raise
    body = operation.render(result)
    services.transaction(lambda uow: _complete(uow, claim, body))
    return IdempotentAnswer(body, replayed=False)


def _checked(key: str) -> str:
    if not (
        isinstance(key, str)
        and KEY_MIN_LENGTH <= len(key) <= KEY_MAX_LENGTH
        and re.fullmatch(KEY_PATTERN, key)
    ):
        raise ValidationFailed(
            f"an idempotency key is {KEY_MIN_LENGTH} to {KEY_MAX_LENGTH} visible ASCII characters",
            field="idempotency_key",
        )
    return key


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _begin(
    services: Core, uow: UnitOfWork, operation: Operation[R], digest: str, fingerprint: str
) -> Claim[R] | str:
    """Claim the key, or answer from its record: the stored answer (a ``str``), a
    refusal, or a take-over of a lapsed lease."""
    now = services.clock.now()
    lease_id = services.ids.new_id()
    claim = Claim(operation.scope, digest, lease_id, operation.render)
    fresh = IdempotencyRecord(
        id=services.ids.new_id(), scope=operation.scope, key_digest=digest,
        operation=operation.name, fingerprint=fingerprint, created_at=now,
        expires_at=now + KEY_LIFETIME, lease_id=lease_id, locked_until=now + LEASE,
    )  # fmt: skip
    if uow.idempotency.claim(fresh):
        return claim
    stored = uow.idempotency.find(operation.scope, digest)
    if stored is None:  # released or purged since the claim failed (or not visible yet)
        raise ConcurrencyConflict("the idempotency key changed meanwhile; claim it again")
    if stored.is_expired(now):  # not purged yet: the key starts afresh
        uow.idempotency.save(replace(fresh, id=stored.id, version=stored.version))
        return claim
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used for another request")
    if stored.response is not None:
        return stored.response
    if stored.is_held(now):
        raise IdempotencyRequestInFlight("a request with this Idempotency-Key is still running")
    # The attempt holding it stopped: take over, from the effect it committed, if any.
    stored.lease_id, stored.locked_until = lease_id, now + LEASE
    uow.idempotency.save(stored)
    return replace(claim, resource_id=stored.resource_id)


def _release(uow: UnitOfWork, claim: Claim[R]) -> None:
    """The operation was refused: free the key for a retry (if this attempt still holds
    it and no answer was stored)."""
    record = claim.held(uow)
    if record is not None and not record.is_complete:
        uow.idempotency.remove(record)


def _complete(uow: UnitOfWork, claim: Claim[R], body: str) -> None:
    """Store the answer, unless it was stored with the effect or another attempt took the
    key over (that attempt stores its own, resumed from the same effect)."""
    record = claim.held(uow)
    if record is None or record.is_complete:
        return
    record.response = body
    uow.idempotency.save(record)


class PurgeIdempotencyKeys(Command):
    limit: Annotated[int, Field(ge=1, le=10_000)] = 1000


def purge_idempotency_keys(services: Core, command: PurgeIdempotencyKeys) -> int:
    """Delete expired records (the worker's round); how many. Storage stays bounded by
    the keys of one lifetime."""
    now = services.clock.now()
    return services.transaction(lambda uow: uow.idempotency.purge_expired(now, command.limit))
