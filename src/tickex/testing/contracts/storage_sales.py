"""The storage contract, second half: what is sold and what follows (holds, orders,
tickets and check-ins, the ledger, the outbox, provider events) and the races."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from tickex.domain.errors import ConcurrencyConflict, Conflict
from tickex.domain.hold import HoldStatus
from tickex.domain.ledger import CLEARING, TransactionKind, organizer_payable
from tickex.domain.order import OrderStatus
from tickex.domain.outbox import OutboxStatus
from tickex.domain.ticket import TicketStatus
from tickex.ports.unit_of_work import Storage
from tickex.testing import builders as b
from tickex.testing.contracts.support import StorageFixture, in_threads, in_uow, stored, unique


class SalesStorageContract(StorageFixture):
    """Holds, orders, tickets, check-ins, the ledger, the outbox and provider events."""

    # -- holds ----------------------------------------------------------------------------
    def test_a_hold_ends_exactly_once(self, storage: Storage) -> None:
        h = b.hold()
        in_uow(storage, lambda uow: uow.holds.add(h))
        assert in_uow(storage, lambda uow: uow.holds.get(h.id)) == h
        assert in_uow(storage, lambda uow: uow.holds.end(h.id, HoldStatus.RELEASED))
        assert not in_uow(storage, lambda uow: uow.holds.end(h.id, HoldStatus.RELEASED))
        assert not in_uow(storage, lambda uow: uow.holds.end(h.id, HoldStatus.CONVERTED))
        assert not in_uow(storage, lambda uow: uow.holds.end("missing", HoldStatus.RELEASED))
        loaded = stored(storage, lambda uow: uow.holds.get(h.id))
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

    def test_an_order_is_found_by_its_exact_code_only(self, storage: Storage) -> None:
        # find_order upper-cases what a buyer typed; the engines compare codes exactly
        o = b.order(code="K7Q2M9XA")
        in_uow(storage, lambda uow: uow.orders.add(o))
        assert in_uow(storage, lambda uow: uow.orders.get_by_code("K7Q2M9XA")) == o
        others = ("k7q2m9xa", "K7Q2M9X", "K7Q2M9XAB", "K7Q2M9X_", "K7Q2M9X%", "")
        found = in_uow(storage, lambda uow: [uow.orders.get_by_code(c) for c in others])
        assert found == [None] * len(others)

    def test_order_code_is_unique(self, storage: Storage) -> None:
        unique(storage, lambda uow: uow.orders.add(b.order(code="SAMECODE")))

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
        t1.check_in(b.T0, "staff")
        in_uow(storage, lambda uow: uow.tickets.save(t1))
        counts = in_uow(storage, lambda uow: uow.tickets.count_by_status("e1"))
        assert counts[TicketStatus.ACTIVE] == 1
        assert counts[TicketStatus.CHECKED_IN] == 1
        assert counts[TicketStatus.REVOKED] == 1

    def test_ticket_secret_is_unique(self, storage: Storage) -> None:
        unique(storage, lambda uow: uow.tickets.add(b.ticket(secret="s3cr3t")))

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
        assert stored(storage, lambda uow: uow.outbox.get(first.id)).status is OutboxStatus.SENT
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
        unique(storage, lambda uow: uow.outbox.add(b.outbox_message(idempotency_key="k1")))

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
    def test_threads_racing_for_n_seats_get_exactly_n(self, storage: Storage) -> None:
        self.skip_without_concurrency()
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

        in_threads(buyers, buyer)
        loaded = stored(storage, lambda uow: uow.quotas.get(q.id))
        assert len(winners) == seats
        assert loaded.held == seats

    def test_concurrent_saves_of_one_aggregate_let_exactly_one_win(self, storage: Storage) -> None:
        self.skip_without_concurrency()
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

        in_threads(len(stale), lambda n: writer(stale[n]))
        assert sorted(outcomes) == ["lost"] * 5 + ["won"]
