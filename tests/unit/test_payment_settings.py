"""Payment provider settings and wiring: ``TICKEX_PAYMENT_PROVIDER=stripe`` needs its key
and webhook secret(s), ``stripe-fake`` starts the fake Stripe in the process (never in
production), ``local`` stays the default; and what a checkout asks the provider for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.payment import InMemoryPaymentGateway
from tickex.adapters.stripe_payments import StripePaymentGateway
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_promo_code import CreatePromoCode
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import SettingsInput, VenueInput
from tickex.application.catalog.get_event import GetEvent
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.application.organizers.payment_account import StartPaymentOnboarding
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.bootstrap import FAKE_STRIPE_WEBHOOK_SECRET, build_payments
from tickex.domain.event import FeePolicy, TaxMode
from tickex.domain.money import Money
from tickex.domain.promo_code import DiscountKind
from tickex.entrypoints.demo import seed_demo
from tickex.facade import TickEx
from tickex.ports.payment import CheckoutLine
from tickex.settings import Settings, SettingsError
from tickex.testing import builders as b

SEED = "A" * 43
STRIPE = {"payment_provider": "stripe", "stripe_secret_key": "sk_test_51Abc",
          "stripe_webhook_secret": "whsec_old, whsec_new"}  # fmt: skip


def test_local_stays_the_default() -> None:
    settings = Settings.load(environment="test")
    assert settings.payment_provider == "local"
    assert isinstance(build_payments(settings, FixedClock()), InMemoryPaymentGateway)


def test_stripe_takes_its_key_and_every_webhook_secret() -> None:
    settings = Settings.load(environment="test", **STRIPE)
    assert settings.stripe_webhook_secrets() == ("whsec_old", "whsec_new")
    gateway = build_payments(settings, FixedClock())
    assert isinstance(gateway, StripePaymentGateway)
    assert gateway.livemode is False
    assert "sk_test_51Abc" not in repr(settings)
    assert "whsec_old" not in repr(settings)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [({"payment_provider": "stripe"}, "TICKEX_STRIPE_SECRET_KEY and TICKEX_STRIPE_WEBHOOK_SECRET"),
     ({**STRIPE, "stripe_webhook_secret": None}, "TICKEX_STRIPE_WEBHOOK_SECRET required"),
     ({**STRIPE, "stripe_secret_key": "pk_test_publishable"}, "TICKEX_STRIPE_SECRET_KEY"),
     ({**STRIPE, "stripe_webhook_secret": "whsec_a,secret"}, "TICKEX_STRIPE_WEBHOOK_SECRET"),
     ({**STRIPE, "stripe_base_url": "http://stripe.example"}, "TICKEX_STRIPE_BASE_URL"),
     ({"payment_provider": "paypal"}, "TICKEX_PAYMENT_PROVIDER"),
     ({"payment_provider": "stripe-fake", "environment": "production", "signing_key": SEED,
       "access_token_key": SEED}, "stripe-fake takes no money")],
)  # fmt: skip
def test_incomplete_or_wrong_stripe_settings_are_reported_by_name(
    overrides: dict[str, Any], named: str
) -> None:
    values = {"environment": "test", **overrides}
    with pytest.raises(SettingsError, match=named) as refused:
        Settings.load(**{k: v for k, v in values.items() if v is not None})
    assert "pk_test_publishable" not in str(refused.value)


@pytest.fixture
def fake_stripe_app() -> Iterator[TickEx]:
    settings = Settings.load(environment="test", database_url="memory://",
                             payment_provider="stripe-fake")  # fmt: skip
    return TickEx.in_memory(payments=build_payments(settings, FixedClock(b.T0)))


def shop(app: TickEx, **settings: Any) -> tuple[str, str, str]:
    now = app.clock.now()
    org = app.create_organizer(CreateOrganizer(name="N", email="n@example.com"))
    event = app.create_event(CreateEvent(
        organizer_id=org.id, title="Show", slug="show", starts_at=now + timedelta(days=9),
        ends_at=now + timedelta(days=9, hours=2), venue=VenueInput(name="H", address="A"),
        settings=SettingsInput(**settings)))  # fmt: skip
    ga, vip = (app.create_ticket_type(CreateTicketType(
        organizer_id=org.id, event_id=event.id, name=name, price_minor=price,
        quantity_total=20)).id for name, price in (("GA", 2500), ("VIP", 3333)))  # fmt: skip
    app.create_promo_code(CreatePromoCode(organizer_id=org.id, event_id=event.id, code="TEN",
                                          kind=DiscountKind.PERCENT, percent_bp=1000))  # fmt: skip
    if app.services.sales.payments.connected_accounts:  # the fake's accounts open enabled
        app.start_payment_onboarding(StartPaymentOnboarding(organizer_id=org.id))
    app.publish_event(PublishEvent(organizer_id=org.id, event_id=event.id))
    return event.id, ga, vip


def test_stripe_fake_starts_a_local_stripe_whose_page_the_buyer_pays_on(
    fake_stripe_app: TickEx,
) -> None:
    event_id, ga, _ = shop(fake_stripe_app)
    placed = fake_stripe_app.place_order(PlaceOrder(
        event_id=event_id, customer_email="ana@example.com",
        items=[OrderItem(ticket_type_id=ga, quantity=2)]))  # fmt: skip
    assert fake_stripe_app.payment_provider() == "stripe"
    assert placed.payment_url is not None
    assert placed.payment_url.startswith("http://127.0.0.1:")
    page = httpx.get(placed.payment_url)
    assert page.status_code == 200
    assert "51.50 EUR" in page.text
    assert FAKE_STRIPE_WEBHOOK_SECRET.startswith("whsec_")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [({}, [("GA", 2, 4500, 500), ("VIP", 1, 3000, 333), ("Service fee", 1, 225, 0)]),
     ({"fee_policy": FeePolicy.ABSORB}, [("GA", 2, 4500, 500), ("VIP", 1, 3000, 333)]),
     ({"tax_mode": TaxMode.EXCLUSIVE, "tax_rate_bp": 2000},
      [("GA", 2, 4500, 500), ("VIP", 1, 3000, 333), ("Tax", 1, 1500, 0),
       ("Service fee", 1, 270, 0)])],
)  # fmt: skip
def test_a_checkout_has_a_line_per_ticket_type_and_its_lines_add_up_to_the_total(
    settings: dict[str, Any], expected: list[tuple[str, int, int, int]]
) -> None:
    app = TickEx.in_memory()
    event_id, ga, vip = shop(app, **settings)
    placed = app.place_order(PlaceOrder(
        event_id=event_id, customer_email="ana@example.com", promo_code="TEN",
        items=[OrderItem(ticket_type_id=ga, quantity=2), OrderItem(ticket_type_id=vip,
                                                                   quantity=1)]))  # fmt: skip
    gateway = app.services.sales.payments
    assert isinstance(gateway, InMemoryPaymentGateway)
    (session,) = gateway.sessions.values()
    lines = session.request.lines
    got = [(line.name, line.quantity, line.amount.amount_minor,
            (line.discount or Money.zero("EUR")).amount_minor) for line in lines]  # fmt: skip
    assert got == expected
    assert Money.sum((line.amount for line in lines), "EUR") == placed.totals.total
    assert all(isinstance(line, CheckoutLine) for line in lines)
    assert session.request.success_url == (
        f"http://127.0.0.1:8000/v1/orders/{placed.order_id}?email=ana@example.com")  # fmt: skip
    assert session.request.cancel_url == session.request.success_url


def test_the_fake_stripe_refuses_several_server_workers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tickex.entrypoints.http.serve import serve

    monkeypatch.setenv("TICKEX_DATABASE_URL", f"sqlite:///{tmp_path / 't.db'}")
    monkeypatch.setenv("TICKEX_PAYMENT_PROVIDER", "stripe-fake")
    assert serve(workers=2) == 2
    assert "fake Stripe lives in one process" in capsys.readouterr().err


def test_seed_demo_under_stripe_fake_onboards_its_organizer_and_publishes(
    fake_stripe_app: TickEx,
) -> None:
    app = TickEx(fake_stripe_app.services.with_ports(organizer_self_serve=True))
    slug, created = seed_demo(app)
    assert created
    assert str(app.get_event(GetEvent(slug=slug)).event.status) == "published"
