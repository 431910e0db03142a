"""Flash-sale benchmark over HTTP: ``tickex serve --workers 2`` under wrk, on PostgreSQL
and/or the SQLite default, with the server's CPU per request and SQL statements per request.

One published event with one paid ticket type; every request is a new buyer (an email and
a client address of its own: ``X-Forwarded-For``, believed from 127.0.0.1, so the
per-client rate limit counts buyers as behind a load balancer); the in-process worker is
off (``TICKEX_WORKER_INTERVAL=0``); rate limits in a Redis server of the benchmark's own
when ``redis-server`` is installed. Scenarios, each for ``--duration`` seconds (10; 3 with
``--quick``):

- ``getEvent`` at c=32, and in the same run a bare Litestar route on the same server stack
  (granian, same worker count: ``bench/bare_route.py``) returning the same body bytes;
- ``placeOrder`` (``POST /v1/orders``) at c=1/8/32/64;
- the full purchase at c=1/8/32/64: place, then pay on the local provider's checkout page
  (``POST /pay/<reference>``, what the buyer's *Pay* button does);
- a sell-out: ``placeOrder`` at c=64 on a second event whose capacity is about half of
  what the run sells, so that zero oversell is checked (sold == capacity);
- the raw reserve transaction of the SQL adapter (``bench/flash_sale.py``'s ceiling: one
  conditional ``UPDATE`` of the hot quota row and a COMMIT) in a tight loop from several
  processes: what the database allows on one hot row.

Server CPU is utime + stime from ``/proc/<pid>/stat`` before and after each scenario (and
sampled every 0.2 s, so that processes that start during it count): the server process and
its workers (API), the PostgreSQL backends of the benchmark's database (database; on SQLite
the database runs inside the API processes), the benchmark's redis-server (Redis). The load
generator's own CPU comes from wrk's rusage. Orders are measured over the middle of the
run (``drive``), reads over all of it. SQL statements per request come from a short
separate pass at c=1 with ``log_statement = 'all'`` set only on the benchmark's database
(``ALTER DATABASE``), counting the server log's lines (PostgreSQL only); Redis commands per
request from the Redis server's ``INFO commandstats``.

    python bench/flash_sale_http.py [--engine postgresql|sqlite|all] [--quick]
                                    [--duration S] [--concurrency 1,8,32,64] [--note TEXT]

Needs Linux (``/proc``) and wrk (``apt-get install -y wrk``; LuaJIT's ffi reads the clock
in the Lua script).
PostgreSQL is ``TICKEX_BENCH_POSTGRES_URL`` (else ``TICKEX_TEST_POSTGRES_URL``); the run
creates a database ``tickex_bench_<random>`` there and drops it. Results go to
``bench/results/flash_sale_http.json`` and ``.md``; a run replaces the entries of the
engines it ran and keeps the others.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flash_sale import (
    DEFAULT_PG,
    RESULTS,
    Target,
    percentile,
    run_workers,
    sql_reserve,
    summarise,
    with_database,
)
from sqlalchemy import create_engine, text

from tickex.adapters.sql import SqlStorage, normalize_url
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import SettingsInput, VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.identity.register_user import RegisterUser
from tickex.facade import TickEx
from tickex.settings import Settings, redact_url
from tickex.testing import builders as b

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
LUA = HERE / "flash_sale_http.lua"
ENGINES = {"postgresql": ["postgresql"], "sqlite": ["sqlite"], "all": ["postgresql", "sqlite"]}
CONCURRENCY = (1, 8, 32, 64)
READ_CONCURRENCY = 32
SERVER_WORKERS = 2
SAMPLE_SECONDS = 0.2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BIG_CAPACITY = 10_000_000  # never reached: every scenario but the sell-out buys from it
PRICE_MINOR = 4500
WRK_INSTALL = "install wrk first: apt-get install -y wrk (Debian/Ubuntu), brew install wrk"


@dataclass(frozen=True)
class Plan:
    seconds: int
    concurrency: tuple[int, ...]
    counted: int  # requests of each kind in the statement-counting pass
    reserve_processes: int
    quick: bool


@dataclass(frozen=True)
class Sale:
    slug: str
    event_id: str
    ticket_type_id: str
    quota_id: str
    capacity: int


@dataclass
class Database:
    engine: str  # postgresql | sqlite
    url: str  # TICKEX_DATABASE_URL
    name: str | None  # the PostgreSQL database
    version: str = ""


# -- CPU from /proc -------------------------------------------------------------------------
def proc_stat(pid: int) -> tuple[int, int] | None:
    """``(ppid, utime + stime in clock ticks)`` of a live process, else None."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()  # after "pid (comm) "; comm may hold spaces
    return int(fields[1]), int(fields[11]) + int(fields[12])


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return b""


def machine_busy_ticks() -> int:
    """Busy clock ticks of the whole machine (every core) since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return user + nice + system + irq + softirq + steal


@dataclass
class Watched:
    """Which processes are the server's: the trees under ``api_roots``, the PostgreSQL
    backends of ``database`` (their process title names it) and ``redis``."""

    api_roots: tuple[int, ...] = ()
    database: str | None = None
    redis: int | None = None


class CpuMeter:
    """CPU ticks spent by each kind of server process between ``start`` and ``stop``.

    Processes alive at ``start`` count from their ticks then; processes found later (a
    backend opened for a pool's overflow) count from zero. A sampling thread reads them
    every ``SAMPLE_SECONDS``, so one that starts and ends between two samples is missed
    (``backends_started`` says how many were seen start)."""

    def __init__(self, watched: Watched) -> None:
        self.watched = watched
        self._marker = f" {watched.database} ".encode() if watched.database else None
        self._api: set[int] = set(watched.api_roots)
        self._seen: set[int] = set()
        self._untitled: set[int] = set()  # postgres children that have no title yet
        self._tracked: dict[int, list[Any]] = {}  # pid -> [kind, first, last]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.backends_started = 0

    def _kind(self, pid: int, ppid: int) -> str | None:
        if pid in self._api or ppid in self._api:
            self._api.add(pid)
            return "api"
        if pid == self.watched.redis:
            return "redis"
        if self._marker is not None:
            title = cmdline(pid)
            if title.startswith(b"postgres: "):
                self._untitled.discard(pid)
                return "database" if self._marker in title else None
            if b"postgres" in title:
                self._untitled.add(pid)  # forked, not yet named: look again next time
        return None

    def _sample(self, baseline: bool) -> None:
        pids = {int(p) for p in os.listdir("/proc") if p.isdigit()}
        for pid in sorted((pids - self._seen) | (self._untitled & pids)):
            stat = proc_stat(pid)
            self._seen.add(pid)
            if stat is None or pid in self._tracked:
                continue
            kind = self._kind(pid, stat[0])
            if kind is not None:
                self._tracked[pid] = [kind, stat[1] if baseline else 0, stat[1]]
                if not baseline and kind == "database":
                    self.backends_started += 1
        for pid, entry in self._tracked.items():
            stat = proc_stat(pid) if pid in pids else None
            if stat is not None:
                entry[2] = stat[1]

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample(baseline=False)

    def start(self) -> None:
        self._sample(baseline=True)
        self.busy_start = machine_busy_ticks()
        self.wall_start = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        """CPU seconds by kind (api, database, redis), and the machine's busy seconds."""
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self._sample(baseline=False)
        spent = {"api": 0.0, "database": 0.0, "redis": 0.0}
        for kind, first, last in self._tracked.values():
            spent[kind] += (last - first) / CLOCK_TICKS
        spent["machine_busy"] = (machine_busy_ticks() - self.busy_start) / CLOCK_TICKS
        spent["wall"] = time.perf_counter() - self.wall_start
        return spent


# -- processes ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Service:
    """A process of the benchmark's own (server, bare route, Redis) in a session of its own,
    output to ``log``; ready when ``ready()`` says so; stopped with ``stop_signal``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path,
                 ready: Callable[[], bool], stop_signal: int = signal.SIGINT) -> None:  # fmt: skip
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.ready, self.stop_signal = ready, stop_signal
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> Service:
        with self.log.open("ab") as out:  # a session of its own: stopped as a group
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 90
        while not self.ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                tail = self.log.read_text(errors="replace")[-3000:]
                raise SystemExit(f"{self.name} did not start; its output:\n{tail}")
            time.sleep(0.2)
        return self

    def __exit__(self, *_: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(self.stop_signal)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own session: the process and its workers
            self.proc.wait(10)


def http_status(port: int, path: str) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


def python_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python: this one without any ``TICKEX_*`` of the caller,
    the worktree's sources first on the path, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKEX_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def server_env(db: Database, port: int, redis_url: str | None) -> dict[str, str]:
    env = python_env(
        TICKEX_DATABASE_URL=db.url,
        TICKEX_WORKER_INTERVAL="0",  # the worker stopped: no sweeps, no outbox during runs
        TICKEX_PAYMENT_PROVIDER="local",
        TICKEX_MAILER="memory",
        TICKEX_PUBLIC_URL=f"http://127.0.0.1:{port}",
        TICKEX_TRUSTED_PROXIES="127.0.0.1",  # wrk plays the load balancer: one client a buyer
    )
    if redis_url is not None:
        env["TICKEX_REDIS_URL"] = redis_url
    return env


def tickex_server(db: Database, port: int, redis_url: str | None, log: Path) -> Service:
    argv = [sys.executable, "-m", "tickex.entrypoints.cli", "serve",
            "--workers", str(SERVER_WORKERS), "--port", str(port)]  # fmt: skip
    return Service("tickex serve", argv, server_env(db, port, redis_url), log,
                   lambda: http_status(port, "/readyz") == 200)  # fmt: skip


def bare_server(body: Path, port: int, log: Path) -> Service:
    argv = [sys.executable, str(HERE / "bare_route.py"), str(port), str(SERVER_WORKERS)]
    env = python_env(BENCH_BARE_BODY_FILE=str(body))
    return Service("the bare route", argv, env, log,
                   lambda: http_status(port, "/v1/events/x") == 200)  # fmt: skip


def redis_server(port: int, log: Path) -> Service:
    argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
            "--appendonly", "no"]  # fmt: skip
    return Service("redis-server", argv, dict(os.environ), log,
                   lambda: redis_client(port).ping() is True, signal.SIGTERM)  # fmt: skip


def redis_client(port: int) -> Any:
    import redis

    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)


def redis_commands(port: int | None) -> int | None:
    """Commands the Redis server ran so far (the benchmark's own INFO and PING aside)."""
    if port is None:
        return None
    stats = redis_client(port).info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k not in ("cmdstat_info", "cmdstat_ping"))


# -- the load generator ---------------------------------------------------------------------
def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(f"wrk is not installed: {WRK_INSTALL}")
    return found


@dataclass
class Load:
    """One wrk run and what the server spent meanwhile (in the measuring window)."""

    figures: dict[str, Any]
    wrk_cpu: float
    wrk_wall: float
    cpu: dict[str, float]  # CPU seconds by kind, the machine's busy seconds, and "wall"
    redis_commands: int | None
    backends_started: int
    windowed: bool


_scenario_numbers = iter(range(1, 65_536))


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def drive(url: str, mode: str, connections: int, seconds: int, watched: Watched,
          work: Path, sale: Sale | None = None, redis_port: int | None = None) -> Load:  # fmt: skip
    """Run wrk for ``seconds`` with ``connections`` buyers (one thread each).

    The server's CPU is measured over the whole run for ``get`` (thousands of requests: the
    few in flight at the end do not matter) and, for orders, over a window that leaves out
    the first and last ``margin`` seconds, in which the Lua script counts the answers: an
    order in flight takes many milliseconds of CPU, and a window in the steady state has as
    many of them at its end as at its start. (``time.monotonic`` and the script's clock are
    both CLOCK_MONOTONIC.)"""
    number = next(_scenario_numbers)
    out = work / f"wrk-{number}.json"
    windowed = mode != "get"
    margin = min(1.0, seconds * 0.15)
    begin = time.monotonic()
    window = (begin + margin, begin + seconds - margin) if windowed else (begin, begin)
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_SCENARIO": str(number),
           "BENCH_OUT": str(out), "BENCH_WINDOW_START_US": str(int(window[0] * 1e6)),
           "BENCH_WINDOW_END_US": str(int(window[1] * 1e6))}  # fmt: skip
    if sale is not None:
        env.update(BENCH_SLUG=sale.slug, BENCH_TICKET_TYPE=sale.ticket_type_id)
    argv = [wrk_path(), "-t", str(connections), "-c", str(connections), "-d", f"{seconds}s",
            "--timeout", "30s", "-s", str(LUA), url]  # fmt: skip
    meter = CpuMeter(watched)
    if not windowed:
        commands_before = redis_commands(redis_port)
        meter.start()
    with (work / "wrk.log").open("ab") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        if windowed:
            sleep_until(window[0])
            commands_before = redis_commands(redis_port)
            meter.start()
            sleep_until(window[1])
            cpu, commands_after = meter.stop(), redis_commands(redis_port)
        _, status, usage = os.wait4(proc.pid, 0)
    wrk_wall = time.monotonic() - begin
    proc.returncode = os.waitstatus_to_exitcode(status)
    if not windowed:
        cpu, commands_after = meter.stop(), redis_commands(redis_port)
    if proc.returncode != 0 or not out.exists():
        tail = (work / "wrk.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"wrk failed (exit {proc.returncode}):\n{tail}")
    return Load(
        figures=json.loads(out.read_text()),
        wrk_cpu=usage.ru_utime + usage.ru_stime,
        wrk_wall=wrk_wall,
        cpu=cpu,
        redis_commands=None if commands_before is None else commands_after - commands_before,
        backends_started=meter.backends_started,
        windowed=windowed,
    )


def scenario(
    name: str, operation: str, concurrency: int, load: Load, sqlite: bool
) -> dict[str, Any]:
    """The figures of one run: rates, latencies, errors and CPU per unit of work."""
    f = load.figures
    seconds = f["duration_us"] / 1e6
    statuses: dict[str, int] = f["statuses"] or {}
    purchase = operation == "purchase"
    if purchase:
        latencies = [us / 1e6 for us in f["purchase_latencies_us"] or []]
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        orders: int | None = f["purchases"]
    else:
        p50, p99 = f["latency_us"]["p50"] / 1e6, f["latency_us"]["p99"] / 1e6
        orders = statuses.get("place 201", 0) if operation == "placeOrder" else None
    # the units the CPU was measured over: answered in the window, or in the whole run
    counted = f["window"] if load.windowed else {"requests": f["requests"], "purchases": orders}
    units = counted["purchases" if purchase else "requests"]
    non_2xx = {k: v for k, v in statuses.items() if not k.split()[-1].startswith("2")}
    if not statuses and f["errors"]["status"]:
        non_2xx = {"status >= 400": f["errors"]["status"]}
    errors = {k: v for k, v in f["errors"].items() if v and k != "status"}
    cpu = load.cpu
    server = cpu["api"] + cpu["database"] + cpu["redis"]
    wrk_in_window = load.wrk_cpu * min(1.0, cpu["wall"] / load.wrk_wall)

    def per_unit(seconds_spent: float) -> float | None:
        return round(seconds_spent * 1000 / units, 3) if units else None

    return {
        "name": name,
        "operation": operation,
        "concurrency": concurrency,
        "seconds": round(seconds, 2),
        "requests": f["requests"],
        "requests_per_second": round(f["requests"] / seconds, 1),
        "orders": orders,
        "orders_per_second": round(orders / seconds, 1) if orders is not None else None,
        "unit": "purchase" if purchase else "request",
        "p50_ms": round(p50 * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "socket_errors": errors,
        "non_2xx": non_2xx,
        "cpu_ms_per_unit": {
            "api": per_unit(cpu["api"]),
            "database": None if sqlite else per_unit(cpu["database"]),
            "redis": per_unit(cpu["redis"]) if load.redis_commands is not None else None,
            "total": per_unit(server),
        },
        "redis_commands_per_unit": (
            round(load.redis_commands / units, 2)
            if load.redis_commands is not None and units
            else None
        ),
        "cpu_measured_over": {"seconds": round(cpu["wall"], 2), "units": units},
        "database_backends_started": None if sqlite else load.backends_started,
        "load_generator": {
            "cpu_seconds": round(load.wrk_cpu, 3),
            "cores": round(load.wrk_cpu / load.wrk_wall, 3),
            "share_of_machine": round(load.wrk_cpu / load.wrk_wall / (os.cpu_count() or 1), 4),
        },
        "other_processes_cores": round(
            max(0.0, cpu["machine_busy"] - server - wrk_in_window) / cpu["wall"], 2
        ),
    }


# -- the sale -------------------------------------------------------------------------------
def settings_for(db: Database) -> Settings:
    return Settings.load(database_url=db.url, environment="development", mailer="memory",
                         worker_interval=0, organizer_self_serve=True)  # fmt: skip


def open_sale(app: TickEx, organizer_id: str, slug: str, capacity: int) -> Sale:
    """A published event with one paid ticket type of ``capacity`` seats (no venue
    capacity: one quota, one hot row)."""
    start = (app.clock.now() + timedelta(days=30)).replace(hour=20, minute=0, second=0,
                                                            microsecond=0)  # fmt: skip
    event = app.create_event(
        CreateEvent(
            organizer_id=organizer_id, title=f"Flash sale {slug}", slug=slug, starts_at=start,
            ends_at=start + timedelta(hours=3),
            venue=VenueInput(name="Harbour Hall", address="1 Quay Street", city="Lisbon",
                             country="PT"),
            settings=SettingsInput(currency="EUR", tax_rate_bp=600, fee_policy="pass_on"),
        )
    )  # fmt: skip
    ticket_type = app.create_ticket_type(
        CreateTicketType(organizer_id=organizer_id, event_id=event.id, name="General admission",
                         price_minor=PRICE_MINOR, quantity_total=capacity)
    )  # fmt: skip
    app.publish_event(PublishEvent(organizer_id=organizer_id, event_id=event.id))
    return Sale(slug, event.id, ticket_type.id, ticket_type.quota_id, capacity)


@contextmanager
def application(db: Database) -> Iterator[TickEx]:
    app = TickEx.from_settings(settings_for(db))
    try:
        yield app
    finally:
        app.close()


def set_up(db: Database) -> tuple[Sale, str]:
    """The schema, the demo organizer, the sale, and the quota the raw reserve hammers.
    Returns the sale and the organizer's id."""
    storage = SqlStorage(db.url, pool_size=1)
    try:
        storage.migrate()
    finally:
        storage.close()
    with application(db) as app:
        user = app.register_user(
            RegisterUser(email="bench@nightjar.example", password="flash-sale-bench-password",
                         name="Bench Concerts", as_organizer=True)
        )  # fmt: skip
        assert user.organizer_id is not None
        sale = open_sale(app, user.organizer_id, "flash-sale", BIG_CAPACITY)
    storage = SqlStorage(db.url, pool_size=1)
    try:
        with storage.unit_of_work() as uow:  # bench/flash_sale.py's sql_reserve hammers it
            uow.quotas.add(b.quota(id="q-ceiling", event_id=sale.event_id, size=BIG_CAPACITY))
            uow.commit()
    finally:
        storage.close()
    return sale, user.organizer_id


def sold_and_orders(db: Database, sale: Sale) -> tuple[int, int]:
    storage = SqlStorage(db.url, pool_size=1)
    try:
        with storage.unit_of_work(read_only=True) as uow:
            quota = uow.quotas.get(sale.quota_id)
            orders = len(uow.orders.list_by_event(sale.event_id))
        assert quota is not None
        return quota.sold + quota.held, orders
    finally:
        storage.close()


# -- databases ------------------------------------------------------------------------------
def admin_engine() -> Any:
    return create_engine(normalize_url(with_database(DEFAULT_PG, "postgres")),
                         isolation_level="AUTOCOMMIT")  # fmt: skip


@contextmanager
def database(engine: str) -> Iterator[Database]:
    """A fresh database for the run (a PostgreSQL database, a SQLite file), then dropped."""
    if engine == "sqlite":  # where the default file lives (var/), not on a tmpfs /tmp
        import sqlite3

        folder = HERE.parent / "var" / f"bench-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        try:
            yield Database("sqlite", f"sqlite:///{folder / 'tickex.db'}", None,
                           f"SQLite {sqlite3.sqlite_version}")  # fmt: skip
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"tickex_bench_{uuid.uuid4().hex[:8]}"
    admin = admin_engine()
    with admin.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield Database("postgresql", with_database(DEFAULT_PG, name), name,
                       f"PostgreSQL {version.split()[0]}")  # fmt: skip
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_answers() -> bool:
    try:
        engine = admin_engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


# -- SQL statements per request (PostgreSQL's log) -----------------------------------------
STATEMENT = re.compile(r"LOG:\s+(?:statement|execute [^:]*): (.*)$")
KINDS = ("BEGIN", "COMMIT", "ROLLBACK", "SELECT", "INSERT", "UPDATE", "DELETE")


def server_log(conn: Any) -> tuple[Path | None, str]:
    """The file PostgreSQL logs to (its collector's, else the postmaster's stderr when it
    is a file of this machine), and the log line prefix."""
    prefix = conn.execute(text("SHOW log_line_prefix")).scalar_one()
    current = conn.execute(text("SELECT pg_current_logfile()")).scalar_one()
    if current:
        data = conn.execute(text("SHOW data_directory")).scalar_one()
        return Path(data, current), prefix
    stat = proc_stat(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    if stat is not None:
        try:
            target = Path(os.readlink(f"/proc/{stat[0]}/fd/2"))
        except OSError:
            return None, prefix
        if target.is_file():
            return target, prefix
    return None, prefix


class Buyer:
    """Sequential requests on one keep-alive connection (the counting pass)."""

    def __init__(self, port: int, sale: Sale) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.sale = sale
        self.n = 0

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:  # fmt: skip
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        return response.status, response.read()

    def get_event(self) -> None:
        status, _ = self.call("GET", f"/v1/events/{self.sale.slug}")
        assert status == 200, status

    def place(self) -> str:
        self.n += 1
        body = {"event_slug": self.sale.slug, "customer_email": f"count-{self.n}@example.com",
                "items": [{"ticket_type_id": self.sale.ticket_type_id, "quantity": 1}]}  # fmt: skip
        status, answer = self.call(
            "POST", "/v1/orders", json.dumps(body).encode(),
            {"Content-Type": "application/json", "X-Forwarded-For": f"fd00:ffff:1:{self.n:x}::1"},
        )  # fmt: skip
        assert status == 201, answer[:300]
        url: str = json.loads(answer)["payment_url"]
        return "/pay/" + url.rsplit("/pay/", 1)[1]

    def purchase(self) -> None:
        status, answer = self.call("POST", self.place(), b"")
        assert status == 200, answer[:300]
        assert b"Payment received" in answer, answer[:300]


def count_statements(db: Database, sale: Sale, plan: Plan, redis_url: str | None,
                     work: Path) -> dict[str, Any]:  # fmt: skip
    """SQL statements per request by kind, from the server log, ``plan.counted`` requests
    of each operation at c=1 on a server started with ``log_statement = 'all'`` on the
    benchmark's database only."""
    admin = admin_engine()
    with admin.connect() as conn:
        log, prefix = server_log(conn)
        if log is None or not os.access(log, os.R_OK):
            admin.dispose()
            return {"skipped": "the server's log file is not readable from here"}
        for setting, value in (("log_statement", "'all'"), ("log_parameter_max_length", "0")):
            conn.execute(text(f'ALTER DATABASE "{db.name}" SET {setting} = {value}'))
    marker = f"@{db.name} " if "%d" in prefix else ""
    port = free_port()
    counts: dict[str, Any] = {"method": "log_statement = 'all' on the benchmark's database, "
                              f"{plan.counted} requests of each at c=1"}  # fmt: skip
    try:
        with tickex_server(db, port, redis_url, work / "server-counting.log"):
            buyer = Buyer(port, sale)
            operations: dict[str, Callable[[], object]] = {
                "getEvent": buyer.get_event, "placeOrder": buyer.place,
                "purchase": buyer.purchase,
            }  # fmt: skip
            for run in operations.values():  # warm: pools, first-request work
                for _ in range(3):
                    run()
            for name, run in operations.items():
                time.sleep(0.3)
                offset = log.stat().st_size
                for _ in range(plan.counted):
                    run()
                time.sleep(0.3)  # the server writes its log lines
                with log.open("rb") as f:
                    f.seek(offset)
                    lines = f.read().decode(errors="replace").splitlines()
                counts[name] = statement_kinds(lines, marker, plan.counted)
    finally:
        with admin.connect() as conn:
            for setting in ("log_statement", "log_parameter_max_length"):
                conn.execute(text(f'ALTER DATABASE "{db.name}" RESET {setting}'))
        admin.dispose()
    return counts


def statement_kinds(lines: Sequence[str], marker: str, requests: int) -> dict[str, float]:
    found = {"total": 0, "ping": 0, **dict.fromkeys(KINDS, 0), "other": 0}
    for line in lines:
        match = STATEMENT.search(line)
        if match is None or marker not in line:
            continue
        sql = match.group(1).strip().rstrip(";").upper()
        kind = "ping" if sql in ("", "SELECT 1") else sql.split()[0]  # psycopg pings with ";"
        found["total"] += 1
        found[kind if kind in found else "other"] += 1
    return {k: round(v / requests, 2) for k, v in found.items()}


# -- the raw reserve ------------------------------------------------------------------------
def reserve_worker(target: Target, seconds: float, barrier: Any, out: Any) -> None:
    """``bench/flash_sale.py``'s raw reserve, for ``seconds``, one after the other."""
    storage = target.storage()
    latencies: list[float] = []
    with sql_reserve(storage) as reserve:
        barrier.wait()
        start = time.perf_counter()
        deadline = start + seconds
        while (t0 := time.perf_counter()) < deadline:
            reserve()
            latencies.append(time.perf_counter() - t0)
        end = time.perf_counter()
    storage.close()
    out.put({"start": start, "end": end, "latencies": latencies, "sold_out": 0, "profile": ""})


def raw_reserve(db: Database, plan: Plan) -> dict[str, Any]:
    target = Target("postgres" if db.engine == "postgresql" else "sqlite", db.url, None)
    meter = CpuMeter(Watched(database=db.name))
    meter.start()
    results = run_workers(reserve_worker, lambda _: (target, plan.seconds),
                          plan.reserve_processes)  # fmt: skip
    cpu = meter.stop()
    summary = summarise(results)
    done = summary["completed"]
    return {
        "processes": plan.reserve_processes,
        "statement": "UPDATE quotas SET held = held + 1 WHERE id = :id AND sold + held + 1 "
        "<= size; COMMIT",
        "transactions": done,
        "per_second": summary["per_second"],
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "database_cpu_ms_per_transaction": (
            round(cpu["database"] * 1000 / done, 3) if done and db.name else None
        ),
    }


# -- one engine -----------------------------------------------------------------------------
def bench_engine(engine: str, plan: Plan, redis_port: int | None, work: Path) -> dict[str, Any]:
    redis_url = f"redis://127.0.0.1:{redis_port}/0" if redis_port is not None else None
    sqlite = engine == "sqlite"
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    with database(engine) as db:
        sale, organizer_id = set_up(db)
        statements = (
            count_statements(db, sale, plan, redis_url, work)
            if not sqlite
            else {"skipped": "SQLite has no server log: see the PostgreSQL figures"}
        )
        redis_pid = None
        if redis_port is not None:
            redis_pid = int(redis_client(redis_port).info("server")["process_id"])
            redis_client(redis_port).flushall()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        scenarios: list[dict[str, Any]] = []
        with tickex_server(db, port, redis_url, work / f"server-{engine}.log") as server:
            watched = Watched((server.pid,), db.name, redis_pid)

            def run(name: str, operation: str, mode: str, c: int, url: str = base,
                    on: Sale = sale, seen: Watched = watched) -> dict[str, Any]:  # fmt: skip
                load = drive(url, mode, c, plan.seconds, seen, work, on, redis_port)
                result = scenario(name, operation, c, load, sqlite)
                scenarios.append(result)
                print_scenario(engine, result)
                return result

            # warm up: the pools, each route's first requests
            drive(base, "place", max(plan.concurrency), 1, watched, work, sale)
            drive(f"{base}/v1/events/{sale.slug}", "get", READ_CONCURRENCY, 1, watched, work)
            body = work / "event.json"
            body.write_bytes(Buyer(port, sale).call("GET", f"/v1/events/{sale.slug}")[1])
            run("getEvent", "getEvent", "get", READ_CONCURRENCY, f"{base}/v1/events/{sale.slug}")
            bare_port = free_port()
            with bare_server(body, bare_port, work / "bare.log") as bare:
                bare_url = f"http://127.0.0.1:{bare_port}/v1/events/{sale.slug}"
                drive(bare_url, "get", 8, 1, Watched((bare.pid,)), work)
                run("bare route", "bare", "get", READ_CONCURRENCY, bare_url,
                    seen=Watched((bare.pid,)))  # fmt: skip
            for c in plan.concurrency:
                run(f"placeOrder c={c}", "placeOrder", "place", c)
            for c in plan.concurrency:
                run(f"purchase c={c}", "purchase", "purchase", c)
            top = max(plan.concurrency)
            rate = next(s["orders_per_second"] for s in scenarios
                        if s["operation"] == "placeOrder" and s["concurrency"] == top)  # fmt: skip
            with application(db) as app:
                sellout = open_sale(app, organizer_id, "flash-sale-sell-out",
                                    max(10, int(rate * plan.seconds / 2)))  # fmt: skip
            result = run(f"sell-out c={top}", "placeOrder", "place", top, on=sellout)
        sold, orders = sold_and_orders(db, sellout)
        check = {
            "capacity": sellout.capacity,
            "sold": sold,
            "placed_201": result["orders"],
            "orders_in_db": orders,
            "oversold": sold > sellout.capacity or orders > sellout.capacity,
            "sold_equals_capacity": sold == sellout.capacity,
        }
        reserve = raw_reserve(db, plan)
        print(f"{engine:10} raw reserve x{reserve['processes']}: {reserve['per_second']} tx/s  "
              f"p50 {reserve['p50_ms']} ms  p99 {reserve['p99_ms']} ms")  # fmt: skip
        print(f"{engine:10} sell-out: sold {sold} / capacity {sellout.capacity}, "
              f"{orders} orders{'  OVERSOLD!' if check['oversold'] else ''}")  # fmt: skip
    return {
        "engine": engine,
        "database": db.version,
        "when": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "plan": {
            "seconds_per_scenario": plan.seconds,
            "quick": plan.quick,
            "concurrency": list(plan.concurrency),
            "read_concurrency": READ_CONCURRENCY,
            "server_workers": SERVER_WORKERS,
            "redis": redis_port is not None,
        },
        "scenarios": scenarios,
        "sell_out": check,
        "raw_reserve": reserve,
        "statements_per_request": statements,
        "ratios": ratios(scenarios, reserve),
    }


def ratios(scenarios: list[dict[str, Any]], reserve: dict[str, Any]) -> dict[str, float | None]:
    def rate(operation: str, c: int | None = None, key: str = "orders_per_second") -> float:
        rates = [s[key] or 0.0 for s in timed(scenarios, operation)
                 if c is None or s["concurrency"] == c]  # fmt: skip
        return max(rates, default=0.0)

    def ratio(a: float, b_: float) -> float | None:
        return round(a / b_, 3) if b_ else None

    top = max((s["concurrency"] for s in scenarios if s["operation"] == "placeOrder"), default=0)
    read = rate("getEvent", key="requests_per_second")
    bare = rate("bare", key="requests_per_second")
    reserved = reserve["per_second"] or 0.0
    return {
        "getEvent_to_bare_route": ratio(read, bare),
        f"placeOrder_c{top}_to_best": ratio(rate("placeOrder", top), rate("placeOrder")),
        f"purchase_c{top}_to_best": ratio(rate("purchase", top), rate("purchase")),
        "placeOrder_best_to_raw_reserve": ratio(rate("placeOrder"), reserved),
        f"placeOrder_c{top}_to_raw_reserve": ratio(rate("placeOrder", top), reserved),
    }


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


# -- output ---------------------------------------------------------------------------------
def cpu_text(cpu: dict[str, float | None]) -> str:
    return " / ".join("-" if cpu[k] is None else f"{cpu[k]}" for k in ("api", "database", "redis"))


def print_scenario(engine: str, s: dict[str, Any]) -> None:
    rate = (f"{s['orders_per_second']:>7} orders/s" if s["orders_per_second"] is not None
            else f"{s['requests_per_second']:>7} req/s   ")  # fmt: skip
    bad = sum(s["non_2xx"].values()) + sum(s["socket_errors"].values())
    print(f"{engine:10} {s['name']:<16} {rate}  p50 {s['p50_ms']:>7} ms  p99 {s['p99_ms']:>7} ms"
          f"  CPU/{s['unit']} {s['cpu_ms_per_unit']['total']} ms ({cpu_text(s['cpu_ms_per_unit'])})"
          f"  non-2xx+errors {bad}  wrk {s['load_generator']['cores']} cores")  # fmt: skip


def timed(scenarios: list[dict[str, Any]], operation: str) -> list[dict[str, Any]]:
    """The scenarios of ``operation``, the sell-out aside (most of its answers are 409)."""
    return [s for s in scenarios
            if s["operation"] == operation and not s["name"].startswith("sell-out")]  # fmt: skip


def cpu_range(engine: dict[str, Any], operation: str, bar: float) -> tuple[str, bool | None]:
    """Total CPU per unit over the concurrencies, lowest to highest; met when all are."""
    values = [s["cpu_ms_per_unit"]["total"] for s in timed(engine["scenarios"], operation)]
    found = [v for v in values if v is not None]
    if not found:
        return "-", None
    return f"{min(found)} to {max(found)} ms", max(found) <= bar


def at_top(
    engine: dict[str, Any], key: str, ok: Callable[[float], bool]
) -> tuple[str, bool | None]:
    """``key`` of placeOrder at the top concurrency (64 by default)."""
    runs = timed(engine["scenarios"], "placeOrder")
    top = max(runs, key=lambda s: s["concurrency"], default=None)
    if top is None or top[key] is None:
        return "-", None
    return f"{top[key]} (c={top['concurrency']})", ok(top[key])


def ratio_is(
    engine: dict[str, Any], prefix: str, suffix: str, bar: float
) -> tuple[str, bool | None]:
    found = [v for k, v in engine["ratios"].items() if k.startswith(prefix) and k.endswith(suffix)]
    value = found[0] if found else None
    return ("-", None) if value is None else (str(value), value >= bar)


def no_oversell(engine: dict[str, Any]) -> tuple[str, bool | None]:
    check = engine["sell_out"]
    return (f"{check['sold']} / {check['capacity']}",
            check["sold_equals_capacity"] and not check["oversold"])  # fmt: skip


#: issue 13's targets: what, and how an engine's entry meets it (the figure, met or not)
TARGETS: tuple[tuple[str, Callable[[dict[str, Any]], tuple[str, bool | None]]], ...] = (
    ("CPU per placeOrder <= 5 ms", lambda e: cpu_range(e, "placeOrder", 5)),
    ("CPU per place + pay <= 12 ms", lambda e: cpu_range(e, "purchase", 12)),
    ("placeOrder c=64 >= 250 orders/s", lambda e: at_top(e, "orders_per_second",
                                                         lambda v: v >= 250)),
    ("placeOrder c=64 p99 < 250 ms", lambda e: at_top(e, "p99_ms", lambda v: v < 250)),
    ("placeOrder c=64 >= 90 % of the best",
     lambda e: ratio_is(e, "placeOrder_c", "_to_best", 0.9)),
    ("getEvent >= 60 % of the bare route",
     lambda e: ratio_is(e, "getEvent", "_to_bare_route", 0.6)),
    ("zero oversell (sold == capacity)", no_oversell),
)  # fmt: skip


def target_rows(engine: dict[str, Any]) -> list[str]:
    rows = []
    for what, meets in TARGETS:
        figure, met = meets(engine)
        rows.append(f"| {what} | {figure} | {'-' if met is None else 'yes' if met else 'no'} |")
    return rows


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Flash-sale benchmark over HTTP",
        "",
        "`bench/flash_sale_http.py`: `tickex serve --workers 2` (granian), one published "
        "event with one paid ticket type, every request a new buyer (own email and client "
        "address), the in-process worker off, rate limits in Redis; wrk with "
        "`bench/flash_sale_http.lua`, one thread per connection. A purchase is `placeOrder` "
        "then the local provider's `POST /pay/<reference>`; its CPU and latency are per "
        "purchase, the others per request (req/s counts both requests of a purchase).",
        "",
        "CPU is utime + stime from `/proc`: API (the server and its workers) / DB (the "
        "PostgreSQL backends of the benchmark's database; on SQLite the database runs inside "
        "the API processes) / Redis (the benchmark's own redis-server), over the whole run "
        "for reads and over the steady middle of the run for orders. Redis commands are as "
        "Redis counts them (`EVALSHA` and each command its script runs). `DB backends "
        "opened`: connections the pools opened during the scenario. `wrk cores`: the load "
        "generator's own CPU; `other cores`: what the rest of the machine used meanwhile.",
        "",
        "**Noise:** absolute rates and latencies depend on what else the machine runs; CPU "
        "per request is the stable figure.",
    ]
    if report.get("note"):
        lines += ["", f"**Note:** {report['note']}"]
    for e in report["engines"]:
        top = max(e["plan"]["concurrency"])
        lines += [
            "",
            f"## {e['engine']} ({e['database']})",
            "",
            f"{e['when']} on {e['machine']}; {e['plan']['seconds_per_scenario']} s per scenario"
            f"{' (--quick)' if e['plan']['quick'] else ''}; load average "
            f"{e['load_average_before_after'][0]} before, {e['load_average_before_after'][1]} "
            "after.",
            "",
            "| scenario | req/s | orders/s | p50 ms | p99 ms | non-2xx / errors | CPU ms per "
            "unit: API / DB / Redis | total | Redis cmds | DB backends opened | wrk cores | "
            "other cores |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for s in e["scenarios"]:
            bad = {**s["non_2xx"], **s["socket_errors"]}
            redis = s["redis_commands_per_unit"]
            opened = s["database_backends_started"]
            lines.append(
                f"| {s['name']} | {s['requests_per_second']} | {s['orders_per_second'] or '-'} "
                f"| {s['p50_ms']} | {s['p99_ms']} | "
                f"{', '.join(f'{k}: {v}' for k, v in bad.items()) or 0} | "
                f"{cpu_text(s['cpu_ms_per_unit'])} | {s['cpu_ms_per_unit']['total']} | "
                f"{'-' if redis is None else redis} | {'-' if opened is None else opened} | "
                f"{s['load_generator']['cores']} | {s['other_processes_cores']} |"
            )  # fmt: skip
        r, check, ratio = e["raw_reserve"], e["sell_out"], e["ratios"]
        lines += [
            "",
            f"Raw reserve ({r['processes']} processes, `{r['statement']}` in a loop): "
            f"**{r['per_second']} tx/s**, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms"
            + (f", database CPU {r['database_cpu_ms_per_transaction']} ms per transaction."
               if r["database_cpu_ms_per_transaction"] is not None else "."),
            "",
            f"Sell-out (c={top}, capacity reached during the run): sold {check['sold']} / "
            f"capacity {check['capacity']}, {check['placed_201']} answers 201, "
            f"{check['orders_in_db']} orders: "
            + sell_out_verdict(check),
            "",
            "Ratios: " + "; ".join(f"{k.replace('_', ' ')} **{v}**" for k, v in ratio.items())
            + ".",
        ]  # fmt: skip
        st = e["statements_per_request"]
        if "skipped" in st:
            lines += ["", f"SQL statements per request: not measured ({st['skipped']})."]
        else:
            kinds = ["total", "BEGIN", "ping", "SELECT", "INSERT", "UPDATE", "DELETE",
                     "COMMIT", "ROLLBACK", "other"]  # fmt: skip
            lines += ["", f"SQL statements per request ({st['method']}; a purchase is place "
                      "+ pay; `ping` is the pool's pre-ping, `;` from psycopg):", "",
                      "| operation | " + " | ".join(kinds) + " |",
                      "|---" * (len(kinds) + 1) + "|"]  # fmt: skip
            for name in ("getEvent", "placeOrder", "purchase"):
                lines.append(f"| {name} | " + " | ".join(str(st[name][k]) for k in kinds) + " |")
        lines += ["", "Targets of issue 13:", "", "| target | now | met |", "|---|---|---|",
                  *target_rows(e)]  # fmt: skip
    return "\n".join(lines) + "\n"


def sell_out_verdict(check: dict[str, Any]) -> str:
    if check["oversold"]:
        return "**oversold**."
    if check["sold_equals_capacity"]:
        return "no oversell."
    return "no oversell, but the capacity was not reached (a longer --duration reaches it)."


def merged(previous: Path, report: dict[str, Any]) -> dict[str, Any]:
    """``report`` with the engines of an earlier report that this run did not run."""
    ran = {e["engine"] for e in report["engines"]}
    try:
        old = json.loads(previous.read_text())
    except (OSError, ValueError):
        return report
    kept = [e for e in old.get("engines", []) if e.get("engine") not in ran]
    order = {name: i for i, name in enumerate(ENGINES["all"])}
    engines = sorted([*kept, *report["engines"]], key=lambda e: order.get(e["engine"], 99))
    note = report.get("note") or old.get("note")
    return {**report, "note": note, "engines": engines}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=list(ENGINES), default="all")
    parser.add_argument("--quick", action="store_true", help="3 s per scenario (else 10 s)")
    parser.add_argument("--duration", type=int, help="seconds per scenario (whole seconds)")
    parser.add_argument(
        "--concurrency", default=",".join(map(str, CONCURRENCY)),
        help="buyers at once for placeOrder and the purchase (1,8,32,64)",
    )  # fmt: skip
    parser.add_argument("--reserve-processes", type=int, default=4,
                        help="processes of the raw reserve loop (4)")  # fmt: skip
    parser.add_argument("--no-redis", action="store_true",
                        help="rate limits in each worker's memory, not in Redis")  # fmt: skip
    parser.add_argument("--note", default="", help="a line about this run for the results")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    wrk_path()  # fail before anything starts
    seconds = args.duration or (3 if args.quick else 10)
    concurrency = tuple(sorted({int(c) for c in args.concurrency.split(",")}))
    if seconds < 1 or not concurrency or min(concurrency) < 1 or max(concurrency) > 1000:
        parser.error("expected --duration >= 1 and --concurrency between 1 and 1000")
    plan = Plan(seconds, concurrency, counted=10 if args.quick else 30,
                reserve_processes=args.reserve_processes, quick=args.quick)  # fmt: skip
    engines = ENGINES[args.engine]
    use_redis = not args.no_redis and shutil.which("redis-server") is not None
    if not use_redis and not args.no_redis:
        print("redis-server not found: rate limits stay in each worker's memory")
    report: dict[str, Any] = {"updated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                              "note": args.note, "engines": []}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="tickex-bench-http-") as tmp:
        work = Path(tmp)
        redis_port = free_port() if use_redis else None
        redis = redis_server(redis_port, work / "redis.log") if redis_port is not None else None
        with redis if redis is not None else nullcontext():
            for engine in engines:
                if engine == "postgresql" and not postgres_answers():
                    where = redact_url(DEFAULT_PG)
                    if args.engine == engine:
                        print(f"postgresql: nothing answers at {where}", file=sys.stderr)
                        return 2
                    print(f"postgresql skipped: nothing answers at {where}")
                    continue
                report["engines"].append(bench_engine(engine, plan, redis_port, work))
    args.out.mkdir(parents=True, exist_ok=True)
    final = merged(args.out / "flash_sale_http.json", report)
    (args.out / "flash_sale_http.json").write_text(json.dumps(final, indent=2) + "\n")
    (args.out / "flash_sale_http.md").write_text(markdown(final))
    print(f"results: {args.out / 'flash_sale_http.json'}, {args.out / 'flash_sale_http.md'}")
    return 1 if any(e["sell_out"]["oversold"] for e in report["engines"]) else 0


if __name__ == "__main__":
    sys.exit(main())
