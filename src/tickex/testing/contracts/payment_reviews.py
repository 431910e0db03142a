"""The storage contract for payment reviews: payments taken but not fulfilled, kept for an
admin (one per provider event), resolved once under optimistic concurrency and listed by
status, newest first, a page at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tickex.domain.errors import ConcurrencyConflict, Conflict
from tickex.domain.payment_review import PaymentReviewStatus
from tickex.ports.unit_of_work import Storage, UnitOfWork
from tickex.testing import builders as b
from tickex.testing.contracts.support import StorageFixture, in_uow, stored, two_copies, unique


class PaymentReviewStorageContract(StorageFixture):
    """``uow.payment_reviews``."""

    def test_a_payment_review_round_trips_with_and_without_its_optional_fields(
        self, storage: Storage
    ) -> None:
        full = b.payment_review(problem="paid in USD, the order is in EUR — ¡revisar!")
        bare = b.payment_review(order_id=None, payment_reference=None, amount_paid=None)
        in_uow(storage, lambda uow: [uow.payment_reviews.add(r) for r in (full, bare)])
        assert in_uow(storage, lambda uow: uow.payment_reviews.get(full.id)) == full
        assert in_uow(storage, lambda uow: uow.payment_reviews.get(bare.id)) == bare
        assert in_uow(storage, lambda uow: uow.payment_reviews.get("missing")) is None

    def test_a_resolved_review_keeps_who_when_and_why(self, storage: Storage) -> None:
        review = b.payment_review()
        in_uow(storage, lambda uow: uow.payment_reviews.add(review))
        review.resolve(b.T0 + timedelta(hours=2, microseconds=7), "admin-1", "Refunded at Stripe.")
        in_uow(storage, lambda uow: uow.payment_reviews.save(review))
        loaded = stored(storage, lambda uow: uow.payment_reviews.get(review.id))
        assert loaded == review
        assert loaded.status is PaymentReviewStatus.RESOLVED
        assert (loaded.resolved_by, loaded.resolution_note) == ("admin-1", "Refunded at Stripe.")
        assert loaded.resolved_at == b.T0 + timedelta(hours=2, microseconds=7)
        assert loaded.version == 1

    def test_payment_review_saves_are_versioned(self, storage: Storage) -> None:
        review = b.payment_review()
        first, stale = two_copies(
            storage,
            lambda uow: uow.payment_reviews.add(review),
            lambda uow: uow.payment_reviews.get(review.id),
        )
        first.resolve(b.T0, "admin-1", "Refunded.")
        in_uow(storage, lambda uow: uow.payment_reviews.save(first))
        stale.resolve(b.T0, "admin-2", "Called the buyer.")
        with pytest.raises(ConcurrencyConflict):
            in_uow(storage, lambda uow: uow.payment_reviews.save(stale))
        with pytest.raises(ConcurrencyConflict):
            in_uow(storage, lambda uow: uow.payment_reviews.save(b.payment_review()))
        loaded = stored(storage, lambda uow: uow.payment_reviews.get(review.id))
        assert (loaded.resolved_by, loaded.version) == ("admin-1", 1)

    def test_a_provider_event_has_one_review(self, storage: Storage) -> None:
        unique(storage, lambda uow: uow.payment_reviews.add(
            b.payment_review(provider="stripe", event_id="evt_same")))  # fmt: skip
        review = b.payment_review()
        in_uow(storage, lambda uow: uow.payment_reviews.add(review))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.payment_reviews.add(b.payment_review(id=review.id)))
        other = b.payment_review(provider="local", event_id="evt_same")  # another provider's
        in_uow(storage, lambda uow: uow.payment_reviews.add(other))
        assert in_uow(storage, lambda uow: uow.payment_reviews.get(other.id)) == other

    def test_reviews_are_listed_by_status_newest_first_with_limit_and_offset(
        self, storage: Storage
    ) -> None:
        at = b.T0 + timedelta(microseconds=123_400)  # two reviews within one millisecond
        times = [at + timedelta(minutes=3), at, at + timedelta(microseconds=1),
                 at + timedelta(minutes=1)]  # fmt: skip
        open_ = [b.payment_review(flagged_at=t) for t in times]
        tied = [b.payment_review(id=f"prev-tie-{n}", flagged_at=at + timedelta(minutes=1))
                for n in (1, 2)]  # fmt: skip
        settled = b.payment_review(flagged_at=at + timedelta(hours=1))
        settled.resolve(at + timedelta(hours=2), "admin-1", "Refunded.")
        in_uow(storage, lambda uow: [uow.payment_reviews.add(r)
                                     for r in (*open_, *tied, settled)])  # fmt: skip

        def page(status: PaymentReviewStatus, limit: int, offset: int) -> list[str]:
            found = in_uow(storage, lambda uow: uow.payment_reviews.list_by_status(
                status, limit, offset))  # fmt: skip
            return [r.id for r in found]

        newest_first = [open_[0].id, tied[1].id, tied[0].id, open_[3].id, open_[2].id,
                        open_[1].id]  # fmt: skip
        assert page(PaymentReviewStatus.OPEN, 10, 0) == newest_first
        assert page(PaymentReviewStatus.OPEN, 2, 0) == newest_first[:2]
        assert page(PaymentReviewStatus.OPEN, 2, 4) == newest_first[4:]
        assert page(PaymentReviewStatus.OPEN, 5, 6) == []
        assert page(PaymentReviewStatus.RESOLVED, 10, 0) == [settled.id]

    def test_a_review_and_its_processed_event_go_in_together_or_not_at_all(
        self, storage: Storage
    ) -> None:
        review = b.payment_review(event_id="evt_flagged")

        def flag(uow: UnitOfWork) -> bool:
            if not uow.processed_events.record(review.provider, review.event_id, b.T0):
                return False
            uow.payment_reviews.add(review)
            return True

        assert in_uow(storage, flag, commit=False)  # rolled back: neither is kept
        assert in_uow(storage, lambda uow: uow.payment_reviews.get(review.id)) is None
        assert in_uow(storage, flag)
        assert not in_uow(storage, flag)  # the event again: no second review
        assert in_uow(storage, lambda uow: uow.payment_reviews.get(review.id)) == review
