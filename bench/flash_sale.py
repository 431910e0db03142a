"""Flash-sale benchmark: N worker processes buy one ticket type through the application
layer (``place_order`` + ``confirm_payment``) on SQLite, PostgreSQL and/or MongoDB.

Prints orders/s, p50/p99 latency and sold vs capacity (must be equal, never more), then,
on the same database, the raw one-operation reserve with the same workers: the ceiling
any path through this database can reach on one hot row or document. On SQL that is
``UPDATE quotas SET held = held + 1 WHERE id = :id AND sold + held + 1 <= size`` + COMMIT;
on MongoDB the guard the adapter runs, ``find_one_and_update({_id, $expr: sold + held + 1
<= size}, {$inc: {held: 1}})`` with majority write concern, outside any transaction.
Results go to ``bench/results/flash_sale.json`` and ``.md``.

    python bench/flash_sale.py [--engine sqlite|postgres|mongo|both|all] [--workers N]
                               [--orders N] [--no-pay] [--profile]

``all`` (the default) runs every engine that answers; ``both`` is SQLite and PostgreSQL.
PostgreSQL is ``TICKEX_BENCH_POSTGRES_URL`` (else ``TICKEX_TEST_POSTGRES_URL``), MongoDB
``TICKEX_BENCH_MONGODB_URI`` (else ``TICKEX_TEST_MONGODB_URI``, else a server on
127.0.0.1:27017); each run uses a schema or database of its own and drops it.

Each worker is a separate process with its own storage (one connection, used
sequentially: a worker is one buyer's browser hammering "buy").
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing as mp
import os
import platform
import pstats
import queue
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pymongo.write_concern import WriteConcern
from sqlalchemy import create_engine, text, update

from tickex.adapters.mongo import MongoStorage
from tickex.adapters.sql import SqlStorage, normalize_url
from tickex.adapters.sql import schema as s
from tickex.application.sales.confirm_payment import ConfirmPayment, confirm_payment
from tickex.application.sales.place_order import OrderItem, PlaceOrder, place_order
from tickex.application.services import Services
from tickex.bootstrap import services_on
from tickex.domain.errors import SoldOut
from tickex.domain.event import EventStatus
from tickex.domain.money import Money
from tickex.ports.unit_of_work import Storage
from tickex.settings import redact_url
from tickex.testing import builders as b

RESULTS = Path(__file__).parent / "results"
DEFAULT_PG = os.environ.get(
    "TICKEX_BENCH_POSTGRES_URL",
    os.environ.get("TICKEX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)
DEFAULT_MONGO = (
    os.environ.get("TICKEX_BENCH_MONGODB_URI")
    or os.environ.get("TICKEX_TEST_MONGODB_URI")
    or "mongodb://127.0.0.1:27017/"
)
ENGINES = {
    "sqlite": ["sqlite"],
    "postgres": ["postgres"],
    "mongo": ["mongo"],
    "both": ["sqlite", "postgres"],
    "all": ["sqlite", "postgres", "mongo"],
}
SERVERS = {"postgres": DEFAULT_PG, "mongo": DEFAULT_MONGO}


def with_database(url: str, name: str) -> str:
    """A MongoDB URL whose path (the database TickEx uses) is ``name``."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@dataclass(frozen=True)
class Target:
    engine: str
    url: str
    schema: str | None  # SQL: the schema; MongoDB: the database is the URL's path

    def storage(self) -> SqlStorage | MongoStorage:
        if self.engine == "mongo":
            return MongoStorage.from_url(self.url, maxPoolSize=2, serverSelectionTimeoutMS=5000)
        return SqlStorage(self.url, schema=self.schema, pool_size=1, max_overflow=1)


def answers(engine: str) -> bool:
    probe: Storage = (
        MongoStorage.from_url(DEFAULT_MONGO, serverSelectionTimeoutMS=3000)
        if engine == "mongo"
        else SqlStorage(DEFAULT_PG)
    )
    try:
        return probe.ping()
    finally:
        probe.close()


def services_for(storage: Storage) -> Services:
    return services_on(storage)


def set_up(storage: Storage, capacity: int, ceiling_size: int) -> str:
    """A published event with one ticket type of ``capacity`` seats, plus a separate quota
    for the raw-statement ceiling run. Returns the event id."""
    org = b.organizer()
    event = b.event(organizer_id=org.id, status=EventStatus.PUBLISHED)
    with storage.unit_of_work() as uow:
        uow.organizers.add(org)
        uow.events.add(event)
        uow.quotas.add(b.quota(id="q-sale", event_id=event.id, size=capacity))
        uow.quotas.add(b.quota(id="q-ceiling", event_id=event.id, size=ceiling_size))
        uow.ticket_types.add(
            b.ticket_type(
                id="tt-sale", event_id=event.id, quota_id="q-sale", price=Money(4500, "EUR")
            )
        )
        uow.commit()
    return event.id


def app_worker(
    target: Target, event_id: str, count: int, pay: bool, profile: bool, barrier: Any, out: Any
) -> None:
    """Place ``count`` one-ticket orders, one after the other, through the use cases."""
    storage = target.storage()
    services = services_for(storage)
    latencies: list[float] = []
    sold_out = 0
    profiler = cProfile.Profile() if profile else None
    barrier.wait()
    start = time.perf_counter()
    last_ok = start
    if profiler:
        profiler.enable()
    for n in range(count):
        t0 = time.perf_counter()
        try:
            placed = place_order(
                services,
                PlaceOrder(
                    event_id=event_id,
                    items=[OrderItem(ticket_type_id="tt-sale", quantity=1)],
                    customer_email=f"buyer{os.getpid()}-{n}@example.com",
                ),
            )
            if pay:
                confirm_payment(
                    services,
                    ConfirmPayment(
                        provider="bench",
                        provider_event_id=f"evt-{placed.order_id}",
                        order_id=placed.order_id,
                        amount_minor=placed.totals.total.amount_minor,
                        currency=placed.totals.total.currency,
                    ),
                )
        except SoldOut:
            sold_out += 1
            continue
        last_ok = time.perf_counter()
        latencies.append(last_ok - t0)
    if profiler:
        profiler.disable()
    stats = ""
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(25)
        stats = buf.getvalue()
    storage.close()
    out.put({"start": start, "end": last_ok, "latencies": latencies, "sold_out": sold_out,
             "profile": stats})  # fmt: skip


def ceiling_worker(target: Target, count: int, barrier: Any, out: Any) -> None:
    """The raw guard, ``count`` times: one operation and its commit each."""
    storage = target.storage()
    latencies: list[float] = []
    raw = mongo_reserve(storage) if isinstance(storage, MongoStorage) else sql_reserve(storage)
    with raw as reserve:
        barrier.wait()
        start = time.perf_counter()
        for _ in range(count):
            t0 = time.perf_counter()
            reserve()
            latencies.append(time.perf_counter() - t0)
        end = time.perf_counter()
    storage.close()
    out.put({"start": start, "end": end, "latencies": latencies, "sold_out": 0, "profile": ""})


@contextmanager
def sql_reserve(storage: SqlStorage) -> Iterator[Callable[[], None]]:
    """One conditional UPDATE and a COMMIT, on a connection opened beforehand."""
    q = s.quotas
    stmt = (
        update(q)
        .where(q.c.id == "q-ceiling", q.c.sold + q.c.held + 1 <= q.c.size)
        .values(held=q.c.held + 1)
    )
    with storage.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.rollback()

        def reserve() -> None:
            conn.execute(stmt)
            conn.commit()

        yield reserve


@contextmanager
def mongo_reserve(storage: MongoStorage) -> Iterator[Callable[[], None]]:
    """The adapter's guard, outside any transaction, acknowledged by a majority."""
    quotas = storage.database.get_collection("quotas", write_concern=WriteConcern("majority"))
    guard = {"_id": "q-ceiling", "$expr": {"$lte": [{"$add": ["$sold", "$held", 1]}, "$size"]}}
    storage.database.command("ping")  # connect before the race

    def reserve() -> None:
        quotas.find_one_and_update(guard, {"$inc": {"held": 1}})

    yield reserve


def run_workers(target: Any, args_for: Any, workers: int) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args_for(i), barrier, out)) for i in range(workers)]
    for p in procs:
        p.start()
    results: list[dict[str, Any]] = []
    deadline = time.monotonic() + 600
    while len(results) < workers:
        try:
            results.append(out.get(timeout=1))
        except queue.Empty:
            dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                for p in procs:
                    p.terminate()
                raise SystemExit(f"a worker failed (exit codes {dead}); see above") from None
    for p in procs:
        p.join(60)
    return results


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = [x for r in results for x in r["latencies"]]
    elapsed = max(r["end"] for r in results) - min(r["start"] for r in results)
    return {
        "completed": len(latencies),
        "sold_out_attempts": sum(r["sold_out"] for r in results),
        "seconds": round(elapsed, 3),
        "per_second": round(len(latencies) / elapsed, 1) if elapsed > 0 else None,
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
    }


def bench_engine(
    engine: str, workers: int, orders: int, pay: bool, profile: bool
) -> dict[str, Any]:
    capacity = orders - orders // 10  # demand exceeds supply: the sale sells out
    schema = None
    if engine == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='tickex-bench-')}/bench.db"
    elif engine == "mongo":
        url = with_database(DEFAULT_MONGO, f"tickex_bench_{uuid.uuid4().hex[:10]}")
    else:
        url, schema = DEFAULT_PG, f"tickex_bench_{uuid.uuid4().hex[:10]}"
    target = Target(engine, url, schema)
    storage = target.storage()
    try:
        storage.migrate()
        event_id = set_up(storage, capacity, ceiling_size=orders)
        share = [orders // workers + (1 if i < orders % workers else 0) for i in range(workers)]
        app = run_workers(
            app_worker,
            lambda i: (target, event_id, share[i], pay, profile and i == 0),
            workers,
        )
        ceiling = run_workers(ceiling_worker, lambda i: (target, share[i]), workers)
        with storage.unit_of_work() as uow:
            sale = uow.quotas.get("q-sale")
            roof = uow.quotas.get("q-ceiling")
            paid = len(uow.orders.list_by_event(event_id))
        assert sale is not None
        assert roof is not None
        app_summary, ceiling_summary = summarise(app), summarise(ceiling)
        sold = sale.sold + sale.held
        ratio = (
            app_summary["per_second"] / ceiling_summary["per_second"]
            if app_summary["per_second"] and ceiling_summary["per_second"]
            else None
        )
        return {
            "engine": engine,
            "mode": mode_of(storage),
            "workers": workers,
            "attempts": orders,
            "capacity": capacity,
            "sold": sold,
            "held": sale.held,
            "orders_in_db": paid,
            "oversold": sold > capacity,
            "sold_equals_capacity": sold == capacity,
            "application": app_summary,
            "ceiling": {**ceiling_summary, "reserved": roof.held},
            "ratio_to_ceiling": round(ratio, 3) if ratio is not None else None,
            "profile_worker_0": next((r["profile"] for r in app if r["profile"]), ""),
        }
    finally:
        drop(storage)


def mode_of(storage: Storage) -> str:
    """How units of work run: SQL transactions, or the Mongo adapter's mode (with the
    server that answered: MongoDB or SecantusDB, and its version)."""
    if not isinstance(storage, MongoStorage):
        return "transactions"
    build = storage.client.admin.command("buildInfo")
    server = (
        f"SecantusDB {build['secantusVersion']}"
        if "secantusVersion" in build
        else f"MongoDB {build['version']}"
    )
    return f"{'transactions' if storage.transactional else 'compensating'} on {server}"


def drop(storage: SqlStorage | MongoStorage) -> None:
    """Drop what the run created (the PostgreSQL schema, the Mongo database)."""
    if isinstance(storage, MongoStorage):
        storage.client.drop_database(storage.database.name)
        storage.close()
        return
    storage.close()
    if storage.schema is not None:
        eng = create_engine(normalize_url(DEFAULT_PG))
        with eng.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{storage.schema}" CASCADE'))
        eng.dispose()


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Flash-sale benchmark",
        "",
        f"{report['when']} on {report['machine']}; {report['workers']} worker processes, "
        f"{report['orders']} one-ticket purchase attempts per engine "
        f"({'place_order + confirm_payment' if report['pay'] else 'place_order only'}).",
        "",
        "| engine | units of work | orders/s | p50 ms | p99 ms | sold / capacity | held | "
        "ceiling ops/s | ceiling p50 ms | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["engines"]:
        a, c = r["application"], r["ceiling"]
        lines.append(
            f"| {r['engine']} | {r.get('mode', 'transactions')} | {a['per_second']} | "
            f"{a['p50_ms']} | {a['p99_ms']} | {r['sold']} / {r['capacity']} | "
            f"{r.get('held', '')} | {c['per_second']} | {c['p50_ms']} | "
            f"{r['ratio_to_ceiling']} |"
        )
    lines += [
        "",
        "Ceiling: the raw one-operation reserve, committed each time, same workers, same "
        "database: on SQL `UPDATE quotas SET held = held + 1 WHERE id = :id AND sold + held "
        "+ 1 <= size`; on MongoDB the adapter's guard, `find_one_and_update({_id, $expr: "
        "sold + held + 1 <= size}, {$inc: {held: 1}})` with majority write concern, outside "
        "any transaction. The application path runs several units of work per purchase (see "
        "the notes in docs/adapters/sql.md and docs/adapters/mongo.md).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--engine", choices=list(ENGINES), default="all",
        help="all: every engine that answers; both: SQLite and PostgreSQL",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--orders", type=int, default=400, help="purchase attempts per engine")
    parser.add_argument("--no-pay", dest="pay", action="store_false",
                        help="place_order only (no confirm_payment)")  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="cProfile worker 0")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    engines = ENGINES[args.engine]
    report: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "workers": args.workers,
        "orders": args.orders,
        "pay": args.pay,
        "engines": [],
    }
    for engine in engines:
        if engine in SERVERS and not answers(engine):
            where = redact_url(SERVERS[engine])
            if args.engine == engine:
                print(f"{engine}: nothing answers at {where}", file=sys.stderr)
                return 2
            print(f"{engine} skipped: nothing answers at {where}")
            continue
        r = bench_engine(engine, args.workers, args.orders, args.pay, args.profile)
        report["engines"].append(r)
        a, c = r["application"], r["ceiling"]
        print(
            f"{engine:8} application: {a['per_second']:>7} orders/s  p50 {a['p50_ms']} ms  "
            f"p99 {a['p99_ms']} ms  sold {r['sold']}/{r['capacity']}  held {r['held']}"
            f"{'  OVERSOLD!' if r['oversold'] else ''}  ({r['mode']})"
        )
        print(
            f"{engine:8} ceiling:     {c['per_second']:>7} ops/s     p50 {c['p50_ms']} ms  "
            f"p99 {c['p99_ms']} ms  ratio {r['ratio_to_ceiling']}"
        )
        if args.profile and r["profile_worker_0"]:
            print(r["profile_worker_0"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "flash_sale.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "flash_sale.md").write_text(markdown(report))
    print(f"results: {args.out / 'flash_sale.json'}, {args.out / 'flash_sale.md'}")
    return 1 if any(r["oversold"] for r in report["engines"]) else 0


if __name__ == "__main__":
    sys.exit(main())
