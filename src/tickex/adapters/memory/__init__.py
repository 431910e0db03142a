"""In-memory adapters: the reference behaviour of every port (thread-safe)."""

from tickex.adapters.memory.storage import InMemoryStorage
from tickex.adapters.memory.unit_of_work import InMemoryUnitOfWork

__all__ = ["InMemoryStorage", "InMemoryUnitOfWork"]
