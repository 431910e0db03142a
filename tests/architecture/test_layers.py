"""The layer rule holds for the whole package, and the checker really catches violations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.layers import check_tree

SRC = Path(__file__).resolve().parents[2] / "src"


def test_the_package_respects_the_layer_rule() -> None:
    violations = check_tree(SRC)
    assert not violations, "\n".join(map(str, violations))


def _tree_with(tmp_path: Path, relative: str, source: str) -> Path:
    path = tmp_path / "tickex" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(tmp_path).parents:
        if parent != Path("."):
            (tmp_path / parent / "__init__.py").touch()
    path.write_text(source)
    return tmp_path


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("domain/bad.py", "import sqlalchemy\n"),
        ("domain/bad.py", "from tickex.adapters.memory import storage\n"),
        ("domain/bad.py", "from tickex.ports.clock import Clock\n"),
        ("domain/bad.py", "def f():\n    from ..application import services\n"),
        ("ports/bad.py", "from tickex.application.services import Services\n"),
        ("application/bad.py", "from tickex.adapters.system import SystemClock\n"),
        ("application/bad.py", "import stripe\n"),
        ("application/bad.py", "from tickex import bootstrap\n"),
        ("adapters/sql/bad.py", "from tickex.application.sales.place_order import PlaceOrder\n"),
        ("adapters/bad.py", "from ..entrypoints import cli\n"),
        ("entrypoints/bad.py", "from tickex.adapters.memory.storage import InMemoryStorage\n"),
        ("entrypoints/http/bad.py", "from tickex import adapters\n"),
    ],
)
def test_the_checker_catches_a_violating_module(tmp_path: Path, relative: str, source: str) -> None:
    src = _tree_with(tmp_path, relative, source)
    violations = check_tree(src)
    assert [v.module.split(".")[-1] for v in violations] == ["bad"]


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("domain/ok.py", "import datetime\nfrom pydantic import BaseModel\nfrom . import money\n"),
        ("ports/ok.py", "from tickex.domain.money import Money\n"),
        ("application/ok.py", "from tickex.ports.clock import Clock\n"),
        ("adapters/ok.py", "import sqlalchemy\nfrom tickex.ports.clock import Clock\n"),
        ("entrypoints/ok.py", "from tickex.bootstrap import Container\nimport litestar\n"),
    ],
)
def test_the_checker_accepts_allowed_imports(tmp_path: Path, relative: str, source: str) -> None:
    assert check_tree(_tree_with(tmp_path, relative, source)) == []
