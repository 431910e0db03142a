"""The benchmark still runs: a tiny flash sale on SQLite through the real use cases, sold
equal to capacity. (Figures come from `make bench`, never from a test.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "flash_sale.py"


def test_the_flash_sale_benchmark_runs_and_never_oversells(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--engine", "sqlite", "--workers", "2", "--orders", "24",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sold" in done.stdout
    (run,) = json.loads((tmp_path / "flash_sale.json").read_text())["engines"]
    assert run["engine"] == "sqlite"
    assert run["sold"] == run["capacity"] == run["orders_in_db"]
    assert not run["oversold"]
    assert run["application"]["completed"] == run["sold"]
