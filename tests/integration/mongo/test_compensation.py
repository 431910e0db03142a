"""The compensating mode (standalone servers; mongomock here): a unit that does not
commit leaves the database exactly as it found it, and an inverse never breaks the
inventory rule even when another unit moved in between."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tickex.adapters.mongo import MongoStorage, MongoUnitOfWork
from tickex.adapters.mongo.indexes import Collections
from tickex.application.sales.inventory import reacquire, reserve
from tickex.domain.errors import PromoCodeExhausted, SoldOut, ValidationFailed
from tickex.domain.hold import HoldItem, HoldStatus
from tickex.domain.outbox import OutboxStatus
from tickex.testing import builders as b
from tickex.testing.contracts import in_uow

USER_COLLECTIONS = [c for c in Collections.ALL if c != Collections.COUNTERS]


def snapshot(storage: MongoStorage) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection but the ledger counter (which never goes back:
    a rolled-back append leaves a gap in the sequence, by design)."""
    db = storage.database
    return {name: list(db[name].find({}, sort=[("_id", 1)])) for name in USER_COLLECTIONS}


def twin(storage: MongoStorage) -> MongoStorage:
    """A second storage on the same database that does not share the first one's lock:
    a stand-in for another process writing while a unit is open."""
    return MongoStorage(storage.client, storage.database.name, mode="compensating")


def fail_after(storage: MongoStorage, body: Callable[[MongoUnitOfWork], object]) -> MongoUnitOfWork:
    """Run ``body`` in a unit of work that then raises; return the unit for inspection."""
    uow = storage.unit_of_work()

    def run() -> None:
        with uow:
            body(uow)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run()
    return uow


def test_a_failing_second_guard_leaves_the_first_quota_exactly_as_before(
    storage: MongoStorage,
) -> None:
    first, second = b.quota(id="q-a", size=5, sold=1, held=1), b.quota(id="q-b", size=3, held=3)
    in_uow(storage, lambda uow: [uow.quotas.add(q) for q in (first, second)])
    before = snapshot(storage)
    with pytest.raises(SoldOut), storage.unit_of_work() as uow:
        reserve(uow, [HoldItem("q-a", 2), HoldItem("q-b", 1)], None)
    assert snapshot(storage) == before
    assert in_uow(storage, lambda uow: uow.quotas.get("q-a")) == first


def test_an_exhausted_promo_code_gives_back_every_quota_it_followed(
    storage: MongoStorage,
) -> None:
    quotas = [b.quota(id=f"q-{i}", size=4) for i in range(3)]
    promo = b.promo_code(max_uses=1, uses=1)
    in_uow(storage, lambda uow: [uow.quotas.add(q) for q in quotas])
    in_uow(storage, lambda uow: uow.promo_codes.add(promo))
    before = snapshot(storage)
    with pytest.raises(PromoCodeExhausted), storage.unit_of_work() as uow:
        reserve(uow, [HoldItem(q.id, 4) for q in quotas], promo.id)
    assert snapshot(storage) == before


def test_an_exception_mid_unit_undoes_every_kind_of_write(storage: MongoStorage) -> None:
    evt, order, tkt = b.event(), b.order(), b.ticket()
    q = b.quota(size=10, sold=2, held=3)
    promo, hold = b.promo_code(max_uses=5, uses=1), b.hold()
    msg = b.outbox_message()
    in_uow(storage, lambda uow: [uow.events.add(evt), uow.orders.add(order), uow.quotas.add(q)])
    in_uow(storage, lambda uow: [uow.promo_codes.add(promo), uow.holds.add(hold)])
    in_uow(storage, lambda uow: [uow.tickets.add(tkt), uow.outbox.add(msg)])
    in_uow(storage, lambda uow: uow.ledger.append(b.sale(order_id=order.id)))
    before = snapshot(storage)

    def body(uow: MongoUnitOfWork) -> None:
        # inserts
        uow.organizers.add(b.organizer())
        uow.events.add(b.event())
        uow.orders.add(b.order())
        uow.check_ins.add(b.check_in())
        uow.ledger.append(b.sale(order_id=order.id))
        uow.outbox.add(b.outbox_message())
        assert uow.processed_events.record("stripe", "evt_1", b.T0)
        # versioned saves
        loaded = uow.events.get(evt.id)
        assert loaded is not None
        loaded.title = "changed"
        uow.events.save(loaded)
        uow.events.save(loaded)  # twice: undone in reverse order
        paid = uow.orders.get(order.id)
        assert paid is not None
        paid.status_reason = "changed"
        uow.orders.save(paid)
        scanned = uow.tickets.get(tkt.id)
        assert scanned is not None
        scanned.check_in(b.T0, "staff")
        uow.tickets.save(scanned)
        # counters and conditional updates
        assert uow.quotas.reserve(q.id, 2)
        assert uow.quotas.sell(q.id, 1)
        uow.quotas.convert(q.id, 2)
        uow.quotas.release(q.id, 1)
        uow.quotas.unsell(q.id, 1)
        assert uow.quotas.resize(q.id, 20)
        uow.quotas.rename(q.id, "Balcony")
        assert uow.promo_codes.try_use(promo.id)
        uow.promo_codes.release_use(promo.id)
        assert uow.holds.end(hold.id, HoldStatus.CONVERTED)
        sent = uow.outbox.get(msg.id)
        assert sent is not None
        sent.succeeded()
        uow.outbox.save(sent)
        uow.outbox.save(b.outbox_message())  # save of a new message: an upsert
        assert uow.work.journal_size > 20

    uow = fail_after(storage, body)
    assert snapshot(storage) == before
    assert uow.work.unrestored == []
    assert in_uow(storage, lambda uow: uow.outbox.get(msg.id)).status is OutboxStatus.PENDING  # type: ignore[union-attr]


def test_a_unit_left_without_commit_is_undone_too(storage: MongoStorage) -> None:
    q = b.quota(size=3)
    in_uow(storage, lambda uow: uow.quotas.add(q))
    before = snapshot(storage)
    with storage.unit_of_work() as uow:
        assert uow.quotas.reserve(q.id, 3)
        uow.orders.add(b.order())
    assert snapshot(storage) == before


def test_a_committed_unit_is_kept_and_its_journal_forgotten(storage: MongoStorage) -> None:
    q = b.quota(size=3)
    in_uow(storage, lambda uow: uow.quotas.add(q))
    with storage.unit_of_work() as uow:
        assert uow.quotas.reserve(q.id, 2)
        uow.commit()
        assert uow.work.journal_size == 0
        uow.rollback()  # harmless after a commit
    assert in_uow(storage, lambda uow: uow.quotas.get(q.id)).held == 2  # type: ignore[union-attr]


def test_a_release_frees_capacity_only_at_commit_but_the_unit_sees_it_at_once(
    storage: MongoStorage,
) -> None:
    q = b.quota(size=2, held=2)
    promo = b.promo_code(max_uses=1, uses=1)
    in_uow(storage, lambda uow: [uow.quotas.add(q), uow.promo_codes.add(promo)])
    other = twin(storage)
    with storage.unit_of_work() as uow:
        uow.quotas.release(q.id, 1)
        uow.promo_codes.release_use(promo.id)
        assert uow.quotas.get(q.id).held == 1  # type: ignore[union-attr]
        assert uow.promo_codes.get(promo.id).uses == 0  # type: ignore[union-attr]
        with pytest.raises(ValidationFailed):
            uow.quotas.release(q.id, 2)  # only one left to release, counting the pending one
        with pytest.raises(ValidationFailed):
            uow.promo_codes.release_use(promo.id)
        # nobody else can take the seat before the release is committed
        assert not in_uow(other, lambda o: o.quotas.reserve(q.id, 1))
        assert not in_uow(other, lambda o: o.promo_codes.try_use(promo.id))
        uow.commit()
    assert in_uow(other, lambda o: o.quotas.reserve(q.id, 1))
    assert in_uow(other, lambda o: o.promo_codes.try_use(promo.id))


def test_a_rolled_back_release_needs_no_undo_even_when_others_are_buying(
    storage: MongoStorage,
) -> None:
    q = b.quota(size=2, held=2)
    in_uow(storage, lambda uow: uow.quotas.add(q))
    other = twin(storage)

    def body(uow: MongoUnitOfWork) -> None:
        uow.quotas.release(q.id, 1)
        assert not in_uow(other, lambda o: o.quotas.reserve(q.id, 1))

    uow = fail_after(storage, body)
    assert uow.work.unrestored == []
    assert in_uow(storage, lambda u: u.quotas.get(q.id)) == q


def test_a_free_that_became_invalid_fails_the_commit_and_undoes_the_unit(
    storage: MongoStorage,
) -> None:
    q = b.quota(size=2, held=1)
    in_uow(storage, lambda uow: uow.quotas.add(q))
    before = snapshot(storage)
    other = twin(storage)

    def work(uow: Any) -> None:
        uow.orders.add(b.order())
        uow.quotas.release(q.id, 1)
        in_uow(other, lambda o: o.quotas.release(q.id, 1))  # the same seat, released twice

    with pytest.raises(ValidationFailed, match="negative"):
        in_uow(storage, work)  # the commit applies the release, which no longer fits
    after = snapshot(storage)
    assert after["orders"] == before["orders"]
    assert in_uow(storage, lambda u: u.quotas.get(q.id)).held == 0  # type: ignore[union-attr]


def test_undoing_a_save_never_overwrites_a_later_save(storage: MongoStorage) -> None:
    evt = b.event()
    in_uow(storage, lambda uow: uow.events.add(evt))
    other = twin(storage)

    def body(uow: MongoUnitOfWork) -> None:
        mine = uow.events.get(evt.id)
        assert mine is not None
        mine.title = "mine"
        uow.events.save(mine)
        theirs = in_uow(other, lambda o: o.events.get(evt.id))  # sees the uncommitted save
        assert theirs is not None
        theirs.title = "theirs"
        in_uow(other, lambda o: o.events.save(theirs))

    uow = fail_after(storage, body)
    kept = in_uow(storage, lambda u: u.events.get(evt.id))
    assert kept is not None
    assert (kept.title, kept.version) == ("theirs", 2)
    assert uow.work.unrestored == [f"save of events {evt.id!r}"]


def test_a_rolled_back_append_leaves_a_gap_never_a_reused_sequence(
    storage: MongoStorage,
) -> None:
    first, dropped, last = (b.sale(amount=a) for a in (100, 200, 300))
    in_uow(storage, lambda uow: uow.ledger.append(first))
    in_uow(storage, lambda uow: uow.ledger.append(dropped), commit=False)
    in_uow(storage, lambda uow: uow.ledger.append(last))
    assert in_uow(storage, lambda uow: uow.ledger.list_all()) == [first, last]
    sequences = [d["sequence"] for d in storage.database.ledger.find({}, sort=[("sequence", 1)])]
    assert sequences == [1, 3]


def test_a_late_sale_that_cannot_be_covered_takes_nothing(storage: MongoStorage) -> None:
    a, c = b.quota(id="q-a", size=5), b.quota(id="q-c", size=1, sold=1)
    in_uow(storage, lambda uow: [uow.quotas.add(a), uow.quotas.add(c)])
    before = snapshot(storage)
    assert not in_uow(
        storage, lambda uow: reacquire(uow, [HoldItem("q-a", 2), HoldItem("q-c", 1)], None)
    )
    assert snapshot(storage) == before


def test_expired_holds_compare_to_the_microsecond(storage: MongoStorage) -> None:
    edge = b.T0 + timedelta(microseconds=500)
    early, late = b.hold(expires_at=b.T0 + timedelta(microseconds=400)), b.hold(expires_at=edge)
    in_uow(storage, lambda uow: [uow.holds.add(h) for h in (late, early)])
    before_edge = in_uow(
        storage, lambda uow: uow.holds.list_expired(edge - timedelta(microseconds=1), 10)
    )
    assert [h.id for h in before_edge] == [early.id]
    at_edge = in_uow(storage, lambda uow: uow.holds.list_expired(edge, 10))
    assert [h.id for h in at_edge] == [early.id, late.id]
