"""Idempotency keys on MongoDB: a key is claimed by inserting its record, which the unique
index on ``(scope, key_digest)`` lets in once; later changes are versioned saves. Expired
records are removed by the server (a TTL index on ``expires_at``) and by the purge, which
also runs on mongomock and in the compensating mode (an undone removal puts the document
back)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping.common import (
    Document,
    fields,
    lookup_keys,
    new_document,
    read,
    split_time,
    text,
    time_sort,
    with_times,
)
from tickex.adapters.mongo.repositories.base import _Repo
from tickex.ports.idempotency import IdempotencyRecord, IdempotencyRepository

_TIMES = ("created_at", "expires_at", "locked_until")


def record_doc(r: IdempotencyRecord) -> Document:
    doc = (
        new_document(r.id)
        | lookup_keys(r, "scope", "key_digest")
        | fields(r, "operation", "fingerprint", "lease_id", "resource_id", "response", "version")
    )
    return with_times(doc, r, *_TIMES)


def record(doc: Mapping[str, Any]) -> IdempotencyRecord:
    return IdempotencyRecord(
        **read(
            doc,
            *("scope", "key_digest", "operation", "fingerprint", "lease_id", "version"),
            optional=("resource_id", "response"),
            times=_TIMES,
        )
    )


def _expired(now: datetime) -> Document:
    """``expires_at <= now`` to the microsecond, over the date and its remainder."""
    date, micros = split_time(now, "now")
    earlier = {"expires_at": {"$lt": date}}
    return {"$or": [earlier, {"expires_at": date, "expires_at_us": {"$lte": micros}}]}


class MongoIdempotencyRepository(_Repo[IdempotencyRecord], IdempotencyRepository):
    name = Collections.IDEMPOTENCY_KEYS
    kind = "idempotency key"
    _load = staticmethod(record)

    def claim(self, record: IdempotencyRecord) -> bool:
        return self._insert_once(record_doc(record), ("scope", "key_digest"), "idempotency key")

    def find(self, scope: str, key_digest: str) -> IdempotencyRecord | None:
        return self._first(
            {"scope": text(scope, "scope"), "key_digest": text(key_digest, "key_digest")}
        )

    def save(self, record: IdempotencyRecord) -> None:
        self._save_versioned(record, record_doc(record))

    def remove(self, record: IdempotencyRecord) -> bool:
        return self._delete({"_id": text(record.id, "id"), "version": record.version})

    def purge_expired(self, now: datetime, limit: int) -> int:
        due = _expired(now)
        found = self._many(due, [*time_sort("expires_at"), ("_id", 1)], limit)
        return sum(self._delete({"_id": doc["_id"], **due}) for doc in found)

    def _delete(self, query: Document) -> bool:
        """One conditional ``find_one_and_delete``, journalled as putting it back."""
        removed = self._w.write(lambda s: self._c.find_one_and_delete(query, session=s))
        if removed is None:
            return False
        collection = self._c
        self._w.remember(
            f"removal from {self.name} {removed['_id']!r}",
            lambda: collection.insert_one(removed).acknowledged,
        )
        return True


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {"idempotency": MongoIdempotencyRepository}
