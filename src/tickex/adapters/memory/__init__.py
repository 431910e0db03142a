"""In-memory adapters: the reference behaviour of every port (thread-safe)."""

from tickex.adapters.memory.storage import InMemoryStorage, InMemoryUnitOfWork

__all__ = ["InMemoryStorage", "InMemoryUnitOfWork"]
