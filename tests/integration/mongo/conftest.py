"""Fixtures for the Mongo adapter's integration tests.

``storage`` is mongomock in the compensating mode (runs everywhere); ``server_storage``
is a real wire server from ``TICKEX_TEST_MONGODB_URI`` (``tests/mongo_server.py``:
skipped without one, failed under ``TICKEX_REQUIRE_SERVICES=1``), each test in a database
of its own that is dropped afterwards; ``transactional_storage`` also needs the server to
be a replica set.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import mongomock
import pytest

from tests.mongo_server import mark_departures, require_replica_set, require_server
from tickex.adapters.mongo import MongoStorage


@pytest.fixture
def storage() -> Iterator[MongoStorage]:
    client: Any = mongomock.MongoClient(tz_aware=True)
    s = MongoStorage(client, f"tickex_{uuid.uuid4().hex}", mode="compensating", serialize=True)
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def server_url(request: pytest.FixtureRequest) -> str:
    url = require_server()
    mark_departures(request)
    return url


def open_server_storage(url: str, **kwargs: Any) -> MongoStorage:
    s = MongoStorage.from_url(
        url, f"tickex_test_{uuid.uuid4().hex[:16]}", serverSelectionTimeoutMS=5000, **kwargs
    )
    s.migrate()
    return s


@pytest.fixture
def server_storage(server_url: str) -> Iterator[MongoStorage]:
    s = open_server_storage(server_url)
    yield s
    s.client.drop_database(s.database.name)
    s.close()


@pytest.fixture
def transactional_storage(server_storage: MongoStorage) -> MongoStorage:
    require_replica_set()
    return server_storage
