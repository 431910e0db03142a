"""Two scanners at once, in one thread: a storage whose next unit of work pauses after
reading its ticket while a whole second scan runs and commits (the state machine's model of
concurrent scans)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tickex.adapters.memory.storage import InMemoryStorage
from tickex.ports.unit_of_work import Storage, UnitOfWork


class _TicketsReadThen:
    """A unit of work's tickets that, after the first ticket is read, run ``then`` (once):
    the whole scan of a second scanner lands between the first one's read and its write."""

    def __init__(self, tickets: Any, then: Callable[[], None]) -> None:
        self._tickets, self._then = tickets, then

    def get_by_secret(self, secret: str) -> Any:
        ticket = self._tickets.get_by_secret(secret)
        then, self._then = self._then, lambda: None
        then()
        return ticket

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tickets, name)


class InterleavingStorage(Storage):
    """The in-memory storage, where ``interleave(then)`` makes the next unit of work run
    ``then`` right after reading its ticket. The memory store's lock is re-entrant, so a
    second unit of work can run to its commit inside the first: two scanners, interleaved."""

    def __init__(self, inner: InMemoryStorage) -> None:
        self.inner = inner
        self._then: Callable[[], None] | None = None

    def interleave(self, then: Callable[[], None]) -> None:
        self._then = then

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        uow = self.inner.unit_of_work(read_only)
        if self._then is not None and not read_only:
            uow.tickets = _TicketsReadThen(uow.tickets, self._then)  # type: ignore[assignment]
            self._then = None
        return uow

    def migrate(self) -> None:
        self.inner.migrate()

    def ping(self) -> bool:
        return self.inner.ping()

    def close(self) -> None:
        self.inner.close()
