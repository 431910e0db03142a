"""The layer rule holds for the whole package, and the checker really catches violations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.layers import DEFAULT_ROUTE_ROOTS, check_tree
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx

SRC = Path(__file__).resolve().parents[2] / "src"


def served_route_roots() -> frozenset[str]:
    """The first path segment of every route the HTTP app serves (``v1``, ``account``...)."""
    application = create_app(TickEx.in_memory())
    return frozenset(route.path.split("/")[1] for route in application.routes) - {""}


def test_the_package_respects_the_layer_rule() -> None:
    violations = check_tree(SRC, served_route_roots())
    assert not violations, "\n".join(map(str, violations))


def test_the_script_default_knows_every_route_root() -> None:
    assert served_route_roots() <= DEFAULT_ROUTE_ROOTS


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
        # the tests are never imported by the package (test-only switches live there)
        ("adapters/sql/bad.py", "from tests.integration.sql.unguarded import Unguarded\n"),
        ("testing/bad.py", "import conftest\n"),
        # entrypoints ask the facade, never its ports
        ("entrypoints/http/bad.py", "def f(app):\n    return app.services.storage.ping()\n"),
        ("entrypoints/bad.py", "def f(app):\n    return getattr(app, 'x').services\n"),
        # the inner layers know no HTTP route
        ("application/bad.py", "def f(base, t):\n    return f'{base}/account/reset?t={t}'\n"),
        ("application/sales/bad.py", "PATH = '/v1/orders/'\n"),
        ("domain/bad.py", "def f(base):\n    return base + '/pay'\n"),
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
        ("entrypoints/ok.py", "def f(app):\n    return app.ready()\n"),
        # prose may name a route; a path that only looks alike is no route
        ("application/ok.py", '"""Links such as /v1/orders/{id} come from Links."""\n'),
        ("application/ok.py", "UNIT = 'EUR/v1x'\nDATE = '2026/account'\n"),
    ],
)
def test_the_checker_accepts_allowed_imports(tmp_path: Path, relative: str, source: str) -> None:
    assert check_tree(_tree_with(tmp_path, relative, source)) == []
