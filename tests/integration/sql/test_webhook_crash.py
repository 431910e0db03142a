"""Issue 12's proof point: the webhook handler crashes half-way (the server process is
killed) and the redelivered event is processed exactly once.

The real ``tickex serve`` runs as a subprocess on a PostgreSQL database of its own, with
``TICKEX_PAYMENT_PROVIDER=stripe`` pointed at a ``FakeStripe`` in this process (real
HTTP, real signatures). An order is placed over HTTP and paid at the fake. The test then
takes ``LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE`` in a transaction of its own, so the
handler of ``checkout.session.completed`` blocks when it issues the tickets: after it has
recorded the provider's event id (``processed_events``) in its unit of work, before
anything else. Once PostgreSQL shows that backend waiting on the lock (and holding its
write on ``processed_events``), the server's whole process group is killed with SIGKILL
and the lock released: the half-done transaction must leave nothing behind (no processed
event, the order pending, no tickets, no ledger, no outbox message), and the fake keeps
the event queued because its delivery failed.

A second server on the same database then gets the fake's redelivery and two more copies:
exactly one set of tickets, the order paid, one ticket-delivery message in the outbox (the
in-process worker is off so the outbox is not drained), one processed event, the sale
posted once and the ledger balanced.

It fails if the event id is recorded outside the effect's unit of work (committed in a
transaction of its own first): the crash then leaves the id behind and every redelivery
is taken for a duplicate, so the order is never paid.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.integration.sql.support import POSTGRES_URL, require_postgres
from tickex.adapters.sql import normalize_url
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import SettingsInput, VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.application.organizers.payment_account import StartPaymentOnboarding
from tickex.facade import TickEx
from tickex.settings import Settings
from tickex.testing.fake_stripe import FakeStripe, WebhookEndpoint

pytestmark = pytest.mark.requires_postgres

ACCOUNT = "acct_1CrashTest"
EMAIL = "ana@example.com"
SLUG = "crash-night"
QUANTITY = 3
WAIT_S = 10.0  # every wait is bounded; the whole test takes a few seconds
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(what: str, probe: Callable[[], T | None], timeout: float = WAIT_S) -> T:
    """``probe()`` once it answers something other than None (or False); fail naming
    ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None and found is not False:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(0.05)


# -- a database of the test's own -----------------------------------------------------
@pytest.fixture
def database_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (the server migrates it), dropped afterwards
    with whatever connection the killed server left."""
    require_postgres()
    name = f"tickex_crash_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:  # template0: never busy, unlike template1
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    """The test's own connections to that database (to look, and to hold the lock)."""
    engine = create_engine(normalize_url(database_url), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe() as server:  # the system clock: the server's is the same
        yield server


# -- the server ---------------------------------------------------------------------------
class Server:
    """``tickex serve`` in a process group of its own (granian's workers are children)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tickex.entrypoints.cli", "serve", "--port", str(self.port)],
            env={**env, "TICKEX_PORT": str(self.port), "TICKEX_PUBLIC_URL": self.base},
            stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")[-4000:]

    def wait_until_up(self) -> None:
        def up() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited ({self.process.returncode}):\n"
                            f"{self.output()}", pytrace=False)  # fmt: skip
            try:
                return httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        _wait_for(f"the server on {self.base} to be ready", up, timeout=30)

    def kill(self) -> None:
        """SIGKILL the whole process group; wait until the server is gone."""
        with suppress(ProcessLookupError):  # the group's leader, or a worker left behind
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WAIT_S)
        try:  # granian's worker, a child in the group, may take a moment to be reaped
            _wait_for("the server's worker processes to die", lambda: not _group_alive(
                self.process.pid))  # fmt: skip
        finally:
            self._log_file.close()


def _group_alive(pgid: int) -> bool:
    """A process of the group is still running (a zombie no longer counts: whoever
    inherits it may never reap it, e.g. a container's init-less PID 1)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel, zombies included
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":  # state, ppid, pgrp, ...
            return True
    return False


@contextmanager
def running(env: dict[str, str], log: Path) -> Iterator[Server]:
    server = Server(env, log)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.kill()


def server_env(database_url: str, fake: FakeStripe, endpoint: WebhookEndpoint) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKEX_")}
    env.update({
        "TICKEX_ENVIRONMENT": "test",
        "TICKEX_DATABASE_URL": database_url,
        "TICKEX_DATABASE_POOL_SIZE": "2",
        "TICKEX_WORKER_INTERVAL": "0",  # the outbox stays as the handler left it
        "TICKEX_PAYMENT_PROVIDER": "stripe",
        "TICKEX_STRIPE_BASE_URL": fake.url,
        "TICKEX_STRIPE_SECRET_KEY": fake.secret_key,
        "TICKEX_STRIPE_WEBHOOK_SECRET": endpoint.secret,
    })  # fmt: skip
    return env


# -- the shop, set up in the test process on the same database ---------------------------
def open_shop(env: dict[str, str], fake: FakeStripe) -> str:
    """An organizer whose connected account can take charges, and a published paid event
    with 10 seats at 25.00 EUR; the ticket type's id."""
    settings = Settings.load(**{k.removeprefix("TICKEX_").lower(): v
                                for k, v in env.items() if k.startswith("TICKEX_")})  # fmt: skip
    fake.add_account(ACCOUNT, charges_enabled=True, payouts_enabled=True, currently_due=[],
                     disabled_reason=None)  # fmt: skip
    app = TickEx.from_settings(settings)
    try:
        app.migrate_storage()
        now = app.clock.now()
        org = app.create_organizer(CreateOrganizer(
            name="Crash Club", email="hi@crash.example", payment_account_id=ACCOUNT))  # fmt: skip
        app.start_payment_onboarding(StartPaymentOnboarding(organizer_id=org.id))
        event = app.create_event(CreateEvent(
            organizer_id=org.id, title="Crash Night", slug=SLUG,
            starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=30, hours=3),
            venue=VenueInput(name="Harbour Hall", address="1 Quay Street"),
            settings=SettingsInput(currency="EUR")))  # fmt: skip
        ga = app.create_ticket_type(CreateTicketType(
            organizer_id=org.id, event_id=event.id, name="General admission",
            price_minor=2500, quantity_total=10))  # fmt: skip
        app.publish_event(PublishEvent(organizer_id=org.id, event_id=event.id))
        return ga.id
    finally:
        app.close()


# -- what the database holds --------------------------------------------------------------
def scalar(conn: Connection, sql: str, **params: Any) -> Any:
    return conn.execute(text(sql), params).scalar_one()


def state(db: Engine, order_id: str, event_id: str) -> dict[str, Any]:
    with db.connect() as conn:
        return {
            "processed": scalar(conn, "SELECT count(*) FROM processed_events "
                                      "WHERE event_id = :e", e=event_id),
            "order": scalar(conn, "SELECT status FROM orders WHERE id = :o", o=order_id),
            "tickets": scalar(conn, "SELECT count(*) FROM tickets WHERE order_id = :o",
                              o=order_id),
            "distinct tickets": scalar(conn, "SELECT count(DISTINCT id) FROM tickets "
                                             "WHERE order_id = :o", o=order_id),
            "sales": scalar(conn, "SELECT count(*) FROM ledger_transactions "
                                  "WHERE order_id = :o AND kind = 'sale'", o=order_id),
            "ledger transactions": scalar(conn, "SELECT count(*) FROM ledger_transactions "
                                                "WHERE order_id = :o", o=order_id),
            "deliveries": scalar(conn, "SELECT count(*) FROM outbox "
                                       "WHERE kind = 'deliver_tickets'"),
            "hold": scalar(conn, "SELECT h.status FROM holds h JOIN orders o "
                                 "ON o.hold_id = h.id WHERE o.id = :o", o=order_id),
        }  # fmt: skip


def unbalanced(db: Engine) -> list[tuple[str, int]]:
    """Currencies whose ledger entries do not sum to zero (none, when balanced)."""
    with db.connect() as conn:
        rows = conn.execute(text("SELECT currency, sum(amount_minor) FROM ledger_entries "
                                 "GROUP BY currency HAVING sum(amount_minor) <> 0"))  # fmt: skip
        return [(str(c), int(s)) for c, s in rows]


def backend_waiting_on_tickets(db: Engine) -> tuple[int, bool] | None:
    """A backend of this database (not ours) waiting for a lock on ``tickets``: its pid,
    and whether its transaction has written the event id already (it has an xid and holds
    its row lock on ``processed_events``); None while there is none."""
    with db.connect() as conn:
        row = conn.execute(text("""
            SELECT a.pid, a.backend_xid IS NOT NULL AND EXISTS (
                SELECT 1 FROM pg_locks p WHERE p.pid = a.pid AND p.granted
                AND p.relation = 'processed_events'::regclass AND p.mode = 'RowExclusiveLock')
            FROM pg_stat_activity a
            JOIN pg_locks w ON w.pid = a.pid AND NOT w.granted
                           AND w.relation = 'tickets'::regclass
            WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
              AND a.wait_event_type = 'Lock'
        """)).first()  # fmt: skip
        return None if row is None else (int(row[0]), bool(row[1]))


def backend_alive(db: Engine, pid: int) -> bool:
    with db.connect() as conn:
        return bool(scalar(conn, "SELECT count(*) FROM pg_stat_activity WHERE pid = :p", p=pid))


def event_of(fake: FakeStripe, event_type: str, session_id: str) -> dict[str, Any]:
    (event,) = [e for e in fake.events_of(event_type)
                if e["data"]["object"]["id"] == session_id]  # fmt: skip
    return event


# -- the test ---------------------------------------------------------------------------
def test_a_handler_killed_half_way_leaves_nothing_and_the_redelivery_fulfils_once(
    db: Engine, database_url: str, fake: FakeStripe, tmp_path: Path
) -> None:
    pytest.importorskip("granian")
    endpoint = fake.add_endpoint("http://127.0.0.1:9/unset")  # the server's URL, below
    env = server_env(database_url, fake, endpoint)
    ticket_type_id = open_shop(env, fake)

    # 1. the first server: an order placed over HTTP, paid at the fake, its webhook stuck
    with running(env, tmp_path / "first.log") as first:
        endpoint.target = f"{first.base}/webhooks/stripe"
        placed = httpx.post(f"{first.base}/v1/orders", timeout=10, json={
            "event_slug": SLUG, "customer_email": EMAIL, "customer_name": "Ana",
            "items": [{"ticket_type_id": ticket_type_id, "quantity": QUANTITY}]})  # fmt: skip
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["order_id"]
        session_id = str(placed.json()["payment_url"]).rsplit("/", 1)[1]
        fake.pay(session_id)
        completed = event_of(fake, "checkout.session.completed", session_id)["id"]

        lock = db.connect().execution_options(isolation_level="READ COMMITTED")
        locked = lock.begin()  # a real transaction (the engine autocommits otherwise)
        delivery: threading.Thread | None = None
        try:
            lock.execute(text("LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE"))
            delivery = threading.Thread(target=fake.deliver, name="stuck-delivery", daemon=True)
            delivery.start()  # charge and intent (ignored), then the session: it hangs
            pid, wrote = _wait_for(
                "the webhook's transaction to wait on the tickets lock",
                lambda: backend_waiting_on_tickets(db),
            )
            first.kill()  # half-way: the event recorded, the hold untouched, no ticket yet
        finally:
            locked.rollback()
            lock.close()
            if delivery is not None:
                delivery.join(WAIT_S)
        assert delivery is not None
        assert not delivery.is_alive(), "the fake's delivery did not return after the kill"
    _wait_for(f"the killed server's backend {pid} to end", lambda: not backend_alive(db, pid))

    assert [d.status for d in endpoint.deliveries if d.event_id == completed] == [None]
    assert [e["id"] for e in endpoint.queue] == [completed], "the fake no longer retries it"
    assert state(db, order_id, completed) == {
        "processed": 0,
        "order": "pending",
        "tickets": 0,
        "distinct tickets": 0,
        "sales": 0,
        "ledger transactions": 0,
        "deliveries": 0,
        "hold": "active",
    }, "the killed handler's transaction left something behind"
    assert wrote, "the handler was not killed half-way: it had not recorded the event yet"

    # 2. a new server: the fake's retry, and the same event twice more
    with running(env, tmp_path / "second.log") as second:
        endpoint.target = f"{second.base}/webhooks/stripe"
        retried = fake.deliver()
        assert [(d.event_id, d.status) for d in retried] == [(completed, 200)], second.output()
        assert not endpoint.queue
        again = fake.send(event_of(fake, "checkout.session.completed", session_id), times=2)
        assert [d.status for d in again] == [200, 200], second.output()
        got = httpx.get(f"{second.base}/v1/orders/{order_id}", params={"email": EMAIL},
                        timeout=10).json()  # fmt: skip
        assert got["status"] == "paid", got
        assert len(got["tickets"]) == QUANTITY, got

    assert state(db, order_id, completed) == {
        "processed": 1,
        "order": "paid",
        "tickets": QUANTITY,
        "distinct tickets": QUANTITY,
        "sales": 1,
        "ledger transactions": 3,  # the sale, its platform fee and Stripe's fee
        "deliveries": 1,
        "hold": "converted",
    }
    assert unbalanced(db) == []
