"""The storage contract on the SQL adapter: SQLite (a temporary file) and PostgreSQL (a
schema of its own per test, dropped afterwards; skipped when PostgreSQL does not answer,
failed instead when TICKEX_REQUIRE_SERVICES=1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sql.support import postgres_storage, sqlite_storage
from tickex.adapters.sql import SqlStorage
from tickex.testing.contracts import (
    IdempotencyStorageContract,
    IdentityStorageContract,
    StorageContract,
)


class _OnSqlite:
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SqlStorage]:
        with sqlite_storage(tmp_path) as storage:
            yield storage


class _OnPostgres:
    @pytest.fixture
    def storage(self) -> Iterator[SqlStorage]:
        with postgres_storage() as storage:
            yield storage


class TestSqliteStorage(_OnSqlite, StorageContract):
    pass


@pytest.mark.requires_postgres
class TestPostgresStorage(_OnPostgres, StorageContract):
    pass


class TestSqliteIdentityStorage(_OnSqlite, IdentityStorageContract):
    pass


@pytest.mark.requires_postgres
class TestPostgresIdentityStorage(_OnPostgres, IdentityStorageContract):
    pass


class TestSqliteIdempotencyStorage(_OnSqlite, IdempotencyStorageContract):
    pass


@pytest.mark.requires_postgres
class TestPostgresIdempotencyStorage(_OnPostgres, IdempotencyStorageContract):
    pass
