"""Deadlocks, serialization failures, a SQLite lock that outlasts the busy timeout and a
pooled PostgreSQL connection found dead surface as ConcurrencyConflict, so that the
application runs the unit of work again."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.integration.sql.support import POSTGRES_URL, postgres_storage, sqlite_storage
from tickex.adapters.sql import normalize_url
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.domain.errors import ConcurrencyConflict
from tickex.facade import TickEx
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


def test_a_pooled_connection_the_server_closed_is_replaced_and_the_unit_run_again() -> None:
    """No pre-ping on checkout (a round trip per unit of work): the first statement on a
    dead connection finds out, the unit runs again on a fresh one, and nothing is lost or
    done twice. At COMMIT the outcome is unknown: that stays an error."""
    with postgres_storage(pool_size=1, max_overflow=0) as storage:
        app = TickEx.in_memory(storage=storage)
        app.create_organizer(CreateOrganizer(name="First", email="first@example.com"))
        with storage.engine.connect() as conn:  # the pool's one connection
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            conn.rollback()
        admin = create_engine(normalize_url(POSTGRES_URL))
        try:
            with admin.begin() as conn:
                assert conn.execute(
                    text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
                ).scalar()
        finally:
            admin.dispose()
        second = app.create_organizer(CreateOrganizer(name="Second", email="second@example.com"))
        with storage.engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
            names = conn.execute(text("SELECT name FROM organizers ORDER BY name")).scalars().all()
            conn.rollback()
        assert (second.name, names) == ("Second", ["First", "Second"])
