"""The seams of issue 11: entrypoints ask the facade (never ``TickEx.services``), and the
application names pages through the ``Links`` port instead of formatting URLs."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tickex"


def services_reached(source: str) -> list[int]:
    """The lines of ``source`` that read an attribute called ``services``."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr == "services"
    ]


def test_entrypoints_never_reach_past_the_facade_into_services() -> None:
    found = {
        str(path.relative_to(SRC)): lines
        for path in sorted((SRC / "entrypoints").rglob("*.py"))
        if (lines := services_reached(path.read_text()))
    }
    assert found == {}


def test_the_check_sees_a_reach_into_services() -> None:
    assert services_reached("def f(app):\n    return app.services.storage\n") == [2]
    assert services_reached("def f(app):\n    return app.storage_ready()\n") == []


def test_the_application_formats_no_public_url() -> None:
    found = [
        str(path.relative_to(SRC))
        for path in sorted((SRC / "application").rglob("*.py"))
        if "public_url" in path.read_text()
    ]
    assert found == []
