"""The `tickex` command: the demo plays the whole flow and the ledger balances."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tickex.application.authenticate import Authenticate
from tickex.application.get_event import GetEvent
from tickex.application.log_in import LogIn
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
