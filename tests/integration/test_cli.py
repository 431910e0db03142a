"""The `tickex` command: the demo plays the whole flow and the ledger balances."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tickex.application.authenticate import Authenticate
from tickex.application.get_event import GetEvent
from tickex.application.log_in import LogIn
from tickex.domain.identity import Role
from tickex.entrypoints.cli import main
from tickex.entrypoints.demo import DEMO_LOGIN, DEMO_SLUG
from tickex.facade import TickEx
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
