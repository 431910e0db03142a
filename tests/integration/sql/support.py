"""Test support for the SQL adapter: PostgreSQL availability and isolated schemas.

Every test run gets its own PostgreSQL schema (``tickex_t_<random>``), so parallel runs on
one database never see each other's rows; the schema is dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import require_service
from tests.integration.sql.unguarded import UnguardedSqlStorage
from tickex.adapters.sql import SqlStorage, normalize_url

POSTGRES_URL = os.environ.get(
    "TICKEX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@cache
def postgres_problem() -> str | None:
    """None when PostgreSQL answers, else why not (asked once per process)."""
    engine = create_engine(normalize_url(POSTGRES_URL), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not available"
        return f"{POSTGRES_URL}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def require_postgres() -> None:
    problem = postgres_problem()
    require_service("PostgreSQL", problem is None, problem or "")


def new_schema_name() -> str:
    return f"tickex_t_{uuid.uuid4().hex[:12]}"


def drop_schema(name: str) -> None:
    engine = create_engine(normalize_url(POSTGRES_URL))
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        engine.dispose()


def storage_class(unguarded: bool) -> type[SqlStorage]:
    """The production adapter, or the negative control without the inventory guard."""
    return UnguardedSqlStorage if unguarded else SqlStorage


@contextmanager
def postgres_storage(unguarded: bool = False, **kw: object) -> Iterator[SqlStorage]:
    """A migrated SqlStorage (``unguarded``: the negative control) in a fresh schema,
    dropped afterwards."""
    require_postgres()
    name = new_schema_name()
    storage = storage_class(unguarded)(POSTGRES_URL, schema=name, **kw)  # type: ignore[arg-type]
    try:
        storage.migrate()
        yield storage
    finally:
        storage.close()
        drop_schema(name)


@contextmanager
def sqlite_storage(directory: Path, unguarded: bool = False, **kw: object) -> Iterator[SqlStorage]:
    """A migrated SqlStorage (``unguarded``: the negative control) on a fresh SQLite file
    in ``directory``."""
    path = directory / f"tickex-{uuid.uuid4().hex[:8]}.db"
    storage = storage_class(unguarded)(f"sqlite:///{path}", **kw)  # type: ignore[arg-type]
    try:
        storage.migrate()
        yield storage
    finally:
        storage.close()
