"""The inventory rule under real contention: separate processes, separate connections,
the real use cases, on SQLite and on PostgreSQL.

Every proof has a negative control: the same harness against a database whose storage
is ``UnguardedSqlStorage`` (``unguarded.py``: read-then-write, no counter CHECKs) must
show the oversell -- otherwise the harness could not have caught one and the positive
result would prove nothing. A race may not show on every attempt, so the control
retries a bounded number of times.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sql.harness import Job, JobResult, build_services, past_clock, race
from tests.integration.sql.shop import (
    PROCESSES,
    TypeSpec,
    counters,
    database,
    open_shop,
    orders,
    promised,
    quota,
    worker_pool,
)
from tickex.adapters.sql import SqlStorage
from tickex.application.sales.place_order import OrderItem, PlaceOrder, place_order
from tickex.domain.hold import HoldStatus
from tickex.domain.order import OrderStatus

pytestmark = pytest.mark.slow

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.requires_postgres)]
CONTROL_ATTEMPTS = 6
CONCURRENCY = 8  # simultaneous units of work per process (each on its own connection)
Pool = tuple[ProcessPoolExecutor, Any]  # worker processes and a manager for barriers


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with worker_pool() as p:
        yield p


def _outcomes(results: list[JobResult]) -> Counter[str]:
    errors = [r.detail for r in results if r.outcome == "error"]
    assert not errors, errors[0]
    return Counter(r.outcome for r in results)


def _oversold_in_some_attempt(
    engine: str, tmp_path: Path, attempt: Callable[[Any, SqlStorage], bool]
) -> int:
    """Run the unguarded race until it oversells; return the attempt that did."""
    for n in range(1, CONTROL_ATTEMPTS + 1):
        with database(engine, tmp_path, unguarded=True) as (db, storage):
            if attempt(db, storage):
                print(f"negative control oversold on attempt {n}")  # shown with -s / -rP
                return n
    pytest.fail(f"the negative control never oversold in {CONTROL_ATTEMPTS} attempts")


# -- 50 buyers for the last ticket ----------------------------------------------------------
def _last_ticket(pool: Pool, db: Any, storage: SqlStorage) -> tuple[Counter[str], int]:
    shop = open_shop(storage, [TypeSpec("tt-last", 1)])
    jobs = [Job("buy", shop.event_id, (("tt-last", 1),)) for _ in range(50)]
    results = race(*pool, db, jobs, PROCESSES, CONCURRENCY)
    return _outcomes(results), promised(storage, shop.event_id)


@pytest.mark.parametrize("engine", ENGINES)
def test_fifty_buyers_for_the_last_ticket_make_exactly_one_order(
    engine: str, tmp_path: Path, pool: Pool
) -> None:
    with database(engine, tmp_path) as (db, storage):
        outcomes, admissions = _last_ticket(pool, db, storage)
        assert outcomes == {"ok": 1, "sold_out": 49}
        assert admissions == 1
        assert quota(storage, "q-tt-last").held == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_negative_control_last_ticket_oversells_without_the_guard(
    engine: str, tmp_path: Path, pool: Pool
) -> None:
    def attempt(db: Any, storage: SqlStorage) -> bool:
        outcomes, admissions = _last_ticket(pool, db, storage)
        return outcomes["ok"] > 1 and admissions > 1

    _oversold_in_some_attempt(engine, tmp_path, attempt)


# -- 200 buyers of 1-3 tickets for 100 seats, paying --------------------------------------
def _hundred_seats(pool: Pool, db: Any, storage: SqlStorage) -> tuple[Counter[str], str]:
    shop = open_shop(storage, [TypeSpec("tt-seat", 100)])
    jobs = [Job("buy", shop.event_id, (("tt-seat", i % 3 + 1),), pay=True) for i in range(200)]
    results = race(*pool, db, jobs, PROCESSES, CONCURRENCY)
    return _outcomes(results), shop.event_id


@pytest.mark.parametrize("engine", ENGINES)
def test_two_hundred_buyers_of_one_to_three_tickets_sell_exactly_one_hundred_seats(
    engine: str, tmp_path: Path, pool: Pool
) -> None:
    with database(engine, tmp_path) as (db, storage):
        outcomes, event_id = _hundred_seats(pool, db, storage)
        assert set(outcomes) <= {"ok", "sold_out"}
        q = quota(storage, "q-tt-seat")
        assert (q.sold, q.held) == (100, 0)
        paid = [o for o in orders(storage, event_id) if o.status is OrderStatus.PAID]
        assert len(paid) == outcomes["ok"]
        assert sum(o.admissions for o in paid) == 100
        with storage.unit_of_work() as uow:
            assert sum(uow.tickets.count_by_status(event_id).values()) == 100


@pytest.mark.parametrize("engine", ENGINES)
def test_negative_control_hundred_seats_oversell_without_the_guard(
    engine: str, tmp_path: Path, pool: Pool
) -> None:
    def attempt(db: Any, storage: SqlStorage) -> bool:
        _, event_id = _hundred_seats(pool, db, storage)
        return promised(storage, event_id) > 100

    _oversold_in_some_attempt(engine, tmp_path, attempt)


# -- two ticket types sharing a quota of 10 ----------------------------------------------
def _shared(pool: Pool, db: Any, storage: SqlStorage) -> tuple[Counter[str], str]:
    types = [TypeSpec(t, 50, ("q-venue",)) for t in ("tt-front", "tt-back")]
    shop = open_shop(storage, types, shared_quotas={"q-venue": 10})
    jobs = [Job("buy", shop.event_id, ((types[i % 2].id, 1),)) for i in range(40)]
    results = race(*pool, db, jobs, PROCESSES, CONCURRENCY)
    return _outcomes(results), shop.event_id


@pytest.mark.parametrize("engine", ENGINES)
def test_two_ticket_types_sharing_a_quota_of_ten_sell_exactly_ten(
    engine: str, tmp_path: Path, pool: Pool
) -> None:
    with database(engine, tmp_path) as (db, storage):
        outcomes, event_id = _shared(pool, db, storage)
        assert outcomes == {"ok": 10, "sold_out": 30}
        assert promised(storage, event_id) == 10
        assert quota(storage, "q-venue").held == 10
        own = quota(storage, "q-tt-front").held + quota(storage, "q-tt-back").held
        assert own == 10


@pytest.mark.parametrize("engine", ENGINES)
def test_negative_control_shared_quota_oversells_without_the_guard(
    engine: str, tmp_path: Path, pool: Pool
) -> None:
    def attempt(db: Any, storage: SqlStorage) -> bool:
        _, event_id = _shared(pool, db, storage)
        return promised(storage, event_id) > 10

    _oversold_in_some_attempt(engine, tmp_path, attempt)


# -- a promo code with max_uses = 1 and 20 concurrent uses --------------------------------
def _promo(pool: Pool, db: Any, storage: SqlStorage) -> tuple[Counter[str], int, int]:
    shop = open_shop(storage, [TypeSpec("tt-promo", 100)], promo=("ONCE-ONLY", 1))
    jobs = [
        Job("buy", shop.event_id, (("tt-promo", 1),), promo_code="once-only") for _ in range(20)
    ]
    results = race(*pool, db, jobs, PROCESSES, CONCURRENCY)
    with storage.unit_of_work() as uow:
        promo = uow.promo_codes.get_by_code(shop.event_id, "ONCE-ONLY")
    assert promo is not None
    with_promo = [o for o in orders(storage, shop.event_id) if o.promo_code_id == promo.id]
    return _outcomes(results), len(with_promo), promo.uses


@pytest.mark.parametrize("engine", ENGINES)
def test_a_single_use_promo_code_used_by_twenty_buyers_at_once_is_used_once(
    engine: str, tmp_path: Path, pool: Pool
) -> None:
    with database(engine, tmp_path) as (db, storage):
        outcomes, discounted, uses = _promo(pool, db, storage)
        assert outcomes == {"ok": 1, "promo_code_exhausted": 19}
        assert (discounted, uses) == (1, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_negative_control_promo_code_is_overused_without_the_guard(
    engine: str, tmp_path: Path, pool: Pool
) -> None:
    def attempt(db: Any, storage: SqlStorage) -> bool:
        _, discounted, _ = _promo(pool, db, storage)
        return discounted > 1

    _oversold_in_some_attempt(engine, tmp_path, attempt)


# -- expire + pay + cancel racing on one order ---------------------------------------------
ORDERS_PER_RACE = 6


def _expire_pay_cancel(pool: Pool, db: Any, storage: SqlStorage) -> list[str]:
    """Orders whose hold already expired; for each, a payment and a cancellation race two
    sweepers. Returns what is inconsistent (empty when capacity was restored once)."""
    types = [TypeSpec(f"tt-r{i}", 5) for i in range(ORDERS_PER_RACE)]
    shop = open_shop(storage, types)
    early = build_services(storage, clock=past_clock(minutes_ago=60))  # holds end at -45 min
    placed = [
        place_order(
            early,
            PlaceOrder(
                event_id=shop.event_id,
                items=[OrderItem(ticket_type_id=t.id, quantity=2)],
                customer_email="racer@example.com",
            ),
        )
        for t in types
    ]
    jobs = [Job("expire"), Job("expire")]
    for p in placed:
        total = p.totals.total
        jobs.append(Job("pay", order_id=p.order_id, amount_minor=total.amount_minor))
        jobs.append(Job("cancel", order_id=p.order_id, organizer_id=shop.organizer_id))
    results = race(*pool, db, jobs, PROCESSES, CONCURRENCY)
    outcomes = _outcomes(results)
    allowed = {"ok", "invalid_transition", "concurrency_conflict"}
    if db.unguarded:  # the domain refuses to load the impossible quota it then finds
        allowed.add("validation_failed")
    assert set(outcomes) <= allowed, outcomes
    problems: list[str] = []
    with storage.unit_of_work() as uow:
        for t, p in zip(types, placed, strict=True):
            order = uow.orders.get(p.order_id)
            hold = uow.holds.get(order.hold_id or "") if order else None
            assert order is not None
            assert hold is not None
            sold, held = counters(storage, f"q-{t.id}")  # raw: may be impossible values
            expected = (2, 0) if order.is_paid else (0, 0)
            if (sold, held) != expected or hold.status is HoldStatus.ACTIVE:
                problems.append(
                    f"{order.id}: {order.status}, hold {hold.status}, sold {sold}, held {held}"
                )
            if not order.is_paid and order.status not in (
                OrderStatus.EXPIRED,
                OrderStatus.CANCELLED,
            ):
                problems.append(f"{order.id}: left {order.status}")
    return problems


@pytest.mark.parametrize("engine", ENGINES)
def test_expire_pay_and_cancel_racing_restore_capacity_exactly_once(
    engine: str, tmp_path: Path, pool: Pool
) -> None:
    for _ in range(2):
        with database(engine, tmp_path) as (db, storage):
            assert _expire_pay_cancel(pool, db, storage) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_negative_control_expire_pay_cancel_restore_capacity_twice_without_the_guard(
    engine: str, tmp_path: Path, pool: Pool
) -> None:
    _oversold_in_some_attempt(
        engine, tmp_path, lambda db, storage: bool(_expire_pay_cancel(pool, db, storage))
    )
