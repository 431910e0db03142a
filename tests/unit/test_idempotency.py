"""Idempotency keys through the facade (``TickEx.in_memory()``): what a library caller
gets, and what the record holds. The HTTP behaviour is in
``tests/integration/http/test_idempotency*.py``."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.idempotency import KEY_LIFETIME, LEASE, IdempotencyKeyReused
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.application.sales.place_order import OrderItem, PlacedOrder, PlaceOrder
from tickex.domain.errors import ValidationFailed
from tickex.facade import TickEx

KEY = "0b8e4f0c-7d1a-4c36-9a51-6f2e3d4c5b6a"


def sale() -> tuple[TickEx, PlaceOrder]:
    app = TickEx.in_memory()
    now = app.clock.now()
    org = app.create_organizer(CreateOrganizer(name="Org", email="org@example.com"))
    event = app.create_event(CreateEvent(
        organizer_id=org.id, title="Show", slug="show", starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2), venue=VenueInput(name="Hall", address="1 St"),
    ))  # fmt: skip
    tt = app.create_ticket_type(CreateTicketType(
        organizer_id=org.id, event_id=event.id, name="GA", price_minor=1000, quantity_total=9,
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
