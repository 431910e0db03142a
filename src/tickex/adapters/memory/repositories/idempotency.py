"""Idempotency keys in memory: a key is claimed under the store's lock, so the check for a
record holding it and the insert are one step, as a unique index makes them elsewhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickex.adapters.memory.repositories.base import _Repo
from tickex.domain.errors import Conflict
from tickex.ports.idempotency import IdempotencyRecord, IdempotencyRepository


class _IdempotencyRecords(_Repo[IdempotencyRecord], IdempotencyRepository):
    table = "idempotency_keys"

    def claim(self, record: IdempotencyRecord) -> bool:
        key = (record.scope, record.key_digest)
        try:
            self._add_unique(record, lambda r: (r.scope, r.key_digest) == key, Conflict("taken"))
        except Conflict:
            return False
        return True

    def find(self, scope: str, key_digest: str) -> IdempotencyRecord | None:
        return self._first(lambda r: r.scope == scope and r.key_digest == key_digest)

    def save(self, record: IdempotencyRecord) -> None:
        self._save_versioned(record)

    def remove(self, record: IdempotencyRecord) -> bool:
        stored = self._stored(record.id)
        if stored is None or stored.version != record.version:
            return False
        self._uow.delete(self.table, record.id)
        return True

    def purge_expired(self, now: datetime, limit: int) -> int:
        expired = self._sorted(lambda r: r.expires_at <= now, lambda r: (r.expires_at, r.id))
        for record in expired[:limit]:
            self._uow.delete(self.table, record.id)
        return len(expired[:limit])


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {"idempotency": _IdempotencyRecords}
