"""The application names pages through the ``Links`` port instead of formatting URLs from
the public address, and a use case asks for the ports it uses (the layer check,
``layers.py``, also refuses route paths in the inner layers and entrypoints reaching
``TickEx.services``)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tickex"
re_whole_services = re.compile(r"\bServices\b")


def test_the_application_formats_no_public_url() -> None:
    found = [
        str(path.relative_to(SRC))
        for path in sorted((SRC / "application").rglob("*.py"))
        if "public_url" in path.read_text()
    ]
    assert found == []


def test_use_cases_ask_for_the_ports_they_use() -> None:
    """A use case types ``services`` as the view it needs (``Core``, ``NeedsSales``, ...,
    application/services.py), never as the whole ``Services``: mypy --strict then holds it
    to the areas it declared."""
    found = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted((SRC / "application").rglob("*.py"))
        if path.name != "services.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re_whole_services.search(line)
    ]
    assert found == []
