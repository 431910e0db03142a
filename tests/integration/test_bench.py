"""The benchmarks still run: a tiny flash sale through the real use cases, sold equal to
capacity, on SQLite and on the MongoDB wire server (``TICKEX_TEST_MONGODB_URI``; skipped
without one); and the HTTP one (``bench/flash_sale_http.py``) in its quick mode on SQLite,
with wrk (skipped without it). (Figures come from `make bench`, never from a test.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import require_service
from tests.mongo_server import require_server

BENCH = Path(__file__).resolve().parents[2] / "bench" / "flash_sale.py"
BENCH_HTTP = BENCH.with_name("flash_sale_http.py")


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


def test_the_http_flash_sale_benchmark_runs_on_sqlite_and_never_oversells(tmp_path: Path) -> None:
    require_service("wrk", shutil.which("wrk") is not None, "apt-get install -y wrk")
    done = subprocess.run(
        [sys.executable, str(BENCH_HTTP), "--engine", "sqlite", "--quick", "--duration", "1",
         "--concurrency", "1,4", "--reserve-processes", "2", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "flash_sale_http.json").read_text())
    (run,) = report["engines"]
    assert run["engine"] == "sqlite"
    assert run["plan"]["quick"]
    scenarios = {s["name"]: s for s in run["scenarios"]}
    assert list(scenarios) == ["getEvent", "bare route", "placeOrder c=1", "placeOrder c=4",
                               "purchase c=1", "purchase c=4", "sell-out c=4"]  # fmt: skip
    for s in scenarios.values():
        assert s["requests"] > 0, s
        assert s["p50_ms"] <= s["p99_ms"]
        assert s["cpu_ms_per_unit"]["api"] > 0, s
        assert s["cpu_ms_per_unit"]["database"] is None  # SQLite runs in the API processes
        assert s["load_generator"]["cores"] >= 0
        assert not s["socket_errors"], s
    for name in ("getEvent", "bare route", "placeOrder c=1", "placeOrder c=4"):
        assert scenarios[name]["non_2xx"] == {}, scenarios[name]
    assert scenarios["placeOrder c=4"]["orders"] == scenarios["placeOrder c=4"]["requests"]
    assert scenarios["purchase c=4"]["orders"] > 0
    assert set(scenarios["sell-out c=4"]["non_2xx"]) <= {"place 409"}  # sold out, nothing else
    check = run["sell_out"]
    assert not check["oversold"]
    # every seat held has its order; wrk may stop before a 201 in flight reaches it
    assert check["placed_201"] <= check["sold"] == check["orders_in_db"] <= check["capacity"]
    assert run["raw_reserve"]["transactions"] > 0
    assert run["ratios"]["getEvent_to_bare_route"] > 0
    assert "skipped" in run["statements_per_request"]  # no server log on SQLite
    assert "Targets of issue 13" in (tmp_path / "flash_sale_http.md").read_text()
