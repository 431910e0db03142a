"""The application names pages through the ``Links`` port instead of formatting URLs from
the public address (the layer check, ``layers.py``, also refuses route paths in the inner
layers and entrypoints reaching ``TickEx.services``)."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tickex"


def test_the_application_formats_no_public_url() -> None:
    found = [
        str(path.relative_to(SRC))
        for path in sorted((SRC / "application").rglob("*.py"))
        if "public_url" in path.read_text()
    ]
    assert found == []
