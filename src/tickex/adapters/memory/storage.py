"""In-memory storage: the reference implementation of the repositories and unit of work.

Thread-safe by serialising units of work: a unit of work holds the store's lock from
``__enter__`` to ``__exit__``, writes go to an overlay, and ``commit`` applies the
overlay at once (:mod:`.unit_of_work`). Repositories hand out deep copies, as a database
would (:mod:`.repositories`, one module an area).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from tickex.adapters.memory.unit_of_work import InMemoryUnitOfWork
from tickex.ports.unit_of_work import Storage

__all__ = ["InMemoryStorage", "InMemoryUnitOfWork"]


class InMemoryStorage(Storage):
    """The tables (a dict a table), the lock units of work take, the ledger sequence."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, dict[str, Any]] = defaultdict(dict)
        self.sequence = 0  # append order for the ledger

    def unit_of_work(self, read_only: bool = False) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self, read_only=read_only)
