"""Deadlocks, serialization failures and a SQLite lock that outlasts the busy timeout
surface as ConcurrencyConflict, so that the application runs the unit of work again."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.sql.support import postgres_storage, sqlite_storage
from tickex.domain.errors import ConcurrencyConflict
from tickex.testing import builders as b


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_postgres_retryable_errors_become_concurrency_conflicts(sqlstate: str) -> None:
    with postgres_storage() as storage, storage.engine.connect() as conn:
        with pytest.raises(ConcurrencyConflict):
            conn.execute(
                text(f"DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '{sqlstate}'; END $$")
            )
        conn.rollback()


def test_postgres_other_errors_stay_what_they_are() -> None:
    with postgres_storage() as storage, storage.engine.connect() as conn:
        with pytest.raises(DBAPIError) as caught:
            conn.execute(text("DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '22012'; END $$"))
        assert not isinstance(caught.value, ConcurrencyConflict)
        conn.rollback()


def test_sqlite_lock_beyond_the_busy_timeout_is_a_concurrency_conflict(tmp_path: Path) -> None:
    with sqlite_storage(tmp_path, busy_timeout_s=0.2) as storage:
        holding = threading.Event()
        release = threading.Event()

        def writer() -> None:
            with storage.unit_of_work() as uow:
                uow.organizers.add(b.organizer())
                holding.set()
                release.wait(5)

        thread = threading.Thread(target=writer)
        thread.start()
        assert holding.wait(5)
        try:
            with storage.unit_of_work() as uow, pytest.raises(ConcurrencyConflict):
                uow.organizers.add(b.organizer())
        finally:
            release.set()
            thread.join()
