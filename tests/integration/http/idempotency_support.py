"""What the idempotency-key tests share: the key, payment providers that stall or die,
a paid order of an organizer's own event, and read-outs of orders, holds and quotas."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from tests.integration.http.conftest import Shop
from tests.integration.http.test_organizer import Account
from tickex.adapters.memory.clock import SeededSecretGenerator
from tickex.adapters.memory.payment import InMemoryPaymentGateway
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import SettingsInput, VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.sales.confirm_payment import ConfirmPayment
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.domain.hold import Hold
from tickex.domain.order import Order
from tickex.facade import TickEx
from tickex.ports.payment import CheckoutRequest, CheckoutSession

KEY = "3f1c7a52-9e4b-4d0a-8c6e-2b7d9f0e1a54"  # a random UUID, as a client would send


def keyed(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Idempotency-Key": key}


class ProcessDied(BaseException):
    """Stands for the process being killed at this point: nothing after it runs, no
    ``except Exception`` sees it (the real SIGKILL is in ``test_idempotency_storage``)."""


class GatedPayments(InMemoryPaymentGateway):
    """A provider that answers a checkout only once the test opens ``gate``: the request
    that reached it (``entered``) stays in flight until then. A remote provider (not
    ``in_process``): asked after the order's unit of work committed."""

    in_process = False

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.gate = threading.Event()

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        self.entered.set()
        assert self.gate.wait(60), "the test never opened the gate"
        return super().create_checkout(request)


class DyingPayments(InMemoryPaymentGateway):
    """The process dies while asking for the first checkout (after the order committed:
    a remote provider, not ``in_process``)."""

    in_process = False

    def __init__(self) -> None:
        super().__init__()
        self.deaths = 1

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        if self.deaths:
            self.deaths -= 1
            raise ProcessDied
        return super().create_checkout(request)


class DyingSecrets(SeededSecretGenerator):
    """Once ``armed``, the process dies while the order is being written (its unit of work
    has begun, nothing of it is committed)."""

    armed = False

    def order_code(self) -> str:
        if self.armed:
            self.armed = False
            raise ProcessDied
        return super().order_code()


def the_order_body_as_a_command(shop: Shop) -> PlaceOrder:
    """Exactly the command ``placeOrder`` builds from ``conftest.order_body(shop)``."""
    return PlaceOrder(
        event_slug=shop.slug, items=[OrderItem(ticket_type_id=shop.ga, quantity=2)],
        customer_email="ana@example.com", customer_name="Ana",
    )  # fmt: skip


def orders_of(tickex: TickEx, shop: Shop) -> list[Order]:
    return tickex.services.read(lambda uow: uow.orders.list_by_event(shop.event_id))


def held(tickex: TickEx, shop: Shop) -> int:
    """Tickets held on the general-admission quota."""

    def read(uow: Any) -> int:
        ticket_type = uow.ticket_types.get(shop.ga)
        return int(uow.quotas.get(ticket_type.quota_id).held)

    return tickex.services.read(read)


def active_holds(tickex: TickEx) -> list[Hold]:
    later = tickex.clock.now() + timedelta(days=3650)
    return tickex.services.read(lambda uow: uow.holds.list_expired(later, 1000))


def open_sale(tickex: TickEx, organizer_id: str, slug: str, seats: int = 10) -> str:
    """A published event of ``organizer_id``'s, ``seats`` tickets at 1000 cents: the ticket
    type's id."""
    now = tickex.clock.now()
    event = tickex.create_event(CreateEvent(
        organizer_id=organizer_id, title=slug, slug=slug, starts_at=now + timedelta(days=9),
        ends_at=now + timedelta(days=9, hours=2), venue=VenueInput(name="Hall", address="1 St"),
        settings=SettingsInput(currency="EUR"),
    ))  # fmt: skip
    tt = tickex.create_ticket_type(CreateTicketType(
        organizer_id=organizer_id, event_id=event.id, name="GA", price_minor=1000,
        quantity_total=seats,
    ))  # fmt: skip
    tickex.publish_event(PublishEvent(organizer_id=organizer_id, event_id=event.id))
    return tt.id


def paid_order(tickex: TickEx, account: Account, slug: str) -> str:
    """A paid order of two tickets for a new event of ``account``'s."""
    assert account.organizer_id is not None
    ticket_type = open_sale(tickex, account.organizer_id, slug)
    placed = tickex.place_order(PlaceOrder(
        event_slug=slug, customer_email="cy@example.com",
        items=[OrderItem(ticket_type_id=ticket_type, quantity=2)],
    ))  # fmt: skip
    tickex.confirm_payment(ConfirmPayment(
        provider="local", provider_event_id=f"evt-{slug}", order_id=placed.order_id,
        amount_minor=placed.totals.total.amount_minor, currency="EUR",
    ))  # fmt: skip
    return placed.order_id
