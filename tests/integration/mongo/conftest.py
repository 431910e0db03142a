"""Fixtures for the Mongo adapter's integration tests.

``storage`` is mongomock in the compensating mode (runs everywhere); ``server_storage``
is a real MongoDB from ``TICKEX_TEST_MONGODB_URI`` (skipped without one), each test in a
database of its own that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import mongomock
import pytest

from tickex.adapters.mongo import MongoStorage

MONGODB_URI = os.environ.get("TICKEX_TEST_MONGODB_URI", "")
NO_SERVER = "no MongoDB server: set TICKEX_TEST_MONGODB_URI to run against one"


@pytest.fixture
def storage() -> Iterator[MongoStorage]:
    client: Any = mongomock.MongoClient(tz_aware=True)
    s = MongoStorage(client, f"tickex_{uuid.uuid4().hex}", mode="compensating", serialize=True)
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def server_url() -> str:
    if not MONGODB_URI:
        pytest.skip(NO_SERVER)
    return MONGODB_URI


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
