"""The fixtures a contract suite leaves to the adapter's test class."""

from __future__ import annotations

from typing import Any, NoReturn

import pytest


def provided(name: str, what: str = "") -> Any:
    """A fixture the subclass must define (``mailer = provided("mailer")`` in the suite):
    until it does, every test that uses it errors, saying so (and ``what`` it is)."""

    def missing(self: object) -> NoReturn:
        raise NotImplementedError(f"provide the `{name}` fixture{what}")

    return pytest.fixture(name=name)(missing)
