"""Set-up and inspection helpers for the SQL integration tests: a published event with
ticket types and quotas written straight through the repositories, and read-outs of what
the database holds afterwards."""

from __future__ import annotations

import multiprocessing as mp
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.integration.sql.harness import Db
from tests.integration.sql.support import POSTGRES_URL, postgres_storage, sqlite_storage
from tickex.adapters.sql import SqlStorage, schema
from tickex.domain.event import EventSettings, EventStatus
from tickex.domain.money import Money
from tickex.domain.order import PAID_STATES, Order, OrderStatus
from tickex.domain.promo_code import DiscountKind
from tickex.domain.quota import Quota
from tickex.testing import builders as b

PROCESSES = 4  # worker processes per race (the machine has 2 cores)
LIVE = PAID_STATES | {OrderStatus.PENDING}


@dataclass(frozen=True, slots=True)
class TypeSpec:
    id: str
    quota_size: int
    shared_quota_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Shop:
    organizer_id: str
    event_id: str


def open_shop(
    storage: SqlStorage,
    types: Sequence[TypeSpec],
    shared_quotas: dict[str, int] | None = None,
    promo: tuple[str, int] | None = None,
    price_minor: int = 2500,
) -> Shop:
    """A published event whose ticket types each draw from their own quota (named
    ``q-<type id>``) and the shared quotas listed; optionally a 10 % promo code."""
    org = b.organizer(id=f"org-{uuid.uuid4().hex[:8]}")
    event = b.event(
        organizer_id=org.id,
        status=EventStatus.PUBLISHED,
        settings=EventSettings(max_tickets_per_order=20),
    )
    with storage.unit_of_work() as uow:
        uow.organizers.add(org)
        uow.events.add(event)
        for quota_id, size in (shared_quotas or {}).items():
            uow.quotas.add(b.quota(id=quota_id, event_id=event.id, size=size))
        for spec in types:
            uow.quotas.add(b.quota(id=f"q-{spec.id}", event_id=event.id, size=spec.quota_size))
            uow.ticket_types.add(
                b.ticket_type(
                    id=spec.id,
                    event_id=event.id,
                    price=Money(price_minor, "EUR"),
                    quota_id=f"q-{spec.id}",
                    shared_quota_ids=spec.shared_quota_ids,
                    max_per_order=10,
                )
            )
        if promo is not None:
            code, max_uses = promo
            uow.promo_codes.add(
                b.promo_code(
                    event_id=event.id,
                    code=code,
                    kind=DiscountKind.PERCENT,
                    percent_bp=1000,
                    max_uses=max_uses,
                )
            )
        uow.commit()
    return Shop(org.id, event.id)


def quota(storage: SqlStorage, quota_id: str) -> Quota:
    with storage.unit_of_work() as uow:
        q = uow.quotas.get(quota_id)
    assert q is not None
    return q


def counters(storage: SqlStorage, quota_id: str) -> tuple[int, int]:
    """(sold, held) straight from the table: the domain ``Quota`` refuses impossible
    values, which is what a negative control produces."""
    table = schema.quotas
    with storage.snapshot_connection() as conn:  # takes no write lock (SQLite)
        row = conn.execute(select(table.c.sold, table.c.held).where(table.c.id == quota_id)).one()
        conn.rollback()
    return int(row.sold), int(row.held)


def orders(storage: SqlStorage, event_id: str) -> list[Order]:
    with storage.unit_of_work() as uow:
        return uow.orders.list_by_event(event_id)


def promised(storage: SqlStorage, event_id: str, ticket_type_ids: set[str] | None = None) -> int:
    """Admissions the event has promised to buyers: live (pending or paid) order lines."""
    return sum(
        line.quantity
        for o in orders(storage, event_id)
        if o.status in LIVE
        for line in o.lines
        if ticket_type_ids is None or line.ticket_type_id in ticket_type_ids
    )


@contextmanager
def database(
    engine: str, tmp_path: Path, unguarded: bool = False
) -> Iterator[tuple[Db, SqlStorage]]:
    """A fresh, migrated database on ``engine`` and its picklable description."""
    if engine == "sqlite":
        with sqlite_storage(tmp_path, unguarded=unguarded) as storage:
            url = storage.url.render_as_string(hide_password=False)
            yield Db(url, None, unguarded), storage
    else:
        with postgres_storage(unguarded=unguarded) as storage:
            yield Db(POSTGRES_URL, storage.schema, unguarded), storage


@contextmanager
def worker_pool() -> Iterator[tuple[ProcessPoolExecutor, Any]]:
    """Spawned worker processes (no inherited connections or locks) and a manager for
    the cross-process start barriers."""
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(PROCESSES, mp_context=ctx) as executor:
        yield executor, manager
