"""The storage contract for what a purchase reads and writes at once: the event for sale
(with its ticket types and organizer), the order for payment (with its hold and event),
attaching a payment session in one step, and adding many rows (tickets, ledger
transactions) in one go. An engine may do each in one statement; the answers are the
reference's."""

from __future__ import annotations

import pytest

from tickex.domain.errors import Conflict
from tickex.domain.order import OrderStatus
from tickex.domain.ticket import TicketStatus
from tickex.ports.unit_of_work import EventForSale, OrderForPayment, Storage, UnitOfWork
from tickex.testing import builders as b
from tickex.testing.contracts.support import StorageFixture, in_uow, stored


class PurchaseStorageContract(StorageFixture):
    """``event_for_sale``, ``order_for_payment``, ``attach_payment``, ``add_all`` and
    ``append_all``."""

    def test_the_event_for_sale_comes_with_its_ticket_types_in_order_and_its_organizer(
        self, storage: Storage
    ) -> None:
        org = b.organizer()
        event = b.event(organizer_id=org.id)
        later = b.ticket_type(event_id=event.id, position=2, name="Late")
        first = b.ticket_type(event_id=event.id, position=1, name="Early")
        elsewhere = b.ticket_type(event_id="evt-other")
        bare = b.event(organizer_id="org-gone")
        in_uow(storage, lambda uow: (
            uow.organizers.add(org), [uow.events.add(e) for e in (event, bare)],
            [uow.ticket_types.add(t) for t in (later, first, elsewhere)]))  # fmt: skip
        expected = EventForSale(event, (first, later), org)
        assert in_uow(storage, lambda uow: uow.event_for_sale(event_id=event.id)) == expected
        assert in_uow(storage, lambda uow: uow.event_for_sale(slug=event.slug)) == expected
        assert in_uow(storage, lambda uow: uow.event_for_sale(event_id=bare.id)) == (
            EventForSale(bare, (), None))  # fmt: skip
        assert in_uow(storage, lambda uow: uow.event_for_sale(event_id="evt-none")) is None
        assert in_uow(storage, lambda uow: uow.event_for_sale(slug="no-such-slug")) is None
        assert in_uow(storage, lambda uow: uow.event_for_sale()) is None

    def test_the_order_for_payment_comes_with_its_hold_and_event(self, storage: Storage) -> None:
        event = b.event()
        hold = b.hold(event_id=event.id)
        order = b.order(event_id=event.id, hold_id=hold.id, payment_reference="cs_pay_1")
        orphan = b.order(event_id="evt-gone", hold_id="hold-gone")
        in_uow(storage, lambda uow: (uow.events.add(event), uow.holds.add(hold),
                                     uow.orders.add(order), uow.orders.add(orphan)))  # fmt: skip
        expected = OrderForPayment(order, hold, event)
        assert in_uow(storage, lambda uow: uow.order_for_payment(order_id=order.id)) == expected
        assert in_uow(storage, lambda uow: uow.order_for_payment(reference="cs_pay_1")) == (
            expected)  # fmt: skip
        assert in_uow(storage, lambda uow: uow.order_for_payment(order_id=orphan.id)) == (
            OrderForPayment(orphan, None, None))  # fmt: skip
        assert in_uow(storage, lambda uow: uow.order_for_payment(order_id="ord-none")) is None
        assert in_uow(storage, lambda uow: uow.order_for_payment(reference="cs_none")) is None

    def test_a_payment_is_attached_once_to_a_pending_order(self, storage: Storage) -> None:
        order, done = b.order(), b.order(status=OrderStatus.EXPIRED)
        in_uow(storage, lambda uow: (uow.orders.add(order), uow.orders.add(done)))

        def attach(uow: UnitOfWork, reference: str, order_id: str = order.id) -> bool:
            return uow.orders.attach_payment(order_id, reference, f"https://pay/{reference}")

        assert in_uow(storage, lambda uow: attach(uow, "cs_1"))
        got = stored(storage, lambda uow: uow.orders.get(order.id))
        assert (got.payment_reference, got.payment_url) == ("cs_1", "https://pay/cs_1")
        assert got.version == order.version + 1  # a later save of a stale copy conflicts
        assert in_uow(storage, lambda uow: attach(uow, "cs_1"))  # the same session: done
        assert not in_uow(storage, lambda uow: attach(uow, "cs_2"))  # another one: refused
        assert not in_uow(storage, lambda uow: attach(uow, "cs_3", done.id))  # not pending
        assert not in_uow(storage, lambda uow: attach(uow, "cs_4", "ord-none"))
        assert stored(storage, lambda uow: uow.orders.get(order.id)).payment_reference == "cs_1"

    def test_many_tickets_go_in_at_once_or_not_at_all(self, storage: Storage) -> None:
        tickets = [b.ticket(order_id="o-many", id=f"t-{i}") for i in (3, 1, 2)]
        in_uow(storage, lambda uow: uow.tickets.add_all(tickets))
        listed = in_uow(storage, lambda uow: uow.tickets.list_by_order("o-many"))
        assert sorted(t.id for t in listed) == ["t-1", "t-2", "t-3"]
        again = [b.ticket(order_id="o-again", id="t-new"), b.ticket(order_id="o-again", id="t-1")]
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.tickets.add_all(again))
        assert in_uow(storage, lambda uow: uow.tickets.list_by_order("o-again")) == []
        in_uow(storage, lambda uow: uow.tickets.add_all([]))  # nothing: nothing happens
        assert all(t.status is TicketStatus.ACTIVE for t in listed)

    def test_many_ledger_transactions_go_in_at_once_in_order(self, storage: Storage) -> None:
        txs = [b.sale(amount=a, order_id="o-led") for a in (300, 100, 200)]
        in_uow(storage, lambda uow: uow.ledger.append_all(txs))
        in_uow(storage, lambda uow: uow.ledger.append_all([]))
        assert in_uow(storage, lambda uow: uow.ledger.list_for_order("o-led")) == txs
        later = b.sale(amount=50, order_id="o-led")
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.ledger.append_all([later, txs[1]]))
        assert in_uow(storage, lambda uow: uow.ledger.list_for_order("o-led")) == txs
