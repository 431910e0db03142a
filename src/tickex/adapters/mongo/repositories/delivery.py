"""The outbox on MongoDB."""

from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import delivery as m
from tickex.adapters.mongo.mapping.common import Document, split_time, text, time_sort
from tickex.adapters.mongo.repositories.base import Session, _Repo, duplicate_of
from tickex.domain.errors import Conflict
from tickex.domain.outbox import OutboxMessage, OutboxStatus
from tickex.ports.repository import OutboxRepository


class MongoOutboxRepository(_Repo, OutboxRepository):
    name = Collections.OUTBOX

    def add(self, message: OutboxMessage) -> None:
        def conflict(exc: DuplicateKeyError) -> Conflict:
            if duplicate_of(exc) == {"_id"}:
                return Conflict(f"outbox message {message.id} already exists")
            return Conflict(f"outbox idempotency key {message.idempotency_key} exists")

        self._insert(m.outbox_doc(message), conflict)

    def get(self, message_id: str) -> OutboxMessage | None:
        doc = self._one({"_id": text(message_id, "message_id")})
        return None if doc is None else m.outbox_message(doc)

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        cutoff, _ = split_time(now, "now")
        docs = self._many(
            {"status": OutboxStatus.PENDING.value, "available_at": {"$lte": cutoff}},
            [*time_sort("available_at"), *time_sort("created_at"), ("_id", 1)],
            limit,
        )
        return [msg for msg in map(m.outbox_message, docs) if msg.available_at <= now][:limit]

    def save(self, message: OutboxMessage) -> None:
        """Unversioned, as the reference: the worker owns a message while delivering it."""
        doc = m.outbox_doc(message)
        key, collection = doc["_id"], self._c

        def replace(s: Session) -> Document | None:
            return collection.find_one_and_replace(
                {"_id": key}, doc, upsert=True, return_document=ReturnDocument.BEFORE, session=s
            )

        try:
            before = self._w.write(replace)
        except DuplicateKeyError as exc:
            raise Conflict(f"outbox idempotency key {message.idempotency_key} exists") from exc

        def undo() -> bool:
            if before is None:
                return collection.delete_one({"_id": key}).deleted_count == 1
            return collection.replace_one({"_id": key}, before).matched_count == 1

        self._w.remember(f"save of outbox message {key!r}", undo)

    def pending_count(self) -> int:
        return self._count(OutboxStatus.PENDING)

    def dead(self, limit: int) -> list[OutboxMessage]:
        docs = self._many(
            {"status": OutboxStatus.DEAD.value},
            [*time_sort("available_at"), *time_sort("created_at"), ("_id", 1)],
            limit,
        )
        return [m.outbox_message(doc) for doc in docs]

    def dead_count(self) -> int:
        return self._count(OutboxStatus.DEAD)

    def _count(self, status: OutboxStatus) -> int:
        query = {"status": status.value}
        return self._w.read(lambda s: self._c.count_documents(query, session=s))


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo]] = {
    "outbox": MongoOutboxRepository,
}
