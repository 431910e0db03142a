"""The storage contract on the Mongo adapter.

- ``TestMongomockStorage`` runs everywhere (CI included) against mongomock, in the
  compensating mode (mongomock has no sessions and no transactions), with units of work
  serialized by a lock because mongomock is not thread-safe. The two concurrency tests are
  skipped with the reason below: under that lock a race proves nothing.
- ``TestMongoServerStorage`` runs the same contract, concurrency included, against a real
  wire server when ``TICKEX_TEST_MONGODB_URI`` is set (``tests/mongo_server.py``: CI runs
  it on SecantusDB as a replica set and standalone), each test in a database of its own.
  See docs/adapters/mongo.md for a one-line server.
- ``TestMongomockIdentityStorage`` and ``TestMongoServerIdentityStorage`` run the identity
  contract (users, refresh sessions, one-time tokens, API keys, staff credentials) on the
  same two fixtures, and the ``...IdempotencyStorage`` pair the idempotency-key contract.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import ClassVar

import mongomock
import pytest

from tests.mongo_server import mark_departures, require_server
from tickex.adapters.mongo import MongoStorage
from tickex.testing.contracts import (
    IdempotencyStorageContract,
    IdentityStorageContract,
    StorageContract,
)

MONGOMOCK_CONCURRENCY = (
    "mongomock is not thread-safe, so this fixture serializes units of work with a lock; "
    "a race under that lock proves nothing about the adapter's atomic guards. Set "
    "TICKEX_TEST_MONGODB_URI to run it against a real MongoDB replica set."
)


def mongomock_storage() -> MongoStorage:
    client = mongomock.MongoClient(tz_aware=True)
    storage = MongoStorage(
        client, f"tickex_{uuid.uuid4().hex}", mode="compensating", serialize=True
    )
    storage.migrate()
    return storage


def server_storage(request: pytest.FixtureRequest) -> Iterator[MongoStorage]:
    url = require_server()
    mark_departures(request)
    storage = MongoStorage.from_url(
        url, f"tickex_test_{uuid.uuid4().hex[:16]}", serverSelectionTimeoutMS=5000
    )
    storage.migrate()
    yield storage
    storage.client.drop_database(storage.database.name)
    storage.close()


class _OnMongomock:
    concurrency_skip_reason: ClassVar[str | None] = MONGOMOCK_CONCURRENCY

    @pytest.fixture
    def storage(self) -> Iterator[MongoStorage]:
        storage = mongomock_storage()
        yield storage
        storage.close()


class _OnServer:
    @pytest.fixture
    def storage(self, request: pytest.FixtureRequest) -> Iterator[MongoStorage]:
        yield from server_storage(request)


class TestMongomockStorage(_OnMongomock, StorageContract):
    pass


class TestMongoServerStorage(_OnServer, StorageContract):
    pass


class TestMongomockIdentityStorage(_OnMongomock, IdentityStorageContract):
    pass


class TestMongoServerIdentityStorage(_OnServer, IdentityStorageContract):
    pass


class TestMongomockIdempotencyStorage(_OnMongomock, IdempotencyStorageContract):
    pass


class TestMongoServerIdempotencyStorage(_OnServer, IdempotencyStorageContract):
    pass
