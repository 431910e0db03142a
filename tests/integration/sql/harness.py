"""Multi-process harness for the SQL concurrency proofs.

Each worker *process* builds its own ``SqlStorage`` (its own engine and connections) and
its own ``Services`` (SQL storage + the in-memory adapters for the rest), then runs its
share of the jobs in threads -- one unit of work, one pooled connection each -- after a
barrier shared by every process, so that all buyers hit the database together.

Everything here must be importable by a freshly *spawned* interpreter: module-level
functions and picklable dataclasses only.
"""

from __future__ import annotations

import os
import signal
import threading
import traceback
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.sql.support import storage_class
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.sql import SqlStorage
from tickex.application.sales.cancel_order import CancelOrder, cancel_order
from tickex.application.sales.confirm_payment import ConfirmPayment, confirm_payment
from tickex.application.sales.expire_holds import ExpireHolds, expire_holds
from tickex.application.sales.place_order import OrderItem, PlaceOrder, place_order
from tickex.application.services import Services
from tickex.bootstrap import services_on
from tickex.domain.errors import DomainError
from tickex.ports.clock import Clock

#: Domain refusals a racing buyer may legitimately get; anything else is a failure.
EXPECTED_REFUSALS = frozenset(
    {"sold_out", "promo_code_exhausted", "invalid_transition", "concurrency_conflict"}
)


@dataclass(frozen=True, slots=True)
class Db:
    """A picklable description of one test database."""

    url: str
    schema: str | None = None
    unguarded: bool = False

    def storage(self, pool_size: int = 5, max_overflow: int = 10) -> SqlStorage:
        """``SqlStorage``, or ``UnguardedSqlStorage`` for a negative control."""
        cls = storage_class(self.unguarded)
        return cls(self.url, schema=self.schema, pool_size=pool_size, max_overflow=max_overflow)


def build_services(storage: SqlStorage, clock: Clock | None = None) -> Services:
    """The application with SQL storage and in-memory adapters for everything else."""
    return services_on(storage, clock)


@dataclass(frozen=True, slots=True)
class Job:
    """One racer. ``kind``: buy (place_order, then confirm_payment when ``pay``), pay,
    cancel or expire."""

    kind: str
    event_id: str = ""
    items: tuple[tuple[str, int], ...] = ()
    promo_code: str | None = None
    pay: bool = False
    order_id: str = ""
    organizer_id: str = ""
    amount_minor: int = 0
    currency: str = "EUR"
    email: str = "buyer@example.com"


@dataclass(slots=True)
class JobResult:
    kind: str
    outcome: str  # "ok" or the domain error code, or "error"
    order_id: str = ""
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _run_job(services: Services, job: Job, n: int) -> JobResult:
    try:
        if job.kind == "buy":
            placed = place_order(
                services,
                PlaceOrder(
                    event_id=job.event_id,
                    items=[OrderItem(ticket_type_id=t, quantity=q) for t, q in job.items],
                    customer_email=job.email.replace("@", f"+{n}@"),
                    promo_code=job.promo_code,
                ),
            )
            if job.pay:
                confirm_payment(
                    services,
                    ConfirmPayment(
                        provider="test",
                        provider_event_id=f"evt-{placed.order_id}",
                        order_id=placed.order_id,
                        amount_minor=placed.totals.total.amount_minor,
                        currency=placed.totals.total.currency,
                    ),
                )
            return JobResult(job.kind, "ok", placed.order_id)
        if job.kind == "pay":
            done = confirm_payment(
                services,
                ConfirmPayment(
                    provider="test",
                    provider_event_id=f"evt-{job.order_id}",
                    order_id=job.order_id,
                    amount_minor=job.amount_minor,
                    currency=job.currency,
                ),
            )
            return JobResult(job.kind, "ok", job.order_id, str(done.outcome))
        if job.kind == "cancel":
            cancel_order(
                services,
                CancelOrder(order_id=job.order_id, organizer_id=job.organizer_id, reason="race"),
            )
            return JobResult(job.kind, "ok", job.order_id)
        if job.kind == "expire":
            swept = expire_holds(services, ExpireHolds(limit=1000))
            return JobResult(job.kind, "ok", detail=f"released {swept.released}")
        raise ValueError(f"unknown job kind {job.kind!r}")
    except DomainError as exc:
        return JobResult(job.kind, exc.code, job.order_id, exc.detail)
    except Exception as exc:  # reported to the parent, which fails the test
        return JobResult(job.kind, "error", job.order_id, "".join(traceback.format_exception(exc)))


def run_jobs(
    db: Db, jobs: Sequence[Job], barrier: Any, concurrency: int, seed: int = 0
) -> list[JobResult]:
    """Worker-process entry point: run ``jobs`` in threads once every process is ready."""
    pool = concurrency * (2 if db.unguarded else 1) + 1  # unguarded: snapshot + main
    storage = db.storage(pool_size=pool, max_overflow=0)
    services = build_services(storage)
    results: list[JobResult | None] = [None] * len(jobs)
    gate = threading.Semaphore(concurrency)
    local = threading.Barrier(len(jobs) + 1)

    def racer(i: int, job: Job) -> None:
        local.wait(timeout=120)
        with gate:
            results[i] = _run_job(services, job, seed * 100_000 + i)

    threads = [threading.Thread(target=racer, args=(i, j)) for i, j in enumerate(jobs)]
    try:
        for t in threads:
            t.start()
        # Warm one connection so the first buyer does not pay the connect in the race.
        with storage.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            conn.rollback()
        barrier.wait(timeout=120)  # every process is ready
        local.wait(timeout=120)  # release this process's threads
        for t in threads:
            t.join(timeout=300)
    finally:
        storage.close()
    return [r or JobResult("?", "error", detail="thread did not finish") for r in results]


def race(
    executor: ProcessPoolExecutor,
    manager: Any,
    db: Db,
    jobs: Sequence[Job],
    processes: int,
    concurrency: int,
) -> list[JobResult]:
    """Split ``jobs`` round-robin over ``processes`` worker processes and run them together."""
    barrier = manager.Barrier(processes)
    shares = [list(jobs[i::processes]) for i in range(processes)]
    futures: list[Future[list[JobResult]]] = [
        executor.submit(run_jobs, db, share, barrier, concurrency, seed)
        for seed, share in enumerate(shares)
    ]
    out: list[JobResult] = []
    for f in futures:
        out.extend(f.result(timeout=600))
    return out


def past_clock(minutes_ago: int) -> FixedClock:
    """A clock in the past, to place orders whose holds have already expired."""
    return FixedClock(datetime.now(UTC) - timedelta(minutes=minutes_ago))


def kill_when_ready(child: Any, ready: Any, waiting_for: str) -> None:
    """Start the (spawned) ``child``, SIGKILL it once it sets ``ready``, and check that it
    died of that."""
    child.start()
    try:
        assert ready.wait(120), f"the child never {waiting_for}"
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.join(30)
    assert child.exitcode == -signal.SIGKILL


def hold_and_die(db: Db, event_id: str, ticket_type_id: str, ready: Any) -> None:
    """SIGKILL test child: inside one unit of work, hold inventory and insert an order,
    then tell the parent and wait (to be killed) before committing."""
    from tickex.application.sales.inventory import quota_demand, reserve
    from tickex.testing import builders as b

    storage = db.storage()
    with storage.unit_of_work() as uow:
        tt = uow.ticket_types.get(ticket_type_id)
        assert tt is not None
        items = quota_demand({tt.id: tt}, {tt.id: 2})
        reserve(uow, items, None)
        uow.orders.add(b.order(event_id=event_id, code="KILLED01"))
        uow.holds.add(b.hold(event_id=event_id, items=items))
        ready.set()
        threading.Event().wait(120)  # killed long before this
        uow.commit()  # pragma: no cover - never reached
