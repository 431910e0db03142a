"""``StoredSessionRevocations``: each process's copy of the revoked sessions, on the
reference storage and a fixed clock -- when it reads storage, what it keeps, what it
forgets. (Every engine's ``revoked_families`` is in the identity storage contract; the
HTTP behaviour, on every engine and with two server workers, in
tests/integration/http/test_session_revocation.py.)"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.adapters.session_revocations import CLOCK_MARGIN, StoredSessionRevocations
from tickex.ports.unit_of_work import UnitOfWork
from tickex.testing import builders as b

WINDOW = timedelta(minutes=15, seconds=30)  # the default access token's max_lifetime


class CountingStorage(InMemoryStorage):
    """The reference storage, counting the units of work opened (each reload opens one)."""

    def __init__(self) -> None:
        super().__init__()
        self.units = 0

    def unit_of_work(self, read_only: bool = False) -> Any:
        self.units += 1
        return super().unit_of_work(read_only)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(b.T0)


@pytest.fixture
def storage() -> CountingStorage:
    return CountingStorage()


def revoke(storage: InMemoryStorage, family: str, clock: FixedClock) -> None:
    """Another process revokes ``family`` (a session of it is stored, then revoked)."""

    def work(uow: UnitOfWork) -> None:
        uow.sessions.add(b.refresh_session(family_id=family))
        uow.sessions.revoke_family(family, clock.now())
        uow.commit()

    with storage.unit_of_work() as uow:
        work(uow)


def test_storage_is_read_once_per_bound_not_per_check(
    storage: CountingStorage, clock: FixedClock
) -> None:
    revocations = StoredSessionRevocations(storage, clock, window=WINDOW)
    assert not any(revocations.is_revoked("fam-a") for _ in range(100))
    assert storage.units == 1
    revoke(storage, "fam-a", clock)
    reads = storage.units
    clock.advance(timedelta(milliseconds=999))
    assert not revocations.is_revoked("fam-a")  # stale, within the bound
    assert storage.units == reads
    clock.advance(timedelta(milliseconds=1))
    assert revocations.is_revoked("fam-a")
    assert storage.units == reads + 1


def test_a_zero_bound_reads_on_every_check(storage: CountingStorage, clock: FixedClock) -> None:
    revocations = StoredSessionRevocations(
        storage, clock, window=WINDOW, refresh_every=timedelta(0)
    )
    assert not revocations.is_revoked("fam-a")
    revoke(storage, "fam-a", clock)
    assert revocations.is_revoked("fam-a")  # no time passed


def test_a_noted_revocation_is_refused_at_once(storage: CountingStorage, clock: FixedClock) -> None:
    revocations = StoredSessionRevocations(storage, clock, window=WINDOW)
    assert not revocations.is_revoked("fam-a")
    revocations.note_revoked(["fam-a"])  # what this process committed
    assert revocations.is_revoked("fam-a")
    clock.advance(timedelta(seconds=5))
    assert revocations.is_revoked("fam-a")  # the reload (storage never saw it) keeps it


def test_revocations_are_forgotten_once_their_tokens_have_expired(
    storage: CountingStorage, clock: FixedClock
) -> None:
    revocations = StoredSessionRevocations(storage, clock, window=WINDOW)
    revoke(storage, "fam-stored", clock)
    revocations.note_revoked(["fam-noted"])
    assert revocations.is_revoked("fam-stored")
    clock.advance(WINDOW + CLOCK_MARGIN - timedelta(seconds=1))
    assert revocations.is_revoked("fam-stored")
    assert revocations.is_revoked("fam-noted")
    clock.advance(timedelta(seconds=1))
    assert not revocations.is_revoked("fam-stored")  # no access token of it is left
    assert not revocations.is_revoked("fam-noted")


def test_a_note_made_while_another_thread_reloads_is_kept(clock: FixedClock) -> None:
    """The reload replaces the copy with storage's answer and what is already in it: a
    revocation noted while it read (committed after its snapshot) must survive."""
    reading, noted = threading.Event(), threading.Event()

    class SlowStorage(InMemoryStorage):
        def unit_of_work(self, read_only: bool = False) -> Any:
            if read_only:
                reading.set()
                noted.wait(0.5)  # the note below waits for this reload: it times out
            return super().unit_of_work(read_only)

    revocations = StoredSessionRevocations(SlowStorage(), clock, window=WINDOW)
    reloader = threading.Thread(target=revocations.is_revoked, args=("fam-x",))
    reloader.start()
    assert reading.wait(2)
    revocations.note_revoked(["fam-a"])  # blocks until the reload is done, then adds
    noted.set()
    reloader.join(2)
    assert revocations.is_revoked("fam-a")


def test_bad_bounds_are_refused(storage: CountingStorage, clock: FixedClock) -> None:
    with pytest.raises(ValueError, match="window"):
        StoredSessionRevocations(storage, clock, window=timedelta(0))
    with pytest.raises(ValueError, match="refresh_every"):
        StoredSessionRevocations(storage, clock, window=WINDOW, refresh_every=timedelta(-1))
