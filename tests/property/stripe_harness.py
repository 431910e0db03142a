"""What the Stripe property tests share: the fake Stripe with one endpoint delivering to
the application's webhook use case, and a shop of one paid ticket type sold by an
organizer whose connected account can take charges."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.stripe_payments import StripePaymentGateway
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.application.organizers.payment_account import StartPaymentOnboarding
from tickex.application.sales.receive_payment_webhook import InvalidWebhook, ReceivePaymentWebhook
from tickex.facade import TickEx
from tickex.testing import builders as b
from tickex.testing.fake_stripe import FakeStripe, WebhookEndpoint


@dataclass(frozen=True)
class Harness:
    stripe: FakeStripe
    endpoint: WebhookEndpoint  # delivers to ``app``: 200, or 400 for a rejected request
    gateway: StripePaymentGateway
    app: TickEx


@contextmanager
def stripe_app() -> Iterator[Harness]:
    clock = FixedClock(b.T0)
    with FakeStripe(clock=clock) as stripe:
        endpoint = stripe.add_endpoint(lambda body, headers: 500)
        gateway = StripePaymentGateway(
            stripe.secret_key, webhook_secrets=[endpoint.secret], clock=clock,
            base_url=stripe.url, max_network_retries=0,
        )  # fmt: skip
        app = TickEx.in_memory(clock=clock, payments=gateway)

        def receive(body: bytes, headers: Mapping[str, str]) -> int:
            command = ReceivePaymentWebhook(payload=body, signature=headers["Stripe-Signature"])
            try:
                app.receive_payment_webhook(command)
            except InvalidWebhook:
                return 400
            return 200

        endpoint.target = receive
        yield Harness(stripe, endpoint, gateway, app)


@dataclass(frozen=True)
class Shop:
    organizer_id: str
    event_id: str
    ticket_type_id: str


def open_shop(app: TickEx, stripe: FakeStripe, account: str, *, price: int,
              seats: int) -> Shop:  # fmt: skip
    now = app.clock.now()
    org = app.create_organizer(
        CreateOrganizer(name="N", email="n@example.com", payment_account_id=account)
    )
    stripe.add_account(account, charges_enabled=True, currently_due=[], disabled_reason=None)
    app.start_payment_onboarding(StartPaymentOnboarding(organizer_id=org.id))  # reads it back
    event = app.create_event(CreateEvent(
        organizer_id=org.id, title="Show", slug="show", starts_at=now + timedelta(days=9),
        ends_at=now + timedelta(days=9, hours=2), venue=VenueInput(name="H", address="A"),
    ))  # fmt: skip
    ga = app.create_ticket_type(CreateTicketType(
        organizer_id=org.id, event_id=event.id, name="GA", price_minor=price,
        quantity_total=seats,
    ))  # fmt: skip
    app.publish_event(PublishEvent(organizer_id=org.id, event_id=event.id))
    return Shop(org.id, event.id, ga.id)
