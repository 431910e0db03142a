"""Contract suites: the behaviour every adapter of a port must show.

Subclass a contract in your test suite and provide its fixture; pytest collects the
inherited tests (name your subclass ``Test...``)::

    from tickex.testing.contracts import StorageContract

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def storage(self):
            s = MyStorage("...")
            s.migrate()
            yield s
            s.close()

The in-memory adapters are the reference: they pass every contract here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar, TypeVar

import pytest

from tickex.domain.errors import ConcurrencyConflict, Conflict, DomainError
from tickex.domain.hold import HoldStatus
from tickex.domain.identity import Role, UserStatus
from tickex.domain.ledger import CLEARING, TransactionKind, organizer_payable
from tickex.domain.money import Money
from tickex.domain.order import OrderStatus
from tickex.domain.organizer_request import OrganizerRequestStatus
from tickex.domain.outbox import OutboxStatus
from tickex.domain.ticket import TicketStatus
from tickex.ports.clock import Clock
from tickex.ports.mail import EmailMessage, Mailer
from tickex.ports.payment import CheckoutRequest, PaymentGateway, RefundRequest
from tickex.ports.qr import BYTE_CAPACITY, QUIET_ZONE_MODULES, QrCodeRenderer, QrCodeTooLong
from tickex.ports.signer import TicketClaims, TicketSigner
from tickex.ports.unit_of_work import ReadOnlyUnitOfWork, Storage, UnitOfWork
from tickex.testing import builders as b
from tickex.testing.qr_reader import decode_qr, grey_pixels

T = TypeVar("T")


def in_uow(storage: Storage, work: Callable[[UnitOfWork], T], commit: bool = True) -> T:
    with storage.unit_of_work() as uow:
        result = work(uow)
        if commit:
            uow.commit()
        return result


class StorageContract:
    """Repositories and the unit of work. Provide a ``storage`` fixture: a fresh, migrated,
    empty :class:`Storage`."""

    #: Set to False (with a reason) for engines that cannot run units of work in parallel
    #: threads, such as a mock; the concurrency tests are then skipped with that reason.
    concurrency_skip_reason: ClassVar[str | None] = None

    @pytest.fixture
    def storage(self) -> Storage:
        raise NotImplementedError("provide a `storage` fixture")

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
        assert in_uow(storage, lambda uow: uow.quotas.get(q.id)).held == 0  # type: ignore[union-attr]

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
        assert in_uow(storage, lambda uow: uow.events.get(evt.id)).title == "Show"  # type: ignore[union-attr]

    def test_saving_a_stale_copy_is_a_concurrency_conflict(self, storage: Storage) -> None:
        evt = b.event()
        in_uow(storage, lambda uow: uow.events.add(evt))
        first = in_uow(storage, lambda uow: uow.events.get(evt.id))
        second = in_uow(storage, lambda uow: uow.events.get(evt.id))
        assert first is not None and second is not None
        first.title = "first"
        in_uow(storage, lambda uow: uow.events.save(first))
        second.title = "second"
        with pytest.raises(ConcurrencyConflict):
            in_uow(storage, lambda uow: uow.events.save(second))
        assert in_uow(storage, lambda uow: uow.events.get(evt.id)).title == "first"  # type: ignore[union-attr]

    def test_save_bumps_the_version(self, storage: Storage) -> None:
        o = b.order()
        in_uow(storage, lambda uow: uow.orders.add(o))
        loaded = in_uow(storage, lambda uow: uow.orders.get(o.id))
        assert loaded is not None
        loaded.status = OrderStatus.CANCELLED
        in_uow(storage, lambda uow: uow.orders.save(loaded))
        again = in_uow(storage, lambda uow: uow.orders.get(o.id))
        assert again is not None
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
        assert in_uow(storage, lambda uow: uow.organizers.get(org.id)).name == "Renamed"  # type: ignore[union-attr]

    def test_event_round_trip_keeps_every_field(self, storage: Storage) -> None:
        from tickex.domain.event import (
            EventSettings,
            FeePolicy,
            GeoPoint,
            RefundPolicy,
            TaxMode,
            Venue,
        )

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
        in_uow(storage, lambda uow: uow.events.add(b.event(slug="same-slug")))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.events.add(b.event(slug="same-slug")))

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
        loaded = in_uow(storage, lambda uow: uow.ticket_types.get(first.id))
        assert loaded is not None
        assert loaded.name == "Renamed"

    def test_reserve_takes_capacity_up_to_the_size_and_not_beyond(self, storage: Storage) -> None:
        q = b.quota(size=5)
        in_uow(storage, lambda uow: uow.quotas.add(q))
        assert in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 3))
        assert not in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 3))
        assert in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 2))
        assert not in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 1))
        loaded = in_uow(storage, lambda uow: uow.quotas.get(q.id))
        assert loaded is not None
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
        loaded = in_uow(storage, lambda uow: uow.quotas.get(q.id))
        assert loaded is not None
        assert (loaded.sold, loaded.held) == (6, 0)

    def test_counters_never_go_below_zero(self, storage: Storage) -> None:
        q = b.quota(size=3)
        in_uow(storage, lambda uow: uow.quotas.add(q))
        with pytest.raises((DomainError, ValueError)):
            in_uow(storage, lambda uow: uow.quotas.release(q.id, 1))
        with pytest.raises((DomainError, ValueError)):
            in_uow(storage, lambda uow: uow.quotas.unsell(q.id, 1))
        loaded = in_uow(storage, lambda uow: uow.quotas.get(q.id))
        assert loaded is not None
        assert (loaded.sold, loaded.held) == (0, 0)

    def test_resize_is_refused_below_sold_plus_held(self, storage: Storage) -> None:
        q = b.quota(size=10)
        in_uow(storage, lambda uow: uow.quotas.add(q))
        in_uow(storage, lambda uow: uow.quotas.reserve(q.id, 4))
        in_uow(storage, lambda uow: uow.quotas.sell(q.id, 2))
        assert not in_uow(storage, lambda uow: uow.quotas.resize(q.id, 5))
        assert in_uow(storage, lambda uow: uow.quotas.resize(q.id, 6))
        assert in_uow(storage, lambda uow: uow.quotas.get(q.id)).size == 6  # type: ignore[union-attr]
        in_uow(storage, lambda uow: uow.quotas.rename(q.id, "Balcony"))
        assert in_uow(storage, lambda uow: uow.quotas.get(q.id)).name == "Balcony"  # type: ignore[union-attr]

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
        assert in_uow(storage, lambda uow: uow.promo_codes.get(p.id)).uses == 2  # type: ignore[union-attr]

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

    # -- holds ----------------------------------------------------------------------------
    def test_a_hold_ends_exactly_once(self, storage: Storage) -> None:
        h = b.hold()
        in_uow(storage, lambda uow: uow.holds.add(h))
        assert in_uow(storage, lambda uow: uow.holds.get(h.id)) == h
        assert in_uow(storage, lambda uow: uow.holds.end(h.id, HoldStatus.RELEASED))
        assert not in_uow(storage, lambda uow: uow.holds.end(h.id, HoldStatus.RELEASED))
        assert not in_uow(storage, lambda uow: uow.holds.end(h.id, HoldStatus.CONVERTED))
        assert not in_uow(storage, lambda uow: uow.holds.end("missing", HoldStatus.RELEASED))
        loaded = in_uow(storage, lambda uow: uow.holds.get(h.id))
        assert loaded is not None
        assert loaded.status is HoldStatus.RELEASED

    def test_expired_holds_are_listed_oldest_first_up_to_the_limit(self, storage: Storage) -> None:
        t = b.T0
        holds = [b.hold(expires_at=t + timedelta(minutes=m)) for m in (3, 1, 2, 10)]
        in_uow(storage, lambda uow: [uow.holds.add(h) for h in holds])
        in_uow(storage, lambda uow: uow.holds.end(holds[2].id, HoldStatus.CONVERTED))
        found = in_uow(storage, lambda uow: uow.holds.list_expired(t + timedelta(minutes=5), 10))
        assert [h.id for h in found] == [holds[1].id, holds[0].id]
        found = in_uow(storage, lambda uow: uow.holds.list_expired(t + timedelta(minutes=5), 1))
        assert [h.id for h in found] == [holds[1].id]

    # -- orders ---------------------------------------------------------------------------
    def test_order_round_trip_and_lookups(self, storage: Storage) -> None:
        o = b.order(payment_reference="cs_1", payment_url="https://pay/cs_1",
                    customer_id="cust-1", promo_code_id="p-1", hold_id="h-1",
                    customer_name="Ana Lúcia")  # fmt: skip
        in_uow(storage, lambda uow: uow.orders.add(o))
        assert in_uow(storage, lambda uow: uow.orders.get(o.id)) == o
        assert in_uow(storage, lambda uow: uow.orders.get_by_code(o.code)) == o
        assert in_uow(storage, lambda uow: uow.orders.get_by_payment_reference("cs_1")) == o
        assert in_uow(storage, lambda uow: uow.orders.get_by_payment_reference("cs_x")) is None

    def test_order_code_is_unique(self, storage: Storage) -> None:
        in_uow(storage, lambda uow: uow.orders.add(b.order(code="SAMECODE")))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.orders.add(b.order(code="SAMECODE")))

    def test_orders_listed_newest_first_and_by_customer(self, storage: Storage) -> None:
        old = b.order(event_id="e1", customer_email="Ann@Example.com")
        new = b.order(event_id="e1", created_at=b.T0 + timedelta(minutes=1))
        other = b.order(event_id="e2", customer_email="ann@example.com")
        in_uow(storage, lambda uow: [uow.orders.add(o) for o in (old, new, other)])
        listed = in_uow(storage, lambda uow: uow.orders.list_by_event("e1"))
        assert [o.id for o in listed] == [new.id, old.id]
        mine = in_uow(storage, lambda uow: uow.orders.list_by_customer("e1", "ann@example.com"))
        assert [o.id for o in mine] == [old.id]

    # -- tickets and check-ins ------------------------------------------------------------
    def test_ticket_round_trip_lookups_and_counts(self, storage: Storage) -> None:
        t1 = b.ticket(order_id="o1", event_id="e1", id="t-2", attendee_name="Zoë")
        t2 = b.ticket(order_id="o1", event_id="e1", id="t-1")
        t3 = b.ticket(order_id="o2", event_id="e1", status=TicketStatus.REVOKED)
        in_uow(storage, lambda uow: [uow.tickets.add(t) for t in (t1, t2, t3)])
        assert in_uow(storage, lambda uow: uow.tickets.get(t1.id)) == t1
        assert in_uow(storage, lambda uow: uow.tickets.get_by_secret(t1.secret)) == t1
        assert in_uow(storage, lambda uow: uow.tickets.get_by_secret("nope")) is None
        assert [t.id for t in in_uow(storage, lambda uow: uow.tickets.list_by_order("o1"))] == [
            "t-1", "t-2"
        ]  # fmt: skip
        t1.check_in(b.T0, "staff", "main")
        in_uow(storage, lambda uow: uow.tickets.save(t1))
        counts = in_uow(storage, lambda uow: uow.tickets.count_by_status("e1"))
        assert counts[TicketStatus.ACTIVE] == 1
        assert counts[TicketStatus.CHECKED_IN] == 1
        assert counts[TicketStatus.REVOKED] == 1

    def test_ticket_secret_is_unique(self, storage: Storage) -> None:
        in_uow(storage, lambda uow: uow.tickets.add(b.ticket(secret="s3cr3t")))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.tickets.add(b.ticket(secret="s3cr3t")))

    def test_check_in_nonce_is_unique_per_event(self, storage: Storage) -> None:
        first = b.check_in(event_id="e1", nonce="nonce-1", ticket_id="t1")
        in_uow(storage, lambda uow: uow.check_ins.add(first))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.check_ins.add(b.check_in(event_id="e1",
                                                                     nonce="nonce-1")))  # fmt: skip
        in_uow(storage, lambda uow: uow.check_ins.add(b.check_in(event_id="e2", nonce="nonce-1")))
        assert in_uow(storage, lambda uow: uow.check_ins.get_by_nonce("e1", "nonce-1")) == first
        later = b.check_in(event_id="e1", ticket_id="t1", recorded_at=b.T0 + timedelta(1))
        in_uow(storage, lambda uow: uow.check_ins.add(later))
        listed = in_uow(storage, lambda uow: uow.check_ins.list_by_ticket("t1"))
        assert [c.id for c in listed] == [first.id, later.id]

    # -- ledger ---------------------------------------------------------------------------
    def test_ledger_is_append_only_and_keeps_the_order(self, storage: Storage) -> None:
        txs = [b.sale(amount=a, order_id="o1") for a in (300, 100, 200)]
        in_uow(storage, lambda uow: [uow.ledger.append(t) for t in txs])
        assert in_uow(storage, lambda uow: uow.ledger.list_all()) == txs
        assert in_uow(storage, lambda uow: uow.ledger.list_for_order("o1")) == txs
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.ledger.append(txs[0]))
        assert not hasattr(storage.unit_of_work().ledger, "delete")

    def test_ledger_account_totals_by_kind_and_currency(self, storage: Storage) -> None:
        payable = organizer_payable("org-9")
        sale = b.sale(amount=1000, organizer_id="org-9")
        refund = sale.reversal(b.new_id("tx"), b.T0)
        payout = b.sale(amount=300, organizer_id="org-9", kind=TransactionKind.PAYOUT,
                        debit=payable, credit=CLEARING)  # fmt: skip
        in_uow(storage, lambda uow: [uow.ledger.append(t) for t in (sale, refund, payout)])
        totals = in_uow(storage, lambda uow: uow.ledger.account_totals(payable))
        assert totals == {(TransactionKind.SALE, "EUR"): 0, (TransactionKind.PAYOUT, "EUR"): 300}

    # -- outbox ---------------------------------------------------------------------------
    def test_outbox_due_messages_oldest_first(self, storage: Storage) -> None:
        later = b.outbox_message(available_at=b.T0 + timedelta(minutes=10))
        first = b.outbox_message(available_at=b.T0 - timedelta(minutes=1))
        now = b.outbox_message(available_at=b.T0)
        in_uow(storage, lambda uow: [uow.outbox.add(m) for m in (later, first, now)])
        due = in_uow(storage, lambda uow: uow.outbox.due(b.T0, 10))
        assert [m.id for m in due] == [first.id, now.id]
        assert in_uow(storage, lambda uow: uow.outbox.pending_count()) == 3
        first.succeeded()
        in_uow(storage, lambda uow: uow.outbox.save(first))
        assert in_uow(storage, lambda uow: uow.outbox.get(first.id)).status is OutboxStatus.SENT  # type: ignore[union-attr]
        assert [m.id for m in in_uow(storage, lambda uow: uow.outbox.due(b.T0, 10))] == [now.id]
        assert in_uow(storage, lambda uow: uow.outbox.pending_count()) == 2

    def test_dead_outbox_messages_are_listed_oldest_first_and_counted(
        self, storage: Storage
    ) -> None:
        older = b.outbox_message(available_at=b.T0 - timedelta(hours=2))
        newer = b.outbox_message(available_at=b.T0 - timedelta(hours=1))
        alive = b.outbox_message(available_at=b.T0)
        in_uow(storage, lambda uow: [uow.outbox.add(m) for m in (newer, alive, older)])
        for message in (newer, older):
            message.gave_up(message.available_at, "550 no such mailbox")
        in_uow(storage, lambda uow: [uow.outbox.save(m) for m in (newer, older)])
        dead = in_uow(storage, lambda uow: uow.outbox.dead(10))
        assert [m.id for m in dead] == [older.id, newer.id]
        assert dead[0].last_error == "550 no such mailbox"
        assert in_uow(storage, lambda uow: uow.outbox.dead(1))[0].id == older.id
        assert in_uow(storage, lambda uow: uow.outbox.dead_count()) == 2
        assert in_uow(storage, lambda uow: uow.outbox.pending_count()) == 1
        assert [m.id for m in in_uow(storage, lambda uow: uow.outbox.due(b.T0, 10))] == [alive.id]

    def test_outbox_idempotency_key_is_unique(self, storage: Storage) -> None:
        in_uow(storage, lambda uow: uow.outbox.add(b.outbox_message(idempotency_key="k1")))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.outbox.add(b.outbox_message(idempotency_key="k1")))

    def test_outbox_payload_round_trips(self, storage: Storage) -> None:
        m = b.outbox_message(payload={"order_id": "o1", "amount_minor": 1250, "text": "¡olé!"})
        in_uow(storage, lambda uow: uow.outbox.add(m))
        assert in_uow(storage, lambda uow: uow.outbox.get(m.id)) == m

    # -- processed provider events --------------------------------------------------------
    def test_a_provider_event_is_recorded_once(self, storage: Storage) -> None:
        assert in_uow(storage, lambda uow: uow.processed_events.record("stripe", "evt_1", b.T0))
        assert not in_uow(storage, lambda uow: uow.processed_events.record("stripe", "evt_1",
                                                                           b.T0))  # fmt: skip
        assert in_uow(storage, lambda uow: uow.processed_events.record("local", "evt_1", b.T0))

    def test_a_rolled_back_provider_event_can_be_recorded_again(self, storage: Storage) -> None:
        in_uow(storage, lambda uow: uow.processed_events.record("s", "evt_2", b.T0), commit=False)
        assert in_uow(storage, lambda uow: uow.processed_events.record("s", "evt_2", b.T0))

    # -- concurrency ----------------------------------------------------------------------
    def _skip_without_concurrency(self) -> None:
        if self.concurrency_skip_reason:
            pytest.skip(self.concurrency_skip_reason)

    def test_threads_racing_for_n_seats_get_exactly_n(self, storage: Storage) -> None:
        self._skip_without_concurrency()
        seats, buyers = 10, 40
        q = b.quota(size=seats)
        in_uow(storage, lambda uow: uow.quotas.add(q))
        winners: list[int] = []
        lock = threading.Lock()
        start = threading.Barrier(8)

        def buyer(n: int) -> None:
            if n < 8:
                start.wait()
            with storage.unit_of_work() as uow:
                if uow.quotas.reserve(q.id, 1):
                    uow.commit()
                    with lock:
                        winners.append(n)

        threads = [threading.Thread(target=buyer, args=(n,)) for n in range(buyers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        loaded = in_uow(storage, lambda uow: uow.quotas.get(q.id))
        assert loaded is not None
        assert len(winners) == seats
        assert loaded.held == seats

    def test_concurrent_saves_of_one_aggregate_let_exactly_one_win(self, storage: Storage) -> None:
        self._skip_without_concurrency()
        o = b.order()
        in_uow(storage, lambda uow: uow.orders.add(o))
        outcomes: list[str] = []
        lock = threading.Lock()
        stale = [in_uow(storage, lambda uow: uow.orders.get(o.id)) for _ in range(6)]

        def writer(copy: Any) -> None:
            try:
                copy.status = OrderStatus.CANCELLED
                in_uow(storage, lambda uow: uow.orders.save(copy))
                result = "won"
            except ConcurrencyConflict:
                result = "lost"
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=writer, args=(c,)) for c in stale]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["lost"] * 5 + ["won"]


class IdentityStorageContract:
    """The identity repositories (users, refresh sessions, one-time tokens, API keys, staff
    credentials, organizer requests). Provide the same ``storage`` fixture as for
    :class:`StorageContract`."""

    concurrency_skip_reason: ClassVar[str | None] = None

    @pytest.fixture
    def storage(self) -> Storage:
        raise NotImplementedError("provide a `storage` fixture")

    def test_user_round_trip_and_lookups(self, storage: Storage) -> None:
        user = b.user(email="Ana@Example.com", google_subject="g-123", name="Ana Lúcia",
                      password_hash="$argon2id$v=19$m=65536,t=3,p=4$abc$def",
                      roles=frozenset({Role.CUSTOMER, Role.ORGANIZER}), organizer_id="org-1",
                      sessions_valid_after=b.T0)  # fmt: skip
        in_uow(storage, lambda uow: uow.users.add(user))
        assert user.email == "ana@example.com"
        assert in_uow(storage, lambda uow: uow.users.get(user.id)) == user
        assert in_uow(storage, lambda uow: uow.users.get_by_email("ANA@example.com")) == user
        assert in_uow(storage, lambda uow: uow.users.get_by_google_subject("g-123")) == user
        assert in_uow(storage, lambda uow: uow.users.get_by_email("nobody@example.com")) is None
        assert in_uow(storage, lambda uow: uow.users.get_by_google_subject("g-999")) is None

    def test_user_email_and_google_subject_are_unique(self, storage: Storage) -> None:
        in_uow(storage, lambda uow: uow.users.add(b.user(email="a@example.com",
                                                          google_subject="g-1")))  # fmt: skip
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.users.add(b.user(email="A@EXAMPLE.COM")))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.users.add(b.user(google_subject="g-1")))
        in_uow(storage, lambda uow: uow.users.add(b.user(email="b@example.com")))
        in_uow(storage, lambda uow: uow.users.add(b.user(email="c@example.com")))  # no subject

    def test_user_saves_are_versioned(self, storage: Storage) -> None:
        user = b.user()
        in_uow(storage, lambda uow: uow.users.add(user))
        first = in_uow(storage, lambda uow: uow.users.get(user.id))
        stale = in_uow(storage, lambda uow: uow.users.get(user.id))
        assert first is not None and stale is not None
        first.disable(b.T0)
        in_uow(storage, lambda uow: uow.users.save(first))
        stale.verify_email()
        with pytest.raises(ConcurrencyConflict):
            in_uow(storage, lambda uow: uow.users.save(stale))
        loaded = in_uow(storage, lambda uow: uow.users.get(user.id))
        assert loaded is not None
        assert (loaded.status, loaded.sessions_valid_after, loaded.version) == (
            UserStatus.DISABLED, b.T0, user.version + 1
        )  # fmt: skip

    def test_a_refresh_session_rotates_exactly_once(self, storage: Storage) -> None:
        session = b.refresh_session(token_hash="h-1")
        in_uow(storage, lambda uow: uow.sessions.add(session))
        assert in_uow(storage, lambda uow: uow.sessions.get_by_token_hash("h-1")) == session
        assert in_uow(storage, lambda uow: uow.sessions.rotate(session.id, b.T0))
        assert not in_uow(storage, lambda uow: uow.sessions.rotate(session.id, b.T0))
        assert not in_uow(storage, lambda uow: uow.sessions.rotate("missing", b.T0))
        loaded = in_uow(storage, lambda uow: uow.sessions.get_by_token_hash("h-1"))
        assert loaded is not None
        assert loaded.rotated_at == b.T0
        assert not loaded.is_usable(b.T0)
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.sessions.add(b.refresh_session(token_hash="h-1")))

    def test_sessions_are_revoked_by_family_and_by_user(self, storage: Storage) -> None:
        a1 = b.refresh_session(user_id="u1", family_id="f1")
        a2 = b.refresh_session(user_id="u1", family_id="f1")
        a3 = b.refresh_session(user_id="u1", family_id="f2")
        other = b.refresh_session(user_id="u2", family_id="f3")
        in_uow(storage, lambda uow: [uow.sessions.add(s) for s in (a1, a2, a3, other)])
        assert in_uow(storage, lambda uow: uow.sessions.revoke_family("f1", b.T0)) == 2
        assert in_uow(storage, lambda uow: uow.sessions.revoke_family("f1", b.T0)) == 0
        assert not in_uow(storage, lambda uow: uow.sessions.rotate(a1.id, b.T0))
        assert in_uow(storage, lambda uow: uow.sessions.revoke_user("u1", b.T0)) == 1
        untouched = in_uow(storage, lambda uow: uow.sessions.get_by_token_hash(other.token_hash))
        assert untouched is not None
        assert untouched.revoked_at is None

    def test_a_one_time_token_is_used_once_and_only_before_it_expires(
        self, storage: Storage
    ) -> None:
        token = b.one_time_token(expires_at=b.T0 + timedelta(hours=1))
        late = b.one_time_token(expires_at=b.T0)
        in_uow(storage, lambda uow: [uow.one_time_tokens.add(t) for t in (token, late)])
        found = in_uow(storage, lambda uow: uow.one_time_tokens.get_by_hash(token.token_hash))
        assert found == token
        assert not in_uow(storage, lambda uow: uow.one_time_tokens.use(late.id, b.T0))
        assert in_uow(storage, lambda uow: uow.one_time_tokens.use(token.id, b.T0))
        assert not in_uow(storage, lambda uow: uow.one_time_tokens.use(token.id, b.T0))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.one_time_tokens.add(
                b.one_time_token(token_hash=token.token_hash)))  # fmt: skip

    def test_api_keys_are_listed_touched_and_revoked_once(self, storage: Storage) -> None:
        later = b.api_key(organizer_id="o1", created_at=b.T0 + timedelta(minutes=1),
                          scopes=("events:read", "orders:write"))  # fmt: skip
        first = b.api_key(organizer_id="o1")
        other = b.api_key(organizer_id="o2")
        in_uow(storage, lambda uow: [uow.api_keys.add(k) for k in (later, first, other)])
        listed = in_uow(storage, lambda uow: uow.api_keys.list_by_organizer("o1"))
        assert listed == [first, later]
        in_uow(storage, lambda uow: uow.api_keys.touch(first.id, b.T0 + timedelta(hours=2)))
        assert in_uow(storage, lambda uow: uow.api_keys.revoke(first.id, b.T0))
        assert not in_uow(storage, lambda uow: uow.api_keys.revoke(first.id, b.T0))
        loaded = in_uow(storage, lambda uow: uow.api_keys.get_by_hash(first.key_hash))
        assert loaded is not None
        assert (loaded.last_used_at, loaded.revoked_at) == (b.T0 + timedelta(hours=2), b.T0)
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.api_keys.add(b.api_key(key_hash=later.key_hash)))

    def test_staff_credentials_are_listed_touched_and_revoked_once(self, storage: Storage) -> None:
        later = b.staff_credential(event_id="e1", created_at=b.T0 + timedelta(minutes=1))
        first = b.staff_credential(event_id="e1")
        other = b.staff_credential(event_id="e2")
        in_uow(storage, lambda uow: [uow.staff_credentials.add(c) for c in (later, first, other)])
        assert in_uow(storage, lambda uow: uow.staff_credentials.list_by_event("e1")) == [
            first, later
        ]  # fmt: skip
        in_uow(storage, lambda uow: uow.staff_credentials.touch(first.id, b.T0))
        assert in_uow(storage, lambda uow: uow.staff_credentials.revoke(first.id, b.T0))
        assert not in_uow(storage, lambda uow: uow.staff_credentials.revoke(first.id, b.T0))
        loaded = in_uow(storage, lambda uow: uow.staff_credentials.get_by_hash(first.token_hash))
        assert loaded is not None
        assert (loaded.last_used_at, loaded.revoked_at, loaded.is_active) == (b.T0, b.T0, False)

    def test_a_staff_credential_is_found_by_id(self, storage: Storage) -> None:
        credential = b.staff_credential(event_id="e1", label="South gate")
        in_uow(storage, lambda uow: uow.staff_credentials.add(credential))
        assert in_uow(storage, lambda uow: uow.staff_credentials.get(credential.id)) == credential
        assert in_uow(storage, lambda uow: uow.staff_credentials.get("missing")) is None
        in_uow(storage, lambda uow: uow.staff_credentials.revoke(credential.id, b.T0))
        loaded = in_uow(storage, lambda uow: uow.staff_credentials.get(credential.id))
        assert loaded is not None
        assert (loaded.revoked_at, loaded.is_active) == (b.T0, False)

    def test_organizer_request_round_trip_and_lookups(self, storage: Storage) -> None:
        first = b.organizer_request(user_id="u1", note="We run jazz nights by the river.")
        in_uow(storage, lambda uow: uow.organizer_requests.add(first))
        assert in_uow(storage, lambda uow: uow.organizer_requests.get(first.id)) == first
        assert in_uow(storage, lambda uow: uow.organizer_requests.get("missing")) is None
        first.reject("admin-1", "Tell us more about your events.", b.T0 + timedelta(hours=1))
        in_uow(storage, lambda uow: uow.organizer_requests.save(first))
        second = b.organizer_request(user_id="u1", created_at=b.T0 + timedelta(days=1))
        in_uow(storage, lambda uow: uow.organizer_requests.add(second))
        second.approve("admin-2", "org-9", b.T0 + timedelta(days=2, microseconds=7))
        in_uow(storage, lambda uow: uow.organizer_requests.save(second))
        listed = in_uow(storage, lambda uow: uow.organizer_requests.list_by_user("u1"))
        assert listed == [second, first]  # newest first, every field kept
        assert (listed[0].status, listed[0].organizer_id, listed[0].decided_by) == (
            OrganizerRequestStatus.APPROVED, "org-9", "admin-2"
        )  # fmt: skip
        assert listed[1].reason == "Tell us more about your events."
        assert in_uow(storage, lambda uow: uow.organizer_requests.list_by_user("u2")) == []

    def test_organizer_requests_listed_by_status_oldest_first_with_limit_and_offset(
        self, storage: Storage
    ) -> None:
        pending = [b.organizer_request(created_at=b.T0 + timedelta(minutes=n)) for n in (3, 1, 2)]
        decided = b.organizer_request()
        decided.reject("admin-1", "no", b.T0)
        in_uow(storage, lambda uow: [uow.organizer_requests.add(r) for r in (*pending, decided)])

        def page(status: OrganizerRequestStatus, limit: int, offset: int) -> list[str]:
            found = in_uow(storage, lambda uow: uow.organizer_requests.list_by_status(
                status, limit, offset))  # fmt: skip
            return [r.id for r in found]

        oldest_first = [r.id for r in sorted(pending, key=lambda r: r.created_at)]
        assert page(OrganizerRequestStatus.PENDING, 10, 0) == oldest_first
        assert page(OrganizerRequestStatus.PENDING, 2, 0) == oldest_first[:2]
        assert page(OrganizerRequestStatus.PENDING, 2, 2) == oldest_first[2:]
        assert page(OrganizerRequestStatus.PENDING, 0, 0) == []
        assert page(OrganizerRequestStatus.PENDING, 5, 3) == []
        assert page(OrganizerRequestStatus.REJECTED, 10, 0) == [decided.id]
        assert page(OrganizerRequestStatus.APPROVED, 10, 0) == []

    def test_a_second_pending_organizer_request_of_a_user_is_refused(
        self, storage: Storage
    ) -> None:
        first = b.organizer_request(user_id="u1")
        in_uow(storage, lambda uow: uow.organizer_requests.add(first))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.organizer_requests.add(
                b.organizer_request(user_id="u1")))  # fmt: skip
        with pytest.raises(Conflict):  # the same id again
            in_uow(storage, lambda uow: uow.organizer_requests.add(
                b.organizer_request(id=first.id, user_id="u2")))  # fmt: skip
        in_uow(storage, lambda uow: uow.organizer_requests.add(b.organizer_request(user_id="u2")))
        first.reject("admin-1", "not yet", b.T0)
        in_uow(storage, lambda uow: uow.organizer_requests.save(first))
        again = b.organizer_request(user_id="u1")  # decided requests do not count
        in_uow(storage, lambda uow: uow.organizer_requests.add(again))
        assert [r.id for r in in_uow(storage, lambda uow: uow.organizer_requests.list_by_user(
            "u1"))] == sorted([again.id, first.id], reverse=True)  # fmt: skip

    def test_organizer_request_saves_are_versioned(self, storage: Storage) -> None:
        request = b.organizer_request()
        in_uow(storage, lambda uow: uow.organizer_requests.add(request))
        first = in_uow(storage, lambda uow: uow.organizer_requests.get(request.id))
        stale = in_uow(storage, lambda uow: uow.organizer_requests.get(request.id))
        assert first is not None and stale is not None
        first.approve("admin-1", "org-1", b.T0)
        in_uow(storage, lambda uow: uow.organizer_requests.save(first))
        assert first.version == request.version + 1
        stale.reject("admin-2", "too late", b.T0)
        with pytest.raises(ConcurrencyConflict):
            in_uow(storage, lambda uow: uow.organizer_requests.save(stale))
        with pytest.raises(ConcurrencyConflict):  # never added
            in_uow(storage, lambda uow: uow.organizer_requests.save(b.organizer_request()))
        loaded = in_uow(storage, lambda uow: uow.organizer_requests.get(request.id))
        assert loaded is not None
        assert (loaded.status, loaded.decided_by, loaded.version) == (
            OrganizerRequestStatus.APPROVED, "admin-1", request.version + 1
        )  # fmt: skip

    def test_concurrent_requests_of_one_user_let_exactly_one_in(self, storage: Storage) -> None:
        if self.concurrency_skip_reason:
            pytest.skip(self.concurrency_skip_reason)
        outcomes: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(6)

        def ask() -> None:
            request = b.organizer_request(user_id="racer")
            barrier.wait()
            try:
                in_uow(storage, lambda uow: uow.organizer_requests.add(request))
                result = "in"
            except (Conflict, ConcurrencyConflict):
                result = "refused"
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["in"] + ["refused"] * 5
        assert len(in_uow(storage, lambda uow: uow.organizer_requests.list_by_user("racer"))) == 1

    def test_concurrent_refreshes_of_one_session_let_exactly_one_rotate(
        self, storage: Storage
    ) -> None:
        if self.concurrency_skip_reason:
            pytest.skip(self.concurrency_skip_reason)
        session = b.refresh_session()
        in_uow(storage, lambda uow: uow.sessions.add(session))
        wins: list[bool] = []
        lock = threading.Lock()
        barrier = threading.Barrier(8)

        def refresh() -> None:
            barrier.wait()
            won = in_uow(storage, lambda uow: uow.sessions.rotate(session.id, b.T0))
            with lock:
                wins.append(won)

        threads = [threading.Thread(target=refresh) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(wins) == [False] * 7 + [True]


class ClockContract:
    @pytest.fixture
    def clock(self) -> Clock:
        raise NotImplementedError

    def test_now_is_aware_utc(self, clock: Clock) -> None:
        now = clock.now()
        assert now.utcoffset() == timedelta(0)


class TicketSignerContract:
    @pytest.fixture
    def signer(self) -> TicketSigner:
        raise NotImplementedError

    def test_a_signed_token_verifies_to_its_claims(self, signer: TicketSigner) -> None:
        claims = TicketClaims("evt-1", "secret-1")
        assert signer.verify(signer.sign(claims)) == claims

    def test_tampered_and_garbage_tokens_are_rejected_without_raising(
        self, signer: TicketSigner
    ) -> None:
        token = signer.sign(TicketClaims("evt-1", "secret-1"))
        sig = token.split(".")[1]
        other = signer.sign(TicketClaims("evt-2", "secret-1")).split(".")[0]
        for bad in (f"{other}.{sig}", token[:-2], "", "....", "a.b", "x" * 5000, "é.é"):
            assert signer.verify(bad) is None
        assert signer.public_key()


class QrCodeRendererContract:
    """What the ticket email relies on: a PNG that a scanner reads back as exactly the
    token, a light quiet zone of at least 4 modules, the same bytes for the same data, and
    ``QrCodeTooLong`` (not a broken image) for data no QR code holds. The codes are read
    with zxing-cpp where it is installed (``pip install zxing-cpp``)."""

    TOKEN = (  # the length of a production ticket token: 171 characters
        "djF8ZjhiODQ1NmNiODU4NDM4NmI3MjQ5ZTkxY2M3MDNkODl8YnpxUDQ2NkNWZks0Y3Q0Q3JXblNxZEVvdC1n."
        "sQrWRXH5PK9pZDaCvMA1dbY_8DHA4A6s6EVHKLqDkHp03SzpIoRlNACrUarzs2gsKBPXscu3G_n9eZkNisZ9AQ"
    )

    @pytest.fixture
    def renderer(self) -> QrCodeRenderer:
        raise NotImplementedError

    def test_a_png_a_scanner_reads_back_as_the_token(self, renderer: QrCodeRenderer) -> None:
        image = renderer.png(self.TOKEN)
        assert image.startswith(b"\x89PNG\r\n\x1a\n")
        pytest.importorskip("zxingcpp", reason="reading the code back needs zxing-cpp")
        assert decode_qr(image) == [self.TOKEN]

    def test_the_code_sits_in_a_light_quiet_zone(self, renderer: QrCodeRenderer) -> None:
        width, height, pixels = grey_pixels(renderer.png(self.TOKEN))
        dark = [(x, y) for y in range(height) for x in range(width) if pixels[y * width + x] < 128]
        left, top = min(x for x, _ in dark), min(y for _, y in dark)
        right, bottom = max(x for x, _ in dark), max(y for _, y in dark)
        run = 0  # the top-left finder pattern's top edge: 7 dark modules in a row
        while pixels[top * width + left + run] < 128:
            run += 1
        quiet_zone = QUIET_ZONE_MODULES * run / 7
        assert width == height
        assert min(left, top, width - 1 - right, height - 1 - bottom) >= quiet_zone

    def test_the_same_data_draws_the_same_image(self, renderer: QrCodeRenderer) -> None:
        assert renderer.png(self.TOKEN) == renderer.png(self.TOKEN)

    def test_data_no_qr_code_holds_is_refused_clearly(self, renderer: QrCodeRenderer) -> None:
        with pytest.raises(QrCodeTooLong, match="do not fit in a QR code"):
            renderer.png("x" * (BYTE_CAPACITY["L"] + 1))  # more than any level holds


class PaymentGatewayContract:
    @pytest.fixture
    def gateway(self) -> PaymentGateway:
        raise NotImplementedError

    def _request(self, order_id: str) -> CheckoutRequest:
        return CheckoutRequest(order_id=order_id, order_code="ABCD2345",
                               amount=Money(5150, "EUR"), platform_fee=Money(150, "EUR"),
                               description="Show - order ABCD2345",
                               customer_email="buyer@example.com",
                               expires_at=b.T0 + timedelta(minutes=30))  # fmt: skip

    def test_each_checkout_gets_its_own_session(self, gateway: PaymentGateway) -> None:
        first = gateway.create_checkout(self._request("o1"))
        second = gateway.create_checkout(self._request("o2"))
        assert first.reference != second.reference
        assert first.url.startswith("http")

    def test_refunds_are_idempotent_by_key(self, gateway: PaymentGateway) -> None:
        session = gateway.create_checkout(self._request("o3"))
        request = RefundRequest(session.reference, Money(1000, "EUR"), "refund:o3:1")
        assert gateway.refund(request) == gateway.refund(request)


class MailerContract:
    @pytest.fixture
    def mailer(self) -> Mailer:
        raise NotImplementedError

    def test_sending_returns_a_message_id(self, mailer: Mailer) -> None:
        message = EmailMessage(to="buyer@example.com", subject="Tickets ✓", text="Hello",
                               idempotency_key="deliver:o1")  # fmt: skip
        assert mailer.send(message)
