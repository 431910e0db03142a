"""The `tickex` command: the demo plays the whole flow and the ledger balances."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tickex.adapters.memory.mail import InMemoryMailer
from tickex.application.catalog.get_event import GetEvent
from tickex.application.identity.authenticate import Authenticate
from tickex.application.identity.log_in import LogIn
from tickex.application.sales.confirm_payment import ConfirmPayment
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.domain.identity import Role
from tickex.entrypoints.cli import main
from tickex.entrypoints.demo import DEMO_LOGIN, DEMO_SLUG
from tickex.facade import TickEx
from tickex.ports.mail import DeliveryError
from tickex.settings import Settings


def test_demo_prints_the_whole_flow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "paid      order",
        "duplicate",
        "late_refunded",
        "already checked in at",
        "invalid_signature",
        "refund      order",
        "balance 0.00 EUR",
        "(all accounts together)                          0.00 EUR",
    ):
        assert expected in out, expected


def test_invalid_settings_are_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKEX_PLATFORM_FEE_PERCENT_BP", "-5")
    monkeypatch.setenv("TICKEX_ENVIRONMENT", "staging")
    result = subprocess.run(
        [sys.executable, "-m", "tickex.entrypoints.cli", "migrate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "TICKEX_PLATFORM_FEE_PERCENT_BP" in result.stderr
    assert "TICKEX_ENVIRONMENT" in result.stderr


def test_seed_demo_is_idempotent_and_its_organizer_can_log_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKEX_DATABASE_URL", f"sqlite:///{tmp_path}/tickex.db")
    assert main(["migrate"]) == 0
    assert main(["seed-demo"]) == 0
    assert main(["seed-demo"]) == 0
    out = capsys.readouterr().out
    assert "demo event created" in out
    assert "demo event already there" in out
    email, password = DEMO_LOGIN
    assert f"{email} / {password}" in out
    app = TickEx.from_settings(Settings.load())
    try:
        page = app.get_event(GetEvent(slug=DEMO_SLUG))
        pair = app.log_in(LogIn(email=email, password=password))
        me = app.authenticate(Authenticate(access_token=pair.access_token))
        assert me.organizer_id == page.event.organizer_id
    finally:
        app.services.storage.close()


def test_the_worker_process_delivers_the_outbox_and_stops_gracefully_on_sigterm(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/tickex.db"
    mail = tmp_path / "mail"
    env = {**os.environ, "TICKEX_DATABASE_URL": url, "TICKEX_MAIL_DIR": str(mail)}
    for command in ("migrate", "seed-demo"):
        subprocess.run([sys.executable, "-m", "tickex.entrypoints.cli", command], env=env,
                       check=True, capture_output=True)  # fmt: skip
    app = TickEx.from_settings(Settings.load(database_url=url))
    event = app.get_event(GetEvent(slug=DEMO_SLUG))
    first_type = event.ticket_types[0].ticket_type.id
    order = app.place_order(
        PlaceOrder(event_id=event.event.id, customer_email="ana@example.com",
                   items=[OrderItem(ticket_type_id=first_type, quantity=1)])
    )  # fmt: skip
    app.confirm_payment(
        ConfirmPayment(provider="local", provider_event_id="evt-worker", order_id=order.order_id,
                       amount_minor=order.totals.total.amount_minor,
                       currency=order.totals.total.currency)
    )  # fmt: skip

    def pending() -> int:
        return app.services.read(lambda uow: uow.outbox.pending_count())

    assert pending() > 0  # the demo organizer's welcome email and the tickets
    worker = subprocess.Popen(
        [sys.executable, "-m", "tickex.entrypoints.cli", "worker", "--interval", "0.1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while pending() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert pending() == 0
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=15)
    finally:
        if worker.poll() is None:
            worker.kill()
        app.services.storage.close()
    assert worker.returncode == 0, err
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    messages = [r["message"] for r in records]
    assert messages[0] == "worker started"
    assert "worker round" in messages
    assert messages[-2:] == ["worker stopping", "worker stopped"]
    assert records[-1]["rounds"] >= 1
    delivered = {path.read_text().split("\nSubject: ", 1)[1].split("\n", 1)[0]
                 for path in mail.glob("*.eml")}  # fmt: skip
    assert "Confirm your email address for TickEx" in delivered  # the demo organizer's
    assert any(subject.startswith("Your tickets for Nightjar Live") for subject in delivered)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--interval", "0"], {}, "--interval"),
        ([], {"TICKEX_DATABASE_URL": "memory://"}, "in-memory"),
        ([], {"TICKEX_PORT": "nope"}, "TICKEX_PORT"),
    ],
)
def test_the_worker_refuses_what_cannot_work(
    args: list[str], env: dict[str, str], message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tickex.entrypoints.cli", "worker", *args],
        env={**os.environ, **env}, capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr


# -- create-admin ----------------------------------------------------------------------------
ADMIN_PASSWORD = "a long admin passphrase"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKEX_DATABASE_URL", f"sqlite:///{tmp_path}/tickex.db")
    monkeypatch.delenv("TICKEX_ADMIN_PASSWORD", raising=False)
    assert main(["migrate"]) == 0


def _roles_of(email: str, password: str) -> frozenset[Role]:
    app = TickEx.from_settings(Settings.load())
    try:
        pair = app.log_in(LogIn(email=email, password=password))
        return app.authenticate(Authenticate(access_token=pair.access_token)).roles
    finally:
        app.services.storage.close()


@pytest.mark.usefixtures("database")
def test_create_admin_takes_the_password_from_the_environment_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKEX_ADMIN_PASSWORD", ADMIN_PASSWORD)
    assert main(["create-admin", "--email", "Boss@TickEx.example", "--name", "Boss"]) == 0
    out, err = capsys.readouterr()
    assert "admin created: boss@tickex.example" in out
    assert ADMIN_PASSWORD not in out + err
    assert Role.ADMIN in _roles_of("boss@tickex.example", ADMIN_PASSWORD)

    assert main(["create-admin", "--email", "boss@tickex.example", "--name", "Boss"]) == 1
    assert "already registered" in capsys.readouterr().err


@pytest.mark.usefixtures("database")
def test_create_admin_asks_for_the_password_twice_in_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([ADMIN_PASSWORD, ADMIN_PASSWORD, ADMIN_PASSWORD, "something else entirely"])
    monkeypatch.setattr("tickex.entrypoints.cli.getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert main(["create-admin", "--email", "root@tickex.example", "--name", "Root"]) == 0
    assert Role.ADMIN in _roles_of("root@tickex.example", ADMIN_PASSWORD)
    assert main(["create-admin", "--email", "other@tickex.example", "--name", "Other"]) == 2
    assert "the passwords differ" in capsys.readouterr().err


@pytest.mark.usefixtures("database")
def test_create_admin_refuses_a_weak_password_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKEX_ADMIN_PASSWORD", "hunter2")
    assert main(["create-admin", "--email", "boss@tickex.example", "--name", "Boss"]) == 2
    err = capsys.readouterr().err
    assert "password" in err
    assert "hunter2" not in err
    monkeypatch.delenv("TICKEX_ADMIN_PASSWORD")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)  # a script: nobody to ask
    assert main(["create-admin", "--email", "boss@tickex.example", "--name", "Boss"]) == 2
    assert "TICKEX_ADMIN_PASSWORD" in capsys.readouterr().err


def test_create_admin_takes_no_password_argument() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["create-admin", "--email", "a@b.example", "--name", "A", "--password", "x" * 20])
    assert exited.value.code == 2


class _Refusing(InMemoryMailer):
    def send(self, message: Any) -> str:
        raise DeliveryError("550 no such mailbox", retryable=False)


def test_dead_outbox_messages_are_listed_and_queued_again_from_the_command_line(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/tickex.db"
    env = {**os.environ, "TICKEX_DATABASE_URL": url, "TICKEX_MAIL_DIR": str(tmp_path / "mail")}

    def tickex(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tickex.entrypoints.cli", *args], env=env,
                              capture_output=True, text=True, check=False, timeout=60)  # fmt: skip

    assert tickex("migrate").returncode == 0
    assert tickex("seed-demo").returncode == 0
    app = TickEx.from_settings(Settings.load(database_url=url), mailer=_Refusing())
    try:
        assert app.process_outbox().dead == 1  # the demo organizer's verification email
        [dead] = app.list_dead_messages()
    finally:
        app.services.storage.close()

    listed = tickex("outbox", "dead")
    assert listed.returncode == 0, listed.stderr
    assert dead.id in listed.stdout
    assert "550 no such mailbox" in listed.stdout
    assert "token" not in listed.stdout  # never the payload (it holds the link)
    assert "1 dead message(s)" in listed.stdout

    assert tickex("outbox", "retry").returncode == 2  # neither ids nor --all
    assert tickex("outbox", "retry", "no-such-id").returncode == 1
    retried = tickex("outbox", "retry", dead.id)
    assert retried.returncode == 0, retried.stderr
    assert "1 message(s) queued again" in retried.stdout
    assert "0 dead message(s)" in tickex("outbox", "dead").stdout
    assert tickex("outbox", "retry", "--all").stdout.startswith("0 message(s)")
