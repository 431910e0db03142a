"""The benchmark still runs: a tiny flash sale through the real use cases, sold equal to
capacity, on SQLite and on the MongoDB wire server (``TICKEX_TEST_MONGODB_URI``; skipped
without one). (Figures come from `make bench`, never from a test.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.mongo_server import require_server

BENCH = Path(__file__).resolve().parents[2] / "bench" / "flash_sale.py"


def bench(engine: str, out: Path, **env: str) -> dict[str, Any]:
    """One small run of ``engine``; its entry of the JSON report."""
    done = subprocess.run(
        [sys.executable, str(BENCH), "--engine", engine, "--workers", "2", "--orders", "24",
         "--out", str(out)],
        capture_output=True, text=True, timeout=180, check=False, env={**os.environ, **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sold" in done.stdout
    (run,) = json.loads((out / "flash_sale.json").read_text())["engines"]
    assert run["engine"] == engine
    assert run["sold"] == run["capacity"] == run["orders_in_db"]
    assert not run["oversold"]
    assert run["application"]["completed"] == run["sold"]
    assert run["held"] == 0  # every order was paid
    result: dict[str, Any] = run
    return result


def test_the_flash_sale_benchmark_runs_and_never_oversells(tmp_path: Path) -> None:
    assert bench("sqlite", tmp_path)["mode"] == "transactions"


def test_the_flash_sale_benchmark_runs_on_mongodb(tmp_path: Path) -> None:
    run = bench("mongo", tmp_path, TICKEX_BENCH_MONGODB_URI=require_server())
    assert run["mode"].startswith(("transactions on ", "compensating on "))
    assert run["ceiling"]["reserved"] == run["attempts"]
