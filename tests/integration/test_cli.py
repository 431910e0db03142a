"""The `tickex` command: the demo plays the whole flow and the ledger balances."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tickex.entrypoints.cli import main


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
