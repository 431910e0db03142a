"""Idempotency keys: claimed with ``INSERT ... ON CONFLICT DO NOTHING`` on the unique
``(scope, key_digest)``, so of two racing claims of one key the second waits for the first
and inserts nothing; changed by versioned saves; purged by expiry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import plain_object, plain_row
from tickex.adapters.sql.repositories.base import SqlRepository
from tickex.ports.idempotency import IdempotencyRecord, IdempotencyRepository

_row = plain_row(s.idempotency_keys)


class IdempotencyKeys(SqlRepository[IdempotencyRecord], IdempotencyRepository):
    table = s.idempotency_keys
    load = plain_object(IdempotencyRecord)

    def claim(self, record: IdempotencyRecord) -> bool:
        return self._insert_unique(_row(record))

    def find(self, scope: str, key_digest: str) -> IdempotencyRecord | None:
        c = self.table.c
        return self._first(c.scope == scope, c.key_digest == key_digest)

    def save(self, record: IdempotencyRecord) -> None:
        self._save_versioned(record, _row(record))

    def remove(self, record: IdempotencyRecord) -> bool:
        c = self.table.c
        stmt = delete(self.table).where(c.id == record.id, c.version == record.version)
        return self._uow.write(stmt).rowcount == 1

    def purge_expired(self, now: datetime, limit: int) -> int:
        """One DELETE of the oldest expired rows; the condition is repeated outside the
        subquery so that a row restarted meanwhile (a new ``expires_at``) stays."""
        c = self.table.c
        due = select(c.id).where(c.expires_at <= now).order_by(c.expires_at, c.id).limit(limit)
        stmt = delete(self.table).where(c.id.in_(due.scalar_subquery()), c.expires_at <= now)
        return self._uow.write(stmt).rowcount
