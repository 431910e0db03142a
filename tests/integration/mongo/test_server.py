"""Against a real wire server (``TICKEX_TEST_MONGODB_URI``): what mongomock cannot show.
Skipped, with the reason printed, when no server is configured (failed in CI); the tests of
transactions (``transactional_storage``) skip on a standalone server."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.integration.mongo.conftest import open_server_storage
from tests.integration.sql.test_last_admin import admins_disabling_each_other
from tickex.adapters.mongo import MongoStorage
from tickex.application.sales.inventory import reserve
from tickex.domain.errors import ConcurrencyConflict, Conflict, SoldOut
from tickex.domain.hold import HoldItem
from tickex.testing import builders as b
from tickex.testing.contracts import in_uow


@pytest.fixture
def compensating(server_url: str) -> Iterator[MongoStorage]:
    """The standalone mode, forced on the real server: its guards must be exact under
    real concurrency too, without any transaction."""
    s = open_server_storage(server_url, mode="compensating")
    yield s
    s.client.drop_database(s.database.name)
    s.close()


def test_the_server_runs_transactions(transactional_storage: MongoStorage) -> None:
    assert transactional_storage.transactional


def test_uncommitted_writes_are_invisible_to_other_units(
    transactional_storage: MongoStorage,
) -> None:
    hold, order = b.hold(), b.order()
    with transactional_storage.unit_of_work() as uow:
        uow.holds.add(hold)
        uow.orders.add(order)
        assert in_uow(transactional_storage, lambda other: other.holds.get(hold.id)) is None
        assert in_uow(transactional_storage, lambda other: other.orders.get(order.id)) is None
    assert in_uow(transactional_storage, lambda uow: uow.holds.get(hold.id)) is None


def _held(storage: MongoStorage, quota_id: str) -> int:
    quota = in_uow(storage, lambda uow: uow.quotas.get(quota_id))
    assert quota is not None
    return quota.held


def test_a_reservation_is_outside_the_transaction_and_given_back_on_rollback(
    server_storage: MongoStorage,
) -> None:
    """ADR 0018: counters are outside any transaction (in both modes), so other units see
    a seat taken at once (never more available than there is) and back when the unit
    fails."""
    q = b.quota(size=5)
    in_uow(server_storage, lambda uow: uow.quotas.add(q))
    with server_storage.unit_of_work() as uow:
        uow.holds.add(b.hold())
        assert uow.quotas.reserve(q.id, 3)
        assert _held(server_storage, q.id) == 3
    assert _held(server_storage, q.id) == 0


def test_a_release_is_applied_when_its_unit_commits(server_storage: MongoStorage) -> None:
    q = b.quota(size=5, held=2)
    in_uow(server_storage, lambda uow: uow.quotas.add(q))
    for commit in (False, True):
        with server_storage.unit_of_work() as uow:
            uow.quotas.release(q.id, 2)
            assert uow.quotas.get(q.id).held == 0  # type: ignore[union-attr]  # its own view
            assert _held(server_storage, q.id) == 2  # the others' until it commits
            if commit:
                uow.commit()
        assert _held(server_storage, q.id) == (0 if commit else 2)


def test_a_failing_second_guard_rolls_the_first_back(server_storage: MongoStorage) -> None:
    qa, qb = b.quota(id="q-a", size=5), b.quota(id="q-b", size=0)
    in_uow(server_storage, lambda uow: [uow.quotas.add(q) for q in (qa, qb)])
    with pytest.raises(SoldOut), server_storage.unit_of_work() as uow:
        reserve(uow, [HoldItem("q-a", 2), HoldItem("q-b", 1)], None)
    assert in_uow(server_storage, lambda uow: uow.quotas.get("q-a")) == qa


def _race(storage: MongoStorage, seats: int, buyers: int) -> tuple[int, int]:
    """``buyers`` threads each try once, retrying the unit on a conflict as
    ``Services.transaction`` does; returns (winners, held)."""
    q = b.quota(size=seats)
    in_uow(storage, lambda uow: uow.quotas.add(q))
    winners: list[int] = []
    lock, start = threading.Lock(), threading.Barrier(buyers)

    def buyer(n: int) -> None:
        start.wait()
        for _ in range(20):
            try:
                with storage.unit_of_work() as uow:
                    if uow.quotas.reserve(q.id, 1):
                        uow.commit()
                        with lock:
                            winners.append(n)
                return
            except ConcurrencyConflict:
                continue

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    loaded = in_uow(storage, lambda uow: uow.quotas.get(q.id))
    assert loaded is not None
    return len(winners), loaded.held


def test_racing_buyers_in_transactions_get_exactly_the_seats(server_storage: MongoStorage) -> None:
    assert _race(server_storage, seats=15, buyers=32) == (15, 15)


def test_racing_buyers_without_transactions_get_exactly_the_seats(
    compensating: MongoStorage,
) -> None:
    assert _race(compensating, seats=15, buyers=32) == (15, 15)


def _refresh_race(storage: MongoStorage, racers: int) -> list[bool]:
    """``racers`` threads rotate one refresh session at once, retrying the unit on a
    conflict; returns who rotated."""
    session = b.refresh_session()
    in_uow(storage, lambda uow: uow.sessions.add(session))
    wins: list[bool] = []
    lock, start = threading.Lock(), threading.Barrier(racers)

    def refresh() -> None:
        start.wait()
        for _ in range(20):
            try:
                won = in_uow(storage, lambda uow: uow.sessions.rotate(session.id, b.T0))
            except ConcurrencyConflict:
                continue
            with lock:
                wins.append(won)
            return

    threads = [threading.Thread(target=refresh) for _ in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(wins)


def test_racing_refreshes_without_transactions_let_exactly_one_rotate(
    compensating: MongoStorage,
) -> None:
    assert _refresh_race(compensating, 16) == [False] * 15 + [True]


def test_a_rolled_back_revocation_is_never_seen(transactional_storage: MongoStorage) -> None:
    sessions = [b.refresh_session(user_id="u1", family_id=f"f{i}") for i in range(3)]
    in_uow(transactional_storage, lambda uow: [uow.sessions.add(s) for s in sessions])
    with transactional_storage.unit_of_work() as uow:
        assert uow.sessions.revoke_user("u1", b.T0) == 3
        outside = in_uow(
            transactional_storage,
            lambda other: other.sessions.get_by_token_hash(sessions[0].token_hash),
        )
        assert outside == sessions[0]
    for s in sessions:
        digest = s.token_hash
        assert in_uow(transactional_storage, lambda u: u.sessions.get_by_token_hash(digest)) == s  # noqa: B023


def test_the_server_names_the_unique_field_a_new_user_collides_on(
    server_storage: MongoStorage,
) -> None:
    in_uow(server_storage, lambda uow: uow.users.add(b.user(email="a@example.com",
                                                             google_subject="g-1")))  # fmt: skip
    with pytest.raises(Conflict) as subject:
        in_uow(server_storage, lambda uow: uow.users.add(b.user(google_subject="g-1")))
    with pytest.raises(Conflict) as email:
        in_uow(server_storage, lambda uow: uow.users.add(b.user(email="A@example.com")))
    assert [subject.value.context["field"], email.value.context["field"]] == [
        "google_subject", "email"
    ]  # fmt: skip


def test_two_admins_disabling_each_other_at_once_leave_one(server_storage: MongoStorage) -> None:
    """In the server's own mode: transactions on a replica set, compensating standalone."""
    admins_disabling_each_other(server_storage)


def test_two_admins_disabling_each_other_without_transactions_leave_one(
    compensating: MongoStorage,
) -> None:
    admins_disabling_each_other(compensating)
