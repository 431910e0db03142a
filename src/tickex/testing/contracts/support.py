"""What every storage contract shares: running work in a unit of work, racing threads,
and the ``storage`` fixture a subclass provides."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import ClassVar, TypeVar

import pytest

from tickex.domain.errors import Conflict
from tickex.ports.unit_of_work import Storage, UnitOfWork
from tickex.testing.provided import provided

T = TypeVar("T")


def in_uow(storage: Storage, work: Callable[[UnitOfWork], T], commit: bool = True) -> T:
    with storage.unit_of_work() as uow:
        result = work(uow)
        if commit:
            uow.commit()
        return result


def stored(storage: Storage, get: Callable[[UnitOfWork], T | None]) -> T:
    """What ``get`` finds in a new unit of work, which must find it."""
    found = in_uow(storage, get)
    assert found is not None
    return found


def unique(storage: Storage, add: Callable[[UnitOfWork], object]) -> None:
    """``add`` stores a new aggregate with a value a unique rule covers: it goes in once,
    and run again (another aggregate, the same value) it is refused with ``Conflict``."""
    in_uow(storage, add)
    with pytest.raises(Conflict):
        in_uow(storage, add)


def two_copies(
    storage: Storage, add: Callable[[UnitOfWork], None], get: Callable[[UnitOfWork], T | None]
) -> tuple[T, T]:
    """Store an aggregate with ``add``, then read it twice, each in its own unit of work:
    two copies of one version, for the optimistic-concurrency tests."""
    in_uow(storage, add)
    first, second = in_uow(storage, get), in_uow(storage, get)
    assert first is not None and second is not None
    return first, second


def race(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0)`` .. ``work(count - 1)`` in as many threads, released together by a
    barrier; their results, in the order the threads finished."""
    results: list[T] = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        barrier.wait()
        result = work(n)
        with lock:
            results.append(result)

    in_threads(count, run)
    return results


def in_threads(count: int, work: Callable[[int], object]) -> None:
    """Run ``work(0)`` .. ``work(count - 1)`` in as many threads, and wait for them all."""
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class StorageFixture:
    """Provide a ``storage`` fixture: a fresh, migrated, empty :class:`Storage`."""

    #: Set (to the reason) for engines that cannot run units of work in parallel threads,
    #: such as a mock; the concurrency tests are then skipped with that reason.
    concurrency_skip_reason: ClassVar[str | None] = None

    def skip_without_concurrency(self) -> None:
        if self.concurrency_skip_reason:
            pytest.skip(self.concurrency_skip_reason)

    storage = provided("storage", ": a fresh, migrated, empty Storage")
