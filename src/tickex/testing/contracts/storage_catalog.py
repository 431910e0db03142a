"""The storage contract, first half: the unit of work and the catalogue (organizers,
events, ticket types, quotas, promo codes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tickex.domain.errors import ConcurrencyConflict, Conflict, DomainError
from tickex.domain.event import EventSettings, FeePolicy, GeoPoint, RefundPolicy, TaxMode, Venue
from tickex.domain.money import Money
from tickex.domain.order import OrderStatus
from tickex.ports.unit_of_work import ReadOnlyUnitOfWork, Storage, UnitOfWork
from tickex.testing import builders as b
from tickex.testing.contracts.support import StorageFixture, in_uow, stored, two_copies, unique


class CatalogStorageContract(StorageFixture):
    """The unit of work and the catalogue's repositories."""

    # -- unit of work ---------------------------------------------------------------------
    def test_uncommitted_work_is_rolled_back(self, storage: Storage) -> None:
        org = b.organizer()
        in_uow(storage, lambda uow: uow.organizers.add(org), commit=False)
        assert in_uow(storage, lambda uow: uow.organizers.get(org.id)) is None

    def test_committed_work_is_kept(self, storage: Storage) -> None:
        org = b.organizer()
        in_uow(storage, lambda uow: uow.organizers.add(org))
        assert in_uow(storage, lambda uow: uow.organizers.get(org.id)) == org

    def test_an_exception_rolls_everything_back(self, storage: Storage) -> None:
        org, q = b.organizer(), b.quota(size=5)
        in_uow(storage, lambda uow: uow.quotas.add(q))
        with pytest.raises(RuntimeError), storage.unit_of_work() as uow:
            uow.organizers.add(org)
            assert uow.quotas.reserve(q.id, 3)
            raise RuntimeError("boom")
        assert in_uow(storage, lambda uow: uow.organizers.get(org.id)) is None
        assert stored(storage, lambda uow: uow.quotas.get(q.id)).held == 0

    def test_a_read_only_unit_reads_committed_work_and_refuses_writes(
        self, storage: Storage
    ) -> None:
        org = b.organizer()
        in_uow(storage, lambda uow: uow.organizers.add(org))
        with storage.unit_of_work(read_only=True) as uow:
            assert uow.organizers.get(org.id) == org
            with pytest.raises(ReadOnlyUnitOfWork):
                uow.organizers.add(b.organizer())
        assert in_uow(storage, lambda uow: uow.organizers.get(org.id)) == org

    def test_work_is_visible_inside_its_own_unit_before_commit(self, storage: Storage) -> None:
        org = b.organizer()

        def work(uow: UnitOfWork) -> Any:
            uow.organizers.add(org)
            return uow.organizers.get(org.id)

        assert in_uow(storage, work, commit=False) == org

    def test_returned_objects_are_copies(self, storage: Storage) -> None:
        evt = b.event()
        in_uow(storage, lambda uow: uow.events.add(evt))

        def mutate(uow: UnitOfWork) -> None:
            loaded = uow.events.get(evt.id)
            assert loaded is not None
            loaded.title = "changed without save"

        in_uow(storage, mutate)
        assert stored(storage, lambda uow: uow.events.get(evt.id)).title == "Show"

    def test_saving_a_stale_copy_is_a_concurrency_conflict(self, storage: Storage) -> None:
        evt = b.event()
        first, second = two_copies(
            storage, lambda uow: uow.events.add(evt), lambda uow: uow.events.get(evt.id)
        )
        first.title = "first"
        in_uow(storage, lambda uow: uow.events.save(first))
        second.title = "second"
        with pytest.raises(ConcurrencyConflict):
            in_uow(storage, lambda uow: uow.events.save(second))
        assert stored(storage, lambda uow: uow.events.get(evt.id)).title == "first"

    def test_save_bumps_the_version(self, storage: Storage) -> None:
        o = b.order()
        in_uow(storage, lambda uow: uow.orders.add(o))
        loaded = stored(storage, lambda uow: uow.orders.get(o.id))
        loaded.status = OrderStatus.CANCELLED
        in_uow(storage, lambda uow: uow.orders.save(loaded))
        again = stored(storage, lambda uow: uow.orders.get(o.id))
        assert again.version == o.version + 1
        assert again.status is OrderStatus.CANCELLED

    # -- organizers and events ------------------------------------------------------------
    def test_organizer_round_trip(self, storage: Storage) -> None:
        org = b.organizer(payment_account_id="acct_1")
        in_uow(storage, lambda uow: uow.organizers.add(org))
        loaded = in_uow(storage, lambda uow: uow.organizers.get(org.id))
        assert loaded == org
        assert loaded is not None
        loaded.name = "Renamed"
        in_uow(storage, lambda uow: uow.organizers.save(loaded))
        assert stored(storage, lambda uow: uow.organizers.get(org.id)).name == "Renamed"

    def test_an_organizer_is_found_by_its_payment_account_with_its_state(
        self, storage: Storage
    ) -> None:
        org, other = b.organizer(payment_account_id="acct_1"), b.organizer()
        in_uow(storage, lambda uow: (uow.organizers.add(org), uow.organizers.add(other)))
        assert in_uow(storage, lambda uow: uow.organizers.get_by_payment_account("acct_9")) is None
        loaded = stored(storage, lambda uow: uow.organizers.get_by_payment_account("acct_1"))
        assert loaded == org
        assert loaded.update_payment_account(
            "acct_1", charges_enabled=True, payouts_enabled=True,
            requirements_due=("external_account", "tos_acceptance.date"),
            disabled_reason="requirements.past_due", as_of=b.T0 + timedelta(microseconds=7),
        )  # fmt: skip
        in_uow(storage, lambda uow: uow.organizers.save(loaded))
        again = stored(storage, lambda uow: uow.organizers.get(org.id))
        assert again == loaded  # saving counted its version up

    def test_event_round_trip_keeps_every_field(self, storage: Storage) -> None:
        evt = b.event(
            venue=Venue("Hall", "1 Quay", "Lisbon", "PT", GeoPoint(38.7, -9.1)),
            settings=EventSettings(
                currency="JPY", tax_rate_bp=1000, tax_mode=TaxMode.EXCLUSIVE,
                fee_policy=FeePolicy.ABSORB, hold_minutes=7, max_tickets_per_order=4,
                refund_policy=RefundPolicy(False, 48, False),
            ),
            description="Long text ✓", media=("a.jpg", "b.jpg"), capacity_quota_id="q-9",
        )  # fmt: skip
        in_uow(storage, lambda uow: uow.events.add(evt))
        assert in_uow(storage, lambda uow: uow.events.get(evt.id)) == evt
        assert in_uow(storage, lambda uow: uow.events.get_by_slug(evt.slug)) == evt
        assert in_uow(storage, lambda uow: uow.events.get_by_slug("missing")) is None

    def test_event_slug_is_unique(self, storage: Storage) -> None:
        unique(storage, lambda uow: uow.events.add(b.event(slug="same-slug")))

    def test_events_listed_by_organizer_in_start_order(self, storage: Storage) -> None:
        late = b.event(organizer_id="org-a", starts_at=b.T0 + timedelta(days=20),
                       ends_at=b.T0 + timedelta(days=21))  # fmt: skip
        early = b.event(organizer_id="org-a")
        other = b.event(organizer_id="org-b")
        in_uow(storage, lambda uow: [uow.events.add(e) for e in (late, early, other)])
        listed = in_uow(storage, lambda uow: uow.events.list_by_organizer("org-a"))
        assert [e.id for e in listed] == [early.id, late.id]

    def test_the_catalogue_lists_published_events_that_have_not_ended(
        self, storage: Storage
    ) -> None:
        from tickex.domain.event import EventStatus

        def at(days: int, **kw: Any) -> Any:
            start = b.T0 + timedelta(days=days)
            return b.event(starts_at=start, ends_at=start + timedelta(hours=2), **kw)

        soon = at(1, status=EventStatus.PUBLISHED, id="evt-b")
        same_start = at(1, status=EventStatus.PUBLISHED, id="evt-a")
        later = at(5, status=EventStatus.PUBLISHED)
        draft = at(2)
        cancelled = at(3, status=EventStatus.CANCELLED)
        ended = at(-1, status=EventStatus.PUBLISHED)
        running = b.event(status=EventStatus.PUBLISHED, starts_at=b.T0 - timedelta(hours=1),
                          ends_at=b.T0 + timedelta(microseconds=1))  # fmt: skip
        everything = (soon, same_start, later, draft, cancelled, ended, running)
        in_uow(storage, lambda uow: [uow.events.add(e) for e in everything])

        def page(limit: int, offset: int) -> list[str]:
            found = in_uow(storage, lambda uow: uow.events.list_published(b.T0, limit, offset))
            return [e.id for e in found]

        assert page(10, 0) == [running.id, same_start.id, soon.id, later.id]
        assert page(2, 1) == [same_start.id, soon.id]
        assert page(10, 4) == []
        assert in_uow(storage, lambda uow: uow.events.list_published(b.T0, 1, 0)) == [running]

    # -- ticket types and quotas ----------------------------------------------------------
    def test_ticket_types_round_trip_and_order(self, storage: Storage) -> None:
        second = b.ticket_type(event_id="e1", position=2, shared_quota_ids=("qa", "qb"),
                               sales_start=b.T0, sales_end=b.T0 + timedelta(days=1),
                               max_per_customer=4, hidden=True)  # fmt: skip
        first = b.ticket_type(event_id="e1", position=1)
        in_uow(storage, lambda uow: [uow.ticket_types.add(t) for t in (second, first)])
        listed = in_uow(storage, lambda uow: uow.ticket_types.list_by_event("e1"))
        assert listed == [first, second]
        first.name = "Renamed"
        in_uow(storage, lambda uow: uow.ticket_types.save(first))
        loaded = stored(storage, lambda uow: uow.ticket_types.get(first.id))
        assert loaded.name == "Renamed"

    def test_reserve_takes_capacity_up_to_the_size_and_not_beyond(self, storage: Storage) -> None:
        q = b.quota(size=5)
        in_uow(storage, lambda uow: uow.quotas.add(q))
        assert in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 3))
        assert not in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 3))
        assert in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 2))
        assert not in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 1))
        loaded = stored(storage, lambda uow: uow.quotas.get(q.id))
        assert (loaded.sold, loaded.held, loaded.size) == (0, 5, 5)

    def test_sell_convert_release_and_unsell_move_the_counters(self, storage: Storage) -> None:
        q = b.quota(size=10)
        in_uow(storage, lambda uow: uow.quotas.add(q))
        in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 4))
        in_uow(storage, lambda uow: uow.quotas.convert(q.id, 3))
        in_uow(storage, lambda uow: uow.quotas.release(q.id, 1))
        assert in_uow(storage, lambda uow: uow.quotas.sell(q.id, 5))
        in_uow(storage, lambda uow: uow.quotas.unsell(q.id, 2))
        assert not in_uow(storage, lambda uow: uow.quotas.sell(q.id, 5))
        loaded = stored(storage, lambda uow: uow.quotas.get(q.id))
        assert (loaded.sold, loaded.held) == (6, 0)

    def test_counters_never_go_below_zero(self, storage: Storage) -> None:
        q = b.quota(size=3)
        in_uow(storage, lambda uow: uow.quotas.add(q))
        with pytest.raises((DomainError, ValueError)):
            in_uow(storage, lambda uow: uow.quotas.release(q.id, 1))
        with pytest.raises((DomainError, ValueError)):
            in_uow(storage, lambda uow: uow.quotas.unsell(q.id, 1))
        loaded = stored(storage, lambda uow: uow.quotas.get(q.id))
        assert (loaded.sold, loaded.held) == (0, 0)

    def test_resize_is_refused_below_sold_plus_held(self, storage: Storage) -> None:
        q = b.quota(size=10)
        in_uow(storage, lambda uow: uow.quotas.add(q))
        in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 4))
        in_uow(storage, lambda uow: uow.quotas.sell(q.id, 2))
        assert not in_uow(storage, lambda uow: uow.quotas.resize(q.id, 5))
        assert in_uow(storage, lambda uow: uow.quotas.resize(q.id, 6))
        assert stored(storage, lambda uow: uow.quotas.get(q.id)).size == 6
        in_uow(storage, lambda uow: uow.quotas.rename(q.id, "Balcony"))
        assert stored(storage, lambda uow: uow.quotas.get(q.id)).name == "Balcony"

    def test_quotas_listed_by_event_sorted_by_id(self, storage: Storage) -> None:
        qs = [b.quota(event_id="e7", id=i) for i in ("q-c", "q-a", "q-b")]
        in_uow(storage, lambda uow: [uow.quotas.add(q) for q in qs])
        listed = in_uow(storage, lambda uow: uow.quotas.list_by_event("e7"))
        assert [q.id for q in listed] == ["q-a", "q-b", "q-c"]

    def test_rolled_back_reservation_leaves_no_trace(self, storage: Storage) -> None:
        q = b.quota(size=2)
        in_uow(storage, lambda uow: uow.quotas.add(q))
        assert in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 2), commit=False)
        assert in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 2))

    # -- promo codes ----------------------------------------------------------------------
    def test_promo_code_uses_stop_at_the_cap(self, storage: Storage) -> None:
        p = b.promo_code(max_uses=2)
        in_uow(storage, lambda uow: uow.promo_codes.add(p))
        assert in_uow(storage, lambda uow: uow.promo_codes.try_use(p.id))
        assert in_uow(storage, lambda uow: uow.promo_codes.try_use(p.id))
        assert not in_uow(storage, lambda uow: uow.promo_codes.try_use(p.id))
        in_uow(storage, lambda uow: uow.promo_codes.release_use(p.id))
        assert in_uow(storage, lambda uow: uow.promo_codes.try_use(p.id))
        assert stored(storage, lambda uow: uow.promo_codes.get(p.id)).uses == 2

    def test_promo_code_without_cap_is_unlimited(self, storage: Storage) -> None:
        p = b.promo_code(max_uses=None)
        in_uow(storage, lambda uow: uow.promo_codes.add(p))
        assert all(in_uow(storage, lambda uow: uow.promo_codes.try_use(p.id)) for _ in range(5))

    def test_promo_code_lookup_is_case_insensitive_and_unique_per_event(
        self, storage: Storage
    ) -> None:
        p = b.promo_code(event_id="e1", code="Summer-24", fixed=Money(500, "EUR"),
                         kind="fixed", percent_bp=0, ticket_type_ids=("t1", "t2"),
                         valid_from=b.T0, valid_until=b.T0 + timedelta(days=3),
                         unlocks_hidden=True)  # fmt: skip
        in_uow(storage, lambda uow: uow.promo_codes.add(p))
        assert in_uow(storage, lambda uow: uow.promo_codes.get_by_code("e1", "summer-24")) == p
        assert in_uow(storage, lambda uow: uow.promo_codes.get_by_code("e2", "SUMMER-24")) is None
        twin, elsewhere = (
            b.promo_code(event_id="e1", code="SUMMER-24"),
            b.promo_code(event_id="e2", code="SUMMER-24"),
        )
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.promo_codes.add(twin))
        in_uow(storage, lambda uow: uow.promo_codes.add(elsewhere))
        assert len(in_uow(storage, lambda uow: uow.promo_codes.list_by_event("e1"))) == 1
