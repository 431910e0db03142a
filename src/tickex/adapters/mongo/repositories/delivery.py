"""The outbox on MongoDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import delivery as m
from tickex.adapters.mongo.mapping.common import Document, split_time, time_sort
from tickex.adapters.mongo.repositories.base import Gettable, Session, Taken, _Repo
from tickex.domain.outbox import OutboxMessage, OutboxStatus
from tickex.ports.repository import OutboxRepository

#: Due and dead messages, oldest first (as the reference sorts them).
_DELIVERY_ORDER = [*time_sort("available_at"), *time_sort("created_at"), ("_id", 1)]


_TAKEN = Taken("outbox idempotency key {idempotency_key} exists")


class MongoOutboxRepository(Gettable[OutboxMessage], OutboxRepository):
    name = Collections.OUTBOX
    kind = "outbox message"
    spec = m.OUTBOX_MESSAGE
    id_name = "message_id"
    taken = _TAKEN

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        cutoff, _ = split_time(now, "now")
        found = self._list(
            {"status": OutboxStatus.PENDING.value, "available_at": {"$lte": cutoff}},
            _DELIVERY_ORDER,
            limit,
        )
        return [msg for msg in found if msg.available_at <= now][:limit]

    def save(self, message: OutboxMessage) -> None:
        """Unversioned, as the reference: the worker owns a message while delivering it."""
        doc = self.spec.dump(message)
        key, collection = doc["_id"], self._c

        def replace(s: Session) -> Document | None:
            return collection.find_one_and_replace(
                {"_id": key}, doc, upsert=True, return_document=ReturnDocument.BEFORE, session=s
            )

        try:
            before = self._w.write(replace)
        except DuplicateKeyError as exc:
            raise _TAKEN.conflict(doc, self.name) from exc

        def undo() -> bool:
            if before is None:
                return collection.delete_one({"_id": key}).deleted_count == 1
            return collection.replace_one({"_id": key}, before).matched_count == 1

        self._w.remember(f"save of outbox message {key!r}", undo)

    def pending_count(self) -> int:
        return self._count(OutboxStatus.PENDING)

    def dead(self, limit: int) -> list[OutboxMessage]:
        return self._list({"status": OutboxStatus.DEAD.value}, _DELIVERY_ORDER, limit)

    def dead_count(self) -> int:
        return self._count(OutboxStatus.DEAD)

    def _count(self, status: OutboxStatus) -> int:
        query = {"status": status.value}
        return self._w.read(lambda s: self._c.count_documents(query, session=s))


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "outbox": MongoOutboxRepository,
}
