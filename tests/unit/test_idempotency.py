"""Idempotency keys through the facade (``TickEx.in_memory()``): what a library caller
gets, and what the record holds. The HTTP behaviour is in
``tests/integration/http/test_idempotency*.py``."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.storage import InMemoryStorage, InMemoryUnitOfWork
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.idempotency import KEY_LIFETIME, LEASE, IdempotencyKeyReused
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.application.sales.confirm_payment import ConfirmPayment
from tickex.application.sales.place_order import OrderItem, PlacedOrder, PlaceOrder
from tickex.application.sales.refund_order import RefundOrder
from tickex.domain.errors import ValidationFailed
from tickex.domain.order import Order
from tickex.facade import TickEx

KEY = "0b8e4f0c-7d1a-4c36-9a51-6f2e3d4c5b6a"


class ProcessDied(BaseException):
    """The process is killed here: nothing after it runs."""


class StorageThatDies(InMemoryStorage):
    """In-memory storage whose next unit of work, once ``armed``, never starts: the
    process died just before it."""

    armed = False

    def unit_of_work(self, read_only: bool = False) -> InMemoryUnitOfWork:
        if self.armed:
            self.armed = False
            raise ProcessDied
        return super().unit_of_work(read_only)


def sale(
    price_minor: int = 1000, storage: InMemoryStorage | None = None
) -> tuple[TickEx, PlaceOrder]:
    app = TickEx.in_memory(storage=storage or InMemoryStorage())
    now = app.clock.now()
    org = app.create_organizer(CreateOrganizer(name="Org", email="org@example.com"))
    event = app.create_event(CreateEvent(
        organizer_id=org.id, title="Show", slug="show", starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2), venue=VenueInput(name="Hall", address="1 St"),
    ))  # fmt: skip
    tt = app.create_ticket_type(CreateTicketType(
        organizer_id=org.id, event_id=event.id, name="GA", price_minor=price_minor,
        quantity_total=9,
    ))  # fmt: skip
    app.publish_event(PublishEvent(organizer_id=org.id, event_id=event.id))
    command = PlaceOrder(event_slug="show", customer_email="ana@example.com",
                         items=[OrderItem(ticket_type_id=tt.id, quantity=1)])  # fmt: skip
    return app, command


def render(placed: PlacedOrder) -> str:
    return f"{placed.order_id} {placed.status} {placed.payment_url}"


def orders(app: TickEx) -> int:
    return len(app.services.read(lambda uow: uow.orders.list_by_customer(
        uow.events.get_by_slug("show").id, "ana@example.com")))  # fmt: skip


@pytest.mark.parametrize(
    "key", ["", "fifteen-chars-x", "k" * 256, "with space inside!", "tab\tinside-it-too", "é" * 16]
)
def test_a_key_is_16_to_255_visible_ascii_characters(key: str) -> None:
    app, command = sale()
    with pytest.raises(ValidationFailed) as refused:
        app.place_order_idempotently(command, key, render)
    assert refused.value.context == {"field": "idempotency_key"}
    assert orders(app) == 0
    assert app.place_order_idempotently(command, "!" + "~" * 15, render).replayed is False


def test_the_answer_is_rendered_once_and_replayed_as_stored() -> None:
    app, command = sale()
    first = app.place_order_idempotently(command, KEY, render)
    assert not first.replayed
    assert first.body.endswith("pending http://127.0.0.1:8000/pay/cs_local_000001")
    again = app.place_order_idempotently(command, KEY, lambda _: "never rendered")
    assert (again.body, again.replayed) == (first.body, True)
    assert orders(app) == 1


def test_the_record_holds_a_digest_the_order_and_the_answer() -> None:
    app, command = sale()
    first = app.place_order_idempotently(command, KEY, render)
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    record = app.services.read(lambda uow: uow.idempotency.find("anonymous", digest))
    assert record is not None
    assert (record.operation, record.response) == ("place_order", first.body)
    assert record.resource_id == first.body.split()[0]
    assert record.expires_at == record.created_at + KEY_LIFETIME
    assert record.locked_until == record.created_at + LEASE
    assert KEY not in repr(record)


def test_a_signed_in_customer_has_a_key_space_of_their_own() -> None:
    app, command = sale()
    app.place_order_idempotently(command, KEY, render)
    mine = command.model_copy(update={"customer_id": "cust-1"})
    assert not app.place_order_idempotently(mine, KEY, render).replayed
    assert app.place_order_idempotently(mine, KEY, render).replayed
    with pytest.raises(IdempotencyKeyReused):
        app.place_order_idempotently(command.model_copy(update={"customer_name": "Bo"}), KEY,
                                     render)  # fmt: skip
    assert orders(app) == 2


def dying_after(storage: StorageThatDies, text: str) -> str:
    """A render that arms ``storage``: the process dies before the next unit of work, the
    one that would store the answer after the use case."""
    storage.armed = True
    return text


def wait_out_the_lease(app: TickEx) -> None:
    clock = app.clock
    assert isinstance(clock, FixedClock)
    clock.advance(LEASE)


def test_a_free_order_and_its_answer_commit_together() -> None:
    storage = StorageThatDies()
    app, command = sale(price_minor=0, storage=storage)
    with pytest.raises(ProcessDied):  # after the order's unit of work committed
        app.place_order_idempotently(command, KEY, lambda p: dying_after(storage, render(p)))
    wait_out_the_lease(app)
    again = app.place_order_idempotently(command, KEY, render)
    assert again.replayed
    assert " paid " in again.body
    assert orders(app) == 1


def test_a_refund_and_its_answer_commit_together() -> None:
    storage = StorageThatDies()
    app, command = sale(storage=storage)
    placed = app.place_order(command)
    app.confirm_payment(ConfirmPayment(
        provider="local", provider_event_id="evt-1", order_id=placed.order_id,
        amount_minor=placed.totals.total.amount_minor, currency="EUR",
    ))  # fmt: skip
    organizer = app.services.read(lambda uow: uow.orders.get(placed.order_id)).organizer_id
    refund = RefundOrder(organizer_id=organizer, order_id=placed.order_id, amount_minor=100)

    def answer(order: Order) -> str:
        return f"{order.id} refunded {order.refunded_amount.amount_minor}"

    with pytest.raises(ProcessDied):  # after the refund's unit of work committed
        app.refund_order_idempotently(refund, KEY, lambda o: dying_after(storage, answer(o)))
    wait_out_the_lease(app)
    again = app.refund_order_idempotently(refund, KEY, answer)
    assert (again.body, again.replayed) == (f"{placed.order_id} refunded 100", True)
    refunds = [t for t in app.ledger_transactions() if t.kind == "refund"]
    assert len(refunds) == 1
