"""What every storage contract shares: running work in a unit of work, and the
``storage`` fixture a subclass provides."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

import pytest

from tickex.ports.unit_of_work import Storage, UnitOfWork

T = TypeVar("T")


def in_uow(storage: Storage, work: Callable[[UnitOfWork], T], commit: bool = True) -> T:
    with storage.unit_of_work() as uow:
        result = work(uow)
        if commit:
            uow.commit()
        return result


class StorageFixture:
    """Provide a ``storage`` fixture: a fresh, migrated, empty :class:`Storage`."""

    #: Set (to the reason) for engines that cannot run units of work in parallel threads,
    #: such as a mock; the concurrency tests are then skipped with that reason.
    concurrency_skip_reason: ClassVar[str | None] = None

    @pytest.fixture
    def storage(self) -> Storage:
        raise NotImplementedError("provide a `storage` fixture")
