"""The last active admin under contention, on SQLite and PostgreSQL (and on MongoDB from
``tests/integration/mongo``): two admins disable each other at the same time, each in a
thread with its own connection. Each unit is held after it counted the admins until the
other has counted too (``CountedTogether``), the interleaving in which a bare check lets
both through and leaves no admin. Exactly one wins; the other retries, finds the last
admin and changes nothing (``LastAdmin``)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sql.support import postgres_storage, sqlite_storage
from tickex.adapters.sql import SqlStorage
from tickex.application.identity.create_admin import CreateAdmin
from tickex.application.identity.disable_user import DisableUser, LastAdmin
from tickex.domain.identity import Principal, User
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage, UnitOfWork

PASSWORD = "correct horse battery"
HOLD_SECONDS = 2.0  # how long a unit waits for the other to count (see CountedTogether)


class CountedTogether(Storage):
    """``storage``, with each racing thread's first unit held right after it listed the
    admins until the other thread's has too. On an engine whose writing units run one at a
    time (SQLite, the in-memory store) the other cannot start: the hold times out and the
    units run in turn."""

    def __init__(self, storage: Storage, racers: int) -> None:
        self.storage = storage
        self.barrier = threading.Barrier(racers, timeout=HOLD_SECONDS)
        self.held = threading.local()

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        uow = self.storage.unit_of_work(read_only)
        listed = uow.users.list_admins

        def list_then_wait() -> list[User]:
            admins = listed()
            if not getattr(self.held, "once", False):
                self.held.once = True
                with contextlib.suppress(threading.BrokenBarrierError):
                    self.barrier.wait()
            return admins

        uow.users.list_admins = list_then_wait  # type: ignore[method-assign]
        return uow


def admins_disabling_each_other(storage: Storage) -> None:
    """The race and what it must leave: one disabled admin, one active, one ``LastAdmin``."""
    app = TickEx.in_memory(storage=storage)
    users = [
        app.create_admin(CreateAdmin(email=f"admin{n}@tickex.example", name=f"A{n}",
                                     password=PASSWORD))
        for n in range(2)
    ]  # fmt: skip
    racing = TickEx.in_memory(storage=CountedTogether(storage, 2))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(actor: User, target: User) -> None:
        try:
            racing.disable_user(DisableUser(actor=Principal(actor.id, actor.roles),
                                            user_id=target.id))  # fmt: skip
            outcome = "disabled"
        except LastAdmin:
            outcome = "last admin"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=pair) for pair in (users, users[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["disabled", "last admin"]
    stored = [app.services.read(lambda uow, u=u: uow.users.get(u.id)) for u in users]
    assert sorted(u.is_active for u in stored if u is not None) == [False, True]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.requires_postgres)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    make = sqlite_storage(tmp_path) if request.param == "sqlite" else postgres_storage()
    with make as st:
        yield st


def test_two_admins_disabling_each_other_at_once_leave_one(storage: SqlStorage) -> None:
    admins_disabling_each_other(storage)
