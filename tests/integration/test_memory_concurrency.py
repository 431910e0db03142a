"""Many buyers at once through the application: exactly as many orders as seats."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from tickex import (
    CreateEvent,
    CreateOrganizer,
    CreateTicketType,
    OrderItem,
    PlaceOrder,
    PublishEvent,
    TickEx,
    VenueInput,
)
from tickex.domain.errors import DomainError


def _sale(seats: int) -> tuple[TickEx, str, str]:
    app = TickEx.in_memory()
    now = app.services.clock.now()
    org = app.create_organizer(CreateOrganizer(name="Org", email="org@example.com"))
    event = app.create_event(
        CreateEvent(
            organizer_id=org.id,
            title="Flash",
            slug="flash",
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=2),
            venue=VenueInput(name="Hall", address="1 St"),
        )
    )
    tt = app.create_ticket_type(
        CreateTicketType(
            organizer_id=org.id,
            event_id=event.id,
            name="GA",
            price_minor=1000,
            quantity_total=seats,
        )
    )
    app.publish_event(PublishEvent(organizer_id=org.id, event_id=event.id))
    return app, event.id, tt.id


def test_forty_threads_for_ten_seats_make_exactly_ten_orders() -> None:
    app, event_id, type_id = _sale(seats=10)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(40)

    def buyer(n: int) -> None:
        barrier.wait()
        try:
            app.place_order(
                PlaceOrder(
                    event_id=event_id,
                    customer_email=f"b{n}@example.com",
                    items=[OrderItem(ticket_type_id=type_id, quantity=1)],
                )
            )
            result = "order"
        except DomainError as exc:
            result = exc.code
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == Counter({"order": 10, "sold_out": 30})
    with app.services.storage.unit_of_work() as uow:
        quota = uow.quotas.list_by_event(event_id)[0]
    assert (quota.held, quota.sold) == (10, 0)
