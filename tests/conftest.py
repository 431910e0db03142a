"""Shared test configuration.

Tests that need a real service (PostgreSQL, Redis, a browser) call ``require_service``:
they skip when it is missing, unless ``TICKEX_REQUIRE_SERVICES=1`` (CI), where they fail.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("TICKEX_REQUIRE_SERVICES") == "1"


def require_service(name: str, available: bool, detail: str = "") -> None:
    if available:
        return
    message = f"{name} is not available{': ' + detail if detail else ''}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (TICKEX_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)
