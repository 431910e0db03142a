"""The use cases, end to end through ``TickEx.in_memory()``: a fixed clock that moves only
when told, sequential ids, the local payment provider and the in-memory mailer.

Assertions are on state: quota counters, orders, tickets, ledger, outbox, sent mail.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from pydantic import ValidationError

from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.mail import InMemoryMailer
from tickex.adapters.memory.payment import InMemoryPaymentGateway
from tickex.adapters.mime import render_mime
from tickex.application.catalog.cancel_event import CancelEvent
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_promo_code import CreatePromoCode
from tickex.application.catalog.create_quota import CreateQuota, ResizeQuota
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import RefundPolicyInput, SettingsInput, VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.catalog.update_event import UpdateEvent
from tickex.application.catalog.update_ticket_type import UpdateTicketType
from tickex.application.date_bounds import DateOutOfRange
from tickex.application.delivery import ticket_email as ticket_email_module
from tickex.application.door.check_in import MAX_OFFLINE_AGE, CheckInTicket, ScanResult
from tickex.application.finance.organizer_metrics import GetOrganizerMetrics
from tickex.application.finance.record_payout import RecordPayout
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.application.sales.cancel_order import CancelOrder
from tickex.application.sales.confirm_payment import ConfirmPayment, Outcome, PaymentConfirmation
from tickex.application.sales.get_order import GetOrder
from tickex.application.sales.place_order import OrderItem, PlacedOrder, PlaceOrder
from tickex.application.sales.refund_order import RefundOrder
from tickex.domain.check_in import CheckInResult, RejectionReason, ScanDirection
from tickex.domain.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    NotOnSale,
    OrderLimitExceeded,
    PaymentMismatch,
    PromoCodeExhausted,
    PromoCodeInvalid,
    RefundNotAllowed,
    SoldOut,
    TotalChanged,
    ValidationFailed,
)
from tickex.domain.event import EventStatus, FeePolicy
from tickex.domain.ledger import (
    CLEARING,
    PLATFORM_REVENUE,
    LedgerTransaction,
    TransactionKind,
    balances,
    organizer_payable,
)
from tickex.domain.money import Money
from tickex.domain.order import Order, OrderStatus
from tickex.domain.outbox import MessageKind, OutboxMessage
from tickex.domain.promo_code import DiscountKind, PromoCode
from tickex.domain.quota import AvailabilityState, Quota
from tickex.domain.ticket import Ticket, TicketStatus
from tickex.facade import TickEx
from tickex.ports.signer import TicketClaims
from tickex.ports.unit_of_work import UnitOfWork
from tickex.testing.qr_reader import decode_qr, grey_pixels

T = TypeVar("T")

BUYER = "ana@example.com"
GA_PRICE = 2500  # the default platform fee is 3 %, passed on: one GA costs 25.75 EUR
_provider_events = itertools.count(1)


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


# -- the shop: an organizer with one event and its "GA" ticket type ---------------------------


@dataclass
class Shop:
    app: TickEx
    org_id: str
    event_id: str
    ga_id: str

    @property
    def clock(self) -> FixedClock:
        clock = self.app.services.clock
        assert isinstance(clock, FixedClock)
        return clock

    @property
    def mailer(self) -> InMemoryMailer:
        mailer = self.app.services.delivery.mailer
        assert isinstance(mailer, InMemoryMailer)
        return mailer

    @property
    def payments(self) -> InMemoryPaymentGateway:
        payments = self.app.services.sales.payments
        assert isinstance(payments, InMemoryPaymentGateway)
        return payments


def new_organizer(app: TickEx, name: str = "Nightjar") -> str:
    return app.create_organizer(CreateOrganizer(name=name, email="org@example.com")).id


def new_event(
    app: TickEx, org_id: str, *, slug: str = "show", capacity: int | None = None, **settings: Any
) -> str:
    now = app.services.clock.now()
    return app.create_event(
        CreateEvent(
            organizer_id=org_id,
            title="Show",
            slug=slug,
            capacity=capacity,
            starts_at=now + timedelta(days=30),
            ends_at=now + timedelta(days=30, hours=4),
            venue=VenueInput(name="Harbour Hall", address="1 Quay Street"),
            settings=SettingsInput(**settings),
        )
    ).id


def add_type(
    app: TickEx,
    org_id: str,
    event_id: str,
    *,
    name: str = "GA",
    price: int = GA_PRICE,
    quantity: int = 10,
    **kw: Any,
) -> str:
    return app.create_ticket_type(
        CreateTicketType(
            organizer_id=org_id,
            event_id=event_id,
            name=name,
            price_minor=price,
            quantity_total=quantity,
            **kw,
        )
    ).id


def publish(app: TickEx, org_id: str, event_id: str) -> None:
    app.publish_event(PublishEvent(organizer_id=org_id, event_id=event_id))


def make_shop(
    *,
    quantity: int = 10,
    capacity: int | None = None,
    published: bool = True,
    slug: str = "show",
    **settings: Any,
) -> Shop:
    app = TickEx.in_memory()
    org_id = new_organizer(app)
    event_id = new_event(app, org_id, slug=slug, capacity=capacity, **settings)
    ga_id = add_type(app, org_id, event_id, quantity=quantity)
    if published:
        publish(app, org_id, event_id)
    return Shop(app, org_id, event_id, ga_id)


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def buy(
    shop: Shop, qty: int = 1, *, type_id: str | None = None, email: str = BUYER, **kw: Any
) -> PlacedOrder:
    items = [OrderItem(ticket_type_id=type_id or shop.ga_id, quantity=qty)]
    return shop.app.place_order(
        PlaceOrder(event_id=shop.event_id, customer_email=email, items=items, **kw)
    )


def pay(
    shop: Shop,
    placed: PlacedOrder,
    *,
    provider_event_id: str | None = None,
    amount: int | None = None,
) -> PaymentConfirmation:
    return shop.app.confirm_payment(
        ConfirmPayment(
            provider="local",
            provider_event_id=provider_event_id or f"evt_{next(_provider_events)}",
            order_id=placed.order_id,
            currency="EUR",
            amount_minor=placed.totals.total.amount_minor if amount is None else amount,
        )
    )


def bought(shop: Shop, qty: int = 1, **kw: Any) -> PlacedOrder:
    placed = buy(shop, qty, **kw)
    assert pay(shop, placed).outcome is Outcome.PAID
    return placed


def read(shop: Shop, work: Callable[[UnitOfWork], T]) -> T:
    with shop.app.services.storage.unit_of_work() as uow:
        return work(uow)


def quota(shop: Shop, quota_id: str) -> Quota:
    found = read(shop, lambda uow: uow.quotas.get(quota_id))
    assert found is not None
    return found


def own_quota(shop: Shop, type_id: str | None = None) -> Quota:
    tt = read(shop, lambda uow: uow.ticket_types.get(type_id or shop.ga_id))
    assert tt is not None
    return quota(shop, tt.quota_id)


def venue_quota(shop: Shop) -> Quota:
    event = read(shop, lambda uow: uow.events.get(shop.event_id))
    assert event is not None
    assert event.capacity_quota_id is not None
    return quota(shop, event.capacity_quota_id)


def counters(q: Quota) -> tuple[int, int]:
    return q.sold, q.held


def order(shop: Shop, order_id: str) -> Order:
    found = read(shop, lambda uow: uow.orders.get(order_id))
    assert found is not None
    return found


def orders(shop: Shop) -> list[Order]:
    return read(shop, lambda uow: uow.orders.list_by_event(shop.event_id))


def tickets(shop: Shop, order_id: str) -> list[Ticket]:
    return read(shop, lambda uow: uow.tickets.list_by_order(order_id))


def promo(shop: Shop, code: str) -> PromoCode:
    found = read(shop, lambda uow: uow.promo_codes.get_by_code(shop.event_id, code))
    assert found is not None
    return found


def token(shop: Shop, order_id: str, n: int = 0) -> str:
    details = shop.app.get_order(GetOrder(order_id=order_id, organizer_id=shop.org_id))
    return details.tokens[details.tickets[n].id]


def scan(shop: Shop, token_: str, nonce: str, **kw: Any) -> ScanResult:
    kw.setdefault("event_id", shop.event_id)
    return shop.app.check_in(CheckInTicket(token=token_, nonce=nonce, **kw))


def outbox(shop: Shop) -> list[OutboxMessage]:
    """Messages still waiting for delivery (due at any time in the next year)."""
    later = shop.clock.now() + timedelta(days=365)
    return read(shop, lambda uow: uow.outbox.due(later, 1000))


def kinds(messages: list[OutboxMessage]) -> list[MessageKind]:
    return sorted(m.kind for m in messages)


def ledger(shop: Shop, order_id: str | None = None) -> list[LedgerTransaction]:
    if order_id is None:
        return read(shop, lambda uow: uow.ledger.list_all())
    return read(shop, lambda uow: uow.ledger.list_for_order(order_id))


def balance(shop: Shop, account: str) -> int:
    return balances(ledger(shop)).get((account, "EUR"), 0)


def add_code(shop: Shop, code: str = "SAVE10", **kw: Any) -> PromoCode:
    kw.setdefault("kind", DiscountKind.PERCENT)
    if kw["kind"] is DiscountKind.PERCENT:
        kw.setdefault("percent_bp", 1000)
    return shop.app.create_promo_code(
        CreatePromoCode(organizer_id=shop.org_id, event_id=shop.event_id, code=code, **kw)
    )


def refund(shop: Shop, order_id: str, **kw: Any) -> Order:
    return shop.app.refund_order(RefundOrder(organizer_id=shop.org_id, order_id=order_id, **kw))


# == events =================================================================================


def test_new_event_is_a_draft_of_its_organizer() -> None:
    shop = make_shop(published=False)
    event = read(shop, lambda uow: uow.events.get(shop.event_id))
    assert event is not None
    assert (event.status, event.organizer_id) == (EventStatus.DRAFT, shop.org_id)


def test_event_for_an_unknown_organizer_is_not_found() -> None:
    app = TickEx.in_memory()
    with pytest.raises(NotFound):
        new_event(app, "org-nobody")


def test_event_slug_is_unique() -> None:
    shop = make_shop()
    with pytest.raises(Conflict) as exc:
        new_event(shop.app, shop.org_id, slug="show")
    assert exc.value.code == "conflict"


def test_update_event_changes_its_details() -> None:
    shop = make_shop(published=False)
    shop.app.update_event(
        UpdateEvent(
            organizer_id=shop.org_id,
            event_id=shop.event_id,
            title="Encore",
            settings=SettingsInput(currency="EUR", tax_rate_bp=700),
        )
    )
    event = read(shop, lambda uow: uow.events.get(shop.event_id))
    assert event is not None
    assert (event.title, event.settings.tax_rate_bp) == ("Encore", 700)


def test_publishing_needs_a_ticket_type() -> None:
    app = TickEx.in_memory()
    org_id = new_organizer(app)
    event_id = new_event(app, org_id)
    with pytest.raises(InvalidTransition):
        publish(app, org_id, event_id)


def test_publish_event_puts_it_on_sale() -> None:
    shop = make_shop(published=False)
    publish(shop.app, shop.org_id, shop.event_id)
    assert buy(shop).status is OrderStatus.PENDING


def test_currency_cannot_change_once_published(shop: Shop) -> None:
    with pytest.raises(InvalidTransition):
        shop.app.update_event(
            UpdateEvent(
                organizer_id=shop.org_id,
                event_id=shop.event_id,
                settings=SettingsInput(currency="USD"),
            )
        )


def test_cancel_draft_event() -> None:
    shop = make_shop(published=False)
    result = shop.app.cancel_event(CancelEvent(organizer_id=shop.org_id, event_id=shop.event_id))
    assert result.event.status is EventStatus.CANCELLED
    assert (result.orders_cancelled, result.orders_refunded, result.failures) == (0, 0, ())


FOREIGN_ACTIONS: dict[str, Callable[[TickEx, str, str], object]] = {
    "update": lambda app, org, ev: app.update_event(
        UpdateEvent(organizer_id=org, event_id=ev, title="Mine now")
    ),
    "publish": lambda app, org, ev: app.publish_event(PublishEvent(organizer_id=org, event_id=ev)),
    "cancel": lambda app, org, ev: app.cancel_event(CancelEvent(organizer_id=org, event_id=ev)),
    "add_ticket_type": lambda app, org, ev: add_type(app, org, ev),
    "add_quota": lambda app, org, ev: app.create_quota(
        CreateQuota(organizer_id=org, event_id=ev, name="Balcony", size=5)
    ),
    "add_promo_code": lambda app, org, ev: app.create_promo_code(
        CreatePromoCode(
            organizer_id=org, event_id=ev, code="MINE", kind=DiscountKind.PERCENT, percent_bp=100
        )
    ),
}


@pytest.mark.parametrize("action", FOREIGN_ACTIONS)
def test_foreign_organizer_gets_not_found(action: str) -> None:
    shop = make_shop(published=False)
    stranger = new_organizer(shop.app, "Stranger")
    with pytest.raises(NotFound) as exc:
        FOREIGN_ACTIONS[action](shop.app, stranger, shop.event_id)
    assert exc.value.code == "not_found"
    event = read(shop, lambda uow: uow.events.get(shop.event_id))
    assert event is not None
    assert (event.title, event.status) == ("Show", EventStatus.DRAFT)


def test_changing_a_draft_currency_keeps_its_ticket_types_sellable() -> None:
    shop = make_shop(published=False)
    try:
        shop.app.update_event(
            UpdateEvent(
                organizer_id=shop.org_id,
                event_id=shop.event_id,
                settings=SettingsInput(currency="USD"),
            )
        )
    except DomainError:
        return  # refusing the change is a correct answer too
    publish(shop.app, shop.org_id, shop.event_id)
    assert buy(shop).totals.total.currency == "USD"


# == ticket types and quotas ================================================================


def test_ticket_types_share_the_event_capacity() -> None:
    shop = make_shop(capacity=3, quantity=3, published=False)
    vip_id = add_type(shop.app, shop.org_id, shop.event_id, name="VIP", price=6000, quantity=1)
    publish(shop.app, shop.org_id, shop.event_id)
    buy(shop, 3)
    with pytest.raises(SoldOut):
        buy(shop, 1, type_id=vip_id)
    assert counters(own_quota(shop, vip_id)) == (0, 0)


def test_ticket_type_draws_from_a_shared_quota() -> None:
    shop = make_shop(published=False)
    balcony = shop.app.create_quota(
        CreateQuota(organizer_id=shop.org_id, event_id=shop.event_id, name="Balcony", size=2)
    )
    front = add_type(
        shop.app, shop.org_id, shop.event_id, name="Front", shared_quota_ids=[balcony.id]
    )
    back = add_type(
        shop.app, shop.org_id, shop.event_id, name="Back", shared_quota_ids=[balcony.id]
    )
    publish(shop.app, shop.org_id, shop.event_id)
    buy(shop, 2, type_id=front)
    with pytest.raises(SoldOut):
        buy(shop, 1, type_id=back)
    assert counters(quota(shop, balcony.id)) == (0, 2)


def test_shared_quota_of_another_event_is_not_found() -> None:
    shop = make_shop(published=False)
    other_event = new_event(shop.app, shop.org_id, slug="other-show")
    foreign = shop.app.create_quota(
        CreateQuota(organizer_id=shop.org_id, event_id=other_event, name="Balcony", size=2)
    )
    with pytest.raises(NotFound):
        add_type(shop.app, shop.org_id, shop.event_id, shared_quota_ids=[foreign.id])


def test_cancelled_event_gets_no_new_ticket_types() -> None:
    shop = make_shop()
    shop.app.cancel_event(CancelEvent(organizer_id=shop.org_id, event_id=shop.event_id))
    with pytest.raises(InvalidTransition):
        add_type(shop.app, shop.org_id, shop.event_id, name="Late")


def test_update_ticket_type_changes_price_and_resizes_its_quota(shop: Shop) -> None:
    updated = shop.app.update_ticket_type(
        UpdateTicketType(
            organizer_id=shop.org_id, ticket_type_id=shop.ga_id, price_minor=3000, quantity_total=25
        )
    )
    assert updated.price == eur(3000)
    assert own_quota(shop).size == 25
    assert buy(shop).totals.subtotal == eur(3000)


def test_resize_below_sold_plus_held_is_refused(shop: Shop) -> None:
    bought(shop, 2)
    buy(shop, 1, email="ben@example.com")
    with pytest.raises(ValidationFailed):
        shop.app.update_ticket_type(
            UpdateTicketType(
                organizer_id=shop.org_id,
                ticket_type_id=shop.ga_id,
                quantity_total=2,
                name="Renamed",
            )
        )
    q = own_quota(shop)
    assert (q.size, q.sold, q.held, q.name) == (10, 2, 1, "GA")


def test_resize_to_exactly_sold_plus_held_is_allowed(shop: Shop) -> None:
    bought(shop, 2)
    buy(shop, 1, email="ben@example.com")
    shop.app.update_ticket_type(
        UpdateTicketType(organizer_id=shop.org_id, ticket_type_id=shop.ga_id, quantity_total=3)
    )
    assert own_quota(shop).size == 3
    with pytest.raises(SoldOut):
        buy(shop, 1, email="cy@example.com")


def test_shared_quota_cannot_shrink_below_what_it_holds() -> None:
    shop = make_shop(capacity=5)
    buy(shop, 3)
    venue = venue_quota(shop)
    with pytest.raises(ValidationFailed):
        shop.app.resize_quota(ResizeQuota(organizer_id=shop.org_id, quota_id=venue.id, size=2))
    assert venue_quota(shop).size == 5


def test_explicit_null_in_an_update_leaves_the_field_unchanged(shop: Shop) -> None:
    updated = shop.app.update_ticket_type(
        UpdateTicketType(organizer_id=shop.org_id, ticket_type_id=shop.ga_id, name=None)
    )
    assert updated.name == "GA"


# == place_order ============================================================================


def test_place_order_holds_the_tickets_and_starts_a_payment(shop: Shop) -> None:
    placed = buy(shop, 2)
    assert placed.status is OrderStatus.PENDING
    assert placed.payment_url == "http://127.0.0.1:8000/pay/cs_local_000001"
    t = placed.totals
    assert (t.subtotal, t.discount, t.tax, t.platform_fee, t.total) == (
        eur(5000),
        eur(0),
        eur(0),
        eur(150),
        eur(5150),
    )
    assert placed.expires_at == shop.clock.now() + timedelta(minutes=15)
    assert counters(own_quota(shop)) == (0, 2)
    stored = order(shop, placed.order_id)
    assert (stored.status, stored.customer_email, stored.payment_reference) == (
        OrderStatus.PENDING,
        BUYER,
        "cs_local_000001",
    )


def test_customer_email_is_stored_lower_case(shop: Shop) -> None:
    placed = buy(shop, email="Ana@Example.COM")
    assert order(shop, placed.order_id).customer_email == "ana@example.com"


def test_place_order_for_an_unknown_event_is_not_found(shop: Shop) -> None:
    with pytest.raises(NotFound):
        shop.app.place_order(
            PlaceOrder(
                event_id="nope",
                customer_email=BUYER,
                items=[OrderItem(ticket_type_id=shop.ga_id, quantity=1)],
            )
        )


def test_place_order_by_slug_resolves_the_event_in_its_own_unit_of_work(shop: Shop) -> None:
    items = [OrderItem(ticket_type_id=shop.ga_id, quantity=2)]
    placed = shop.app.place_order(PlaceOrder(event_slug="show", customer_email=BUYER, items=items))
    assert order(shop, placed.order_id).event_id == shop.event_id
    assert placed.totals.subtotal.amount_minor == 2 * GA_PRICE


def test_place_order_by_the_slug_of_a_draft_or_of_nothing_is_not_found() -> None:
    draft = make_shop(published=False)
    items = [OrderItem(ticket_type_id=draft.ga_id, quantity=1)]
    for slug in ("show", "no-such-show"):
        with pytest.raises(NotFound) as exc:
            draft.app.place_order(PlaceOrder(event_slug=slug, customer_email=BUYER, items=items))
        assert exc.value.context == {"slug": slug}
    assert orders(draft) == []


def test_place_order_takes_exactly_one_of_event_id_and_event_slug(shop: Shop) -> None:
    items = [OrderItem(ticket_type_id=shop.ga_id, quantity=1)]
    with pytest.raises(ValidationError):
        PlaceOrder(customer_email=BUYER, items=items)
    with pytest.raises(ValidationError):
        PlaceOrder(event_id=shop.event_id, event_slug="show", customer_email=BUYER, items=items)


def test_sold_out_raises_and_changes_nothing() -> None:
    shop = make_shop(capacity=10, quantity=2)
    with pytest.raises(SoldOut) as exc:
        buy(shop, 3)
    assert exc.value.code == "sold_out"
    # the venue quota sorts first and had room: its reservation was rolled back too
    assert counters(venue_quota(shop)) == (0, 0)
    assert counters(own_quota(shop)) == (0, 0)
    assert orders(shop) == []
    assert shop.payments.sessions == {}


def test_sold_out_order_succeeds_once_holds_expired_by_time() -> None:
    shop = make_shop(quantity=1)
    first = buy(shop)
    shop.clock.advance(timedelta(minutes=16))  # the sweeper has not run
    second = buy(shop, email="ben@example.com")
    assert second.status is OrderStatus.PENDING
    assert order(shop, first.order_id).status is OrderStatus.EXPIRED
    assert counters(own_quota(shop)) == (0, 1)


def test_hold_still_counts_before_it_expires() -> None:
    shop = make_shop(quantity=1)
    buy(shop)
    shop.clock.advance(timedelta(minutes=14))
    with pytest.raises(SoldOut):
        buy(shop, email="ben@example.com")


def test_hidden_type_is_not_found_without_a_code() -> None:
    shop = make_shop(published=False)
    hidden = add_type(shop.app, shop.org_id, shop.event_id, name="Friends", hidden=True)
    publish(shop.app, shop.org_id, shop.event_id)
    with pytest.raises(NotFound):
        buy(shop, type_id=hidden)


def test_hidden_type_is_not_unlocked_by_an_ordinary_code() -> None:
    shop = make_shop(published=False)
    hidden = add_type(shop.app, shop.org_id, shop.event_id, name="Friends", hidden=True)
    publish(shop.app, shop.org_id, shop.event_id)
    add_code(shop, "SAVE10")
    with pytest.raises(NotFound):
        buy(shop, type_id=hidden, promo_code="SAVE10")


def test_hidden_type_is_sold_with_a_code_that_unlocks_it() -> None:
    shop = make_shop(published=False)
    hidden = add_type(shop.app, shop.org_id, shop.event_id, name="Friends", hidden=True)
    publish(shop.app, shop.org_id, shop.event_id)
    add_code(shop, "FRIENDS", ticket_type_ids=[hidden], unlocks_hidden=True)
    placed = buy(shop, 2, type_id=hidden, promo_code="friends")
    assert placed.totals.discount == eur(500)
    assert counters(own_quota(shop, hidden)) == (0, 2)


@pytest.mark.parametrize("qty", [1, 5])
def test_quantity_outside_the_per_order_range_is_refused(qty: int) -> None:
    shop = make_shop(published=False)
    pairs = add_type(
        shop.app, shop.org_id, shop.event_id, name="Pairs", min_per_order=2, max_per_order=4
    )
    publish(shop.app, shop.org_id, shop.event_id)
    with pytest.raises(OrderLimitExceeded):
        buy(shop, qty, type_id=pairs)
    assert counters(own_quota(shop, pairs)) == (0, 0)


def test_event_limit_on_tickets_per_order() -> None:
    shop = make_shop(max_tickets_per_order=3, published=False)
    vip = add_type(shop.app, shop.org_id, shop.event_id, name="VIP")
    publish(shop.app, shop.org_id, shop.event_id)
    items = [
        OrderItem(ticket_type_id=shop.ga_id, quantity=2),
        OrderItem(ticket_type_id=vip, quantity=2),
    ]
    with pytest.raises(OrderLimitExceeded):
        shop.app.place_order(PlaceOrder(event_id=shop.event_id, customer_email=BUYER, items=items))


def test_per_customer_limit_counts_earlier_live_orders() -> None:
    shop = make_shop(published=False)
    limited = add_type(shop.app, shop.org_id, shop.event_id, name="Limited", max_per_customer=3)
    publish(shop.app, shop.org_id, shop.event_id)
    bought(shop, 2, type_id=limited)
    with pytest.raises(OrderLimitExceeded):
        buy(shop, 2, type_id=limited, email=BUYER.upper())
    assert buy(shop, 1, type_id=limited).status is OrderStatus.PENDING
    assert buy(shop, 2, type_id=limited, email="ben@example.com").status is OrderStatus.PENDING


def test_per_customer_limit_ignores_cancelled_orders() -> None:
    shop = make_shop(published=False)
    limited = add_type(shop.app, shop.org_id, shop.event_id, name="Limited", max_per_customer=2)
    publish(shop.app, shop.org_id, shop.event_id)
    first = buy(shop, 2, type_id=limited)
    shop.app.cancel_order(CancelOrder(order_id=first.order_id, customer_email=BUYER))
    assert buy(shop, 2, type_id=limited).status is OrderStatus.PENDING


def test_per_customer_limit_ignores_orders_whose_hold_expired_by_time() -> None:
    shop = make_shop(published=False)
    limited = add_type(shop.app, shop.org_id, shop.event_id, name="Limited", max_per_customer=2)
    publish(shop.app, shop.org_id, shop.event_id)
    buy(shop, 2, type_id=limited)
    shop.clock.advance(timedelta(minutes=20))  # the sweeper has not run
    assert buy(shop, 2, type_id=limited).status is OrderStatus.PENDING


def test_promo_code_discount_and_case_insensitive_lookup(shop: Shop) -> None:
    add_code(shop, "Save10")
    placed = buy(shop, 2, promo_code="  save10 ")
    assert (placed.totals.discount, placed.totals.total) == (eur(500), eur(4635))
    assert promo(shop, "SAVE10").uses == 1


def test_fixed_promo_code_is_capped_at_the_order(shop: Shop) -> None:
    add_code(shop, "GIFT", kind=DiscountKind.FIXED, fixed_minor=10_000)
    placed = buy(shop, 1, promo_code="GIFT")
    assert (placed.totals.discount, placed.totals.total) == (eur(2500), eur(0))
    assert placed.status is OrderStatus.PAID


def test_unknown_promo_code_is_invalid(shop: Shop) -> None:
    with pytest.raises(PromoCodeInvalid):
        buy(shop, promo_code="NOPE")
    assert counters(own_quota(shop)) == (0, 0)


def test_promo_code_outside_its_window_is_invalid(shop: Shop) -> None:
    add_code(shop, "LATER", valid_from=shop.clock.now() + timedelta(days=1))
    with pytest.raises(PromoCodeInvalid):
        buy(shop, promo_code="LATER")


def test_promo_code_max_uses(shop: Shop) -> None:
    add_code(shop, "ONCE", max_uses=1)
    buy(shop, promo_code="ONCE")
    with pytest.raises(PromoCodeExhausted):
        buy(shop, promo_code="ONCE", email="ben@example.com")
    assert promo(shop, "ONCE").uses == 1
    assert counters(own_quota(shop)) == (0, 1)


def test_cancelled_order_gives_its_promo_use_back(shop: Shop) -> None:
    add_code(shop, "ONCE", max_uses=1)
    first = buy(shop, promo_code="ONCE")
    shop.app.cancel_order(CancelOrder(order_id=first.order_id, customer_email=BUYER))
    assert buy(shop, promo_code="ONCE", email="ben@example.com").totals.discount == eur(250)
    assert promo(shop, "ONCE").uses == 1


def test_promo_use_of_an_expired_hold_is_free_again_before_the_sweep(shop: Shop) -> None:
    add_code(shop, "ONCE", max_uses=1)
    buy(shop, promo_code="ONCE")
    shop.clock.advance(timedelta(minutes=20))  # the sweeper has not run
    assert buy(shop, promo_code="ONCE", email="ben@example.com").status is OrderStatus.PENDING


def test_expected_total_that_changed_is_refused(shop: Shop) -> None:
    with pytest.raises(TotalChanged) as exc:
        buy(shop, 2, expected_total_minor=5000)
    assert exc.value.context == {"total_minor": 5150}
    assert counters(own_quota(shop)) == (0, 0)
    assert orders(shop) == []


def test_expected_total_that_matches_is_accepted(shop: Shop) -> None:
    assert buy(shop, 2, expected_total_minor=5150).status is OrderStatus.PENDING


def test_draft_event_is_not_on_sale() -> None:
    shop = make_shop(published=False)
    with pytest.raises(NotOnSale) as exc:
        buy(shop)
    assert exc.value.code == "not_on_sale"


def test_ended_event_is_not_on_sale(shop: Shop) -> None:
    shop.clock.advance(timedelta(days=31))
    with pytest.raises(NotOnSale):
        buy(shop)


def test_ticket_type_is_sold_only_within_its_sales_window() -> None:
    shop = make_shop(published=False)
    now = shop.clock.now()
    early = add_type(
        shop.app,
        shop.org_id,
        shop.event_id,
        name="Early bird",
        sales_start=now + timedelta(days=1),
        sales_end=now + timedelta(days=2),
    )
    publish(shop.app, shop.org_id, shop.event_id)
    with pytest.raises(NotOnSale):
        buy(shop, type_id=early)
    shop.clock.advance(timedelta(days=1))
    assert buy(shop, type_id=early).status is OrderStatus.PENDING
    shop.clock.advance(timedelta(days=1))
    with pytest.raises(NotOnSale):
        buy(shop, type_id=early)


def test_free_order_is_paid_at_once_with_tickets() -> None:
    shop = make_shop(published=False)
    free = add_type(shop.app, shop.org_id, shop.event_id, name="Guest list", price=0)
    publish(shop.app, shop.org_id, shop.event_id)
    placed = buy(shop, 2, type_id=free)
    assert (placed.status, placed.payment_url, placed.totals.total) == (
        OrderStatus.PAID,
        None,
        eur(0),
    )
    assert [t.id for t in tickets(shop, placed.order_id)] == list(placed.ticket_ids)
    assert len(placed.ticket_ids) == 2
    assert counters(own_quota(shop, free)) == (2, 0)
    assert shop.payments.sessions == {}
    assert ledger(shop, placed.order_id) == []
    assert kinds(outbox(shop)) == [MessageKind.DELIVER_TICKETS]


def test_payment_provider_down_writes_nothing_and_frees_the_hold(shop: Shop) -> None:
    add_code(shop, "ONCE", max_uses=1)
    shop.payments.fail_next_checkout = "down"
    with pytest.raises(DomainError) as exc:
        buy(shop, 2, promo_code="ONCE")
    assert exc.value.code == "payment_unavailable"
    assert counters(own_quota(shop)) == (0, 0)
    assert promo(shop, "ONCE").uses == 0
    assert orders(shop) == []  # made in the order's own unit of work: nothing was written
    assert buy(shop, 2, promo_code="ONCE").status is OrderStatus.PENDING


# == confirm_payment ========================================================================


def test_confirm_payment_issues_tickets_books_the_sale_and_queues_delivery(shop: Shop) -> None:
    placed = buy(shop, 2)
    result = pay(shop, placed)
    assert (result.outcome, result.status) == (Outcome.PAID, OrderStatus.PAID)
    issued = tickets(shop, placed.order_id)
    assert [t.id for t in issued] == list(result.ticket_ids)
    assert [t.price_paid for t in issued] == [eur(2575), eur(2575)]
    assert {t.status for t in issued} == {TicketStatus.ACTIVE}
    assert len({t.secret for t in issued}) == 2
    assert counters(own_quota(shop)) == (2, 0)
    assert [tx.kind for tx in ledger(shop, placed.order_id)] == [
        TransactionKind.SALE,
        TransactionKind.FEE,
    ]
    assert balance(shop, CLEARING) == 5150
    assert balance(shop, organizer_payable(shop.org_id)) == -5000
    assert balance(shop, PLATFORM_REVENUE) == -150
    [message] = outbox(shop)
    assert (message.kind, message.payload) == (
        MessageKind.DELIVER_TICKETS,
        {"order_id": placed.order_id},
    )


def test_confirm_payment_finds_the_order_by_payment_reference(shop: Shop) -> None:
    placed = buy(shop)
    result = shop.app.confirm_payment(
        ConfirmPayment(
            provider="local",
            provider_event_id="evt_ref",
            currency="EUR",
            payment_reference="cs_local_000001",
            amount_minor=2575,
        )
    )
    assert (result.order_id, result.outcome) == (placed.order_id, Outcome.PAID)


def test_processor_fee_is_booked_as_the_platform_cost(shop: Shop) -> None:
    placed = buy(shop)
    shop.app.confirm_payment(
        ConfirmPayment(
            provider="local",
            provider_event_id="evt_fee",
            order_id=placed.order_id,
            amount_minor=2575,
            currency="EUR",
            processor_fee_minor=40,
        )
    )
    assert balance(shop, "processor_fees") == 40
    assert balance(shop, CLEARING) == 2535


def test_duplicate_provider_event_is_reported_and_changes_nothing(shop: Shop) -> None:
    placed = buy(shop, 2)
    pay(shop, placed, provider_event_id="evt_same")
    again = pay(shop, placed, provider_event_id="evt_same")
    assert (again.outcome, again.status, again.ticket_ids) == (
        Outcome.DUPLICATE,
        OrderStatus.PAID,
        (),
    )
    assert len(tickets(shop, placed.order_id)) == 2
    assert len(ledger(shop, placed.order_id)) == 2


def test_second_payment_event_for_a_paid_order_is_already_paid(shop: Shop) -> None:
    placed = buy(shop, 2)
    pay(shop, placed)
    again = pay(shop, placed)
    assert (again.outcome, again.ticket_ids) == (Outcome.ALREADY_PAID, ())
    assert len(tickets(shop, placed.order_id)) == 2
    assert counters(own_quota(shop)) == (2, 0)


def test_payment_of_another_amount_is_refused_and_the_event_can_be_retried(shop: Shop) -> None:
    placed = buy(shop)
    with pytest.raises(PaymentMismatch):
        pay(shop, placed, provider_event_id="evt_1", amount=2500)
    assert order(shop, placed.order_id).status is OrderStatus.PENDING
    assert pay(shop, placed, provider_event_id="evt_1").outcome is Outcome.PAID


def test_payment_for_an_unknown_order_is_not_found(shop: Shop) -> None:
    with pytest.raises(NotFound):
        shop.app.confirm_payment(
            ConfirmPayment(
                provider="local",
                provider_event_id="evt_x",
                order_id="nope",
                amount_minor=100,
                currency="EUR",
            )
        )


def test_payment_after_expiry_before_the_sweep_is_simply_paid(shop: Shop) -> None:
    placed = buy(shop)
    shop.clock.advance(timedelta(minutes=30))
    result = pay(shop, placed)
    assert (result.outcome, len(result.ticket_ids)) == (Outcome.PAID, 1)
    assert counters(own_quota(shop)) == (1, 0)


def test_late_payment_reacquires_the_tickets_when_it_can(shop: Shop) -> None:
    placed = buy(shop, 2)
    shop.clock.advance(timedelta(minutes=20))
    assert shop.app.expire_holds().orders_expired == 1
    assert counters(own_quota(shop)) == (0, 0)
    result = pay(shop, placed)
    assert (result.outcome, result.status, len(result.ticket_ids)) == (
        Outcome.LATE_PAID,
        OrderStatus.PAID,
        2,
    )
    assert counters(own_quota(shop)) == (2, 0)


def test_late_payment_when_sold_out_is_refunded() -> None:
    shop = make_shop(quantity=1)
    late = buy(shop)
    shop.clock.advance(timedelta(minutes=20))
    bought(shop, email="ben@example.com")  # the sweep frees the place; Ben takes it
    result = pay(shop, late)
    assert (result.outcome, result.status, result.ticket_ids) == (
        Outcome.LATE_REFUNDED,
        OrderStatus.REFUNDED,
        (),
    )
    stored = order(shop, late.order_id)
    assert (stored.refunded_amount, stored.fee_refunded) == (eur(2575), eur(75))
    assert tickets(shop, late.order_id) == []
    assert counters(own_quota(shop)) == (1, 0)
    refund_message = next(m for m in outbox(shop) if m.kind is MessageKind.REFUND_PAYMENT)
    assert refund_message.payload["order_id"] == late.order_id
    assert refund_message.payload["amount_minor"] == 2575
    assert MessageKind.NOTIFY_CUSTOMER in kinds(outbox(shop))


def test_late_refund_leaves_the_organizer_nothing_for_that_order() -> None:
    shop = make_shop(quantity=1)
    late = buy(shop)
    shop.clock.advance(timedelta(minutes=20))
    buy(shop, email="ben@example.com")
    pay(shop, late)
    txs = ledger(shop, late.order_id)
    assert balances(txs).get((organizer_payable(shop.org_id), "EUR")) == 0
    assert balances(txs).get((PLATFORM_REVENUE, "EUR")) == 0


def test_late_payment_cannot_exceed_the_promo_code_max_uses(shop: Shop) -> None:
    add_code(shop, "ONCE", max_uses=1)
    late = buy(shop, promo_code="ONCE")
    shop.clock.advance(timedelta(minutes=20))
    shop.app.expire_holds()
    bought(shop, promo_code="ONCE", email="ben@example.com")
    pay(shop, late)
    code = promo(shop, "ONCE")
    paid_with_code = [
        o for o in orders(shop) if o.promo_code_id == code.id and o.status is OrderStatus.PAID
    ]
    assert len(paid_with_code) <= 1


def test_payment_after_the_event_was_cancelled_is_refunded(shop: Shop) -> None:
    placed = buy(shop)
    shop.app.cancel_event(CancelEvent(organizer_id=shop.org_id, event_id=shop.event_id))
    result = pay(shop, placed)
    assert (result.outcome, result.ticket_ids) == (Outcome.LATE_REFUNDED, ())


# == cancel_order ===========================================================================


def test_buyer_cancels_a_pending_order_by_email(shop: Shop) -> None:
    placed = buy(shop, 2)
    cancelled = shop.app.cancel_order(
        CancelOrder(order_id=placed.order_id, customer_email="ANA@example.com", reason="oops")
    )
    assert (cancelled.status, cancelled.status_reason) == (OrderStatus.CANCELLED, "oops")
    assert order(shop, placed.order_id).status is OrderStatus.CANCELLED
    assert counters(own_quota(shop)) == (0, 0)


def test_organizer_cancels_a_pending_order(shop: Shop) -> None:
    placed = buy(shop, 2)
    shop.app.cancel_order(CancelOrder(order_id=placed.order_id, organizer_id=shop.org_id))
    assert order(shop, placed.order_id).status is OrderStatus.CANCELLED
    assert counters(own_quota(shop)) == (0, 0)


@pytest.mark.parametrize(
    "actor", [{"customer_email": "ben@example.com"}, {"organizer_id": "org-stranger"}]
)
def test_wrong_actor_cannot_cancel_and_gets_not_found(shop: Shop, actor: dict[str, str]) -> None:
    placed = buy(shop)
    with pytest.raises(NotFound) as exc:
        shop.app.cancel_order(CancelOrder(order_id=placed.order_id, **actor))
    assert exc.value.code == "not_found"
    assert order(shop, placed.order_id).status is OrderStatus.PENDING
    assert counters(own_quota(shop)) == (0, 1)


def test_paid_order_cannot_be_cancelled(shop: Shop) -> None:
    placed = bought(shop)
    with pytest.raises(InvalidTransition):
        shop.app.cancel_order(CancelOrder(order_id=placed.order_id, customer_email=BUYER))
    assert counters(own_quota(shop)) == (1, 0)


# == refund_order ===========================================================================


def test_full_refund_revokes_tickets_and_returns_capacity(shop: Shop) -> None:
    placed = bought(shop, 2)
    refunded = refund(shop, placed.order_id, reason="cannot come")
    assert (refunded.status, refunded.refunded_amount, refunded.fee_refunded) == (
        OrderStatus.REFUNDED,
        eur(5150),
        eur(150),
    )
    assert {t.status for t in tickets(shop, placed.order_id)} == {TicketStatus.REVOKED}
    assert counters(own_quota(shop)) == (0, 0)
    assert balance(shop, organizer_payable(shop.org_id)) == 0
    assert balance(shop, PLATFORM_REVENUE) == 0
    refund_message = next(m for m in outbox(shop) if m.kind is MessageKind.REFUND_PAYMENT)
    assert (refund_message.payload["amount_minor"], refund_message.payload["reason"]) == (
        5150,
        "cannot come",
    )


def test_full_refund_returns_capacity_to_a_shared_quota() -> None:
    shop = make_shop(capacity=5)
    placed = bought(shop, 2)
    refund(shop, placed.order_id)
    assert counters(venue_quota(shop)) == (0, 0)


def test_refund_of_chosen_tickets_revokes_only_them(shop: Shop) -> None:
    placed = bought(shop, 3)
    first = tickets(shop, placed.order_id)[0]
    refunded = refund(shop, placed.order_id, ticket_ids=[first.id])
    assert (refunded.status, refunded.refunded_amount) == (
        OrderStatus.PARTIALLY_REFUNDED,
        first.price_paid,
    )
    assert [t.status for t in tickets(shop, placed.order_id)] == [
        TicketStatus.REVOKED,
        TicketStatus.ACTIVE,
        TicketStatus.ACTIVE,
    ]
    assert counters(own_quota(shop)) == (2, 0)
    assert refunded.fee_refunded == eur(75)


def test_refund_of_every_remaining_ticket_completes_the_refund(shop: Shop) -> None:
    placed = bought(shop, 2)
    first, second = tickets(shop, placed.order_id)
    refund(shop, placed.order_id, ticket_ids=[first.id])
    done = refund(shop, placed.order_id, ticket_ids=[second.id])
    assert (done.status, done.refunded_amount, done.fee_refunded) == (
        OrderStatus.REFUNDED,
        eur(5150),
        eur(150),
    )
    assert counters(own_quota(shop)) == (0, 0)


def test_partial_refund_by_amount_keeps_the_tickets(shop: Shop) -> None:
    placed = bought(shop, 2)
    refunded = refund(shop, placed.order_id, amount_minor=1000)
    assert (refunded.status, refunded.refunded_amount, refunded.refundable) == (
        OrderStatus.PARTIALLY_REFUNDED,
        eur(1000),
        eur(4150),
    )
    assert {t.status for t in tickets(shop, placed.order_id)} == {TicketStatus.ACTIVE}
    assert counters(own_quota(shop)) == (2, 0)


def test_partial_refunds_then_the_rest_return_exactly_the_whole_fee(shop: Shop) -> None:
    placed = bought(shop, 3)  # 7725, fee 225
    for amount in (1000, 333, 1):
        refund(shop, placed.order_id, amount_minor=amount)
    done = refund(shop, placed.order_id)
    assert (done.status, done.refunded_amount, done.fee_refunded) == (
        OrderStatus.REFUNDED,
        eur(7725),
        eur(225),
    )
    assert balance(shop, PLATFORM_REVENUE) == 0


def test_refund_keeps_the_platform_fee_when_the_policy_says_so() -> None:
    shop = make_shop(refund_policy=RefundPolicyInput(refund_platform_fee=False))
    placed = bought(shop, 2)
    refunded = refund(shop, placed.order_id)
    assert (refunded.refunded_amount, refunded.fee_refunded) == (eur(5150), eur(0))
    assert balance(shop, PLATFORM_REVENUE) == -150
    assert balance(shop, organizer_payable(shop.org_id)) == 150  # the organizer owes the fee


def test_refund_beyond_what_was_paid_is_refused(shop: Shop) -> None:
    placed = bought(shop, 2)
    refund(shop, placed.order_id, amount_minor=5000)
    with pytest.raises(RefundNotAllowed):
        refund(shop, placed.order_id, amount_minor=151)
    stored = order(shop, placed.order_id)
    assert (stored.status, stored.refunded_amount) == (OrderStatus.PARTIALLY_REFUNDED, eur(5000))
    assert len([m for m in outbox(shop) if m.kind is MessageKind.REFUND_PAYMENT]) == 1


def test_checked_in_ticket_blocks_a_full_refund(shop: Shop) -> None:
    placed = bought(shop, 2)
    assert scan(shop, token(shop, placed.order_id), "nonce-0001").decision.accepted
    with pytest.raises(RefundNotAllowed):
        refund(shop, placed.order_id)
    assert order(shop, placed.order_id).status is OrderStatus.PAID


def test_checked_in_ticket_cannot_be_refunded_but_the_other_can(shop: Shop) -> None:
    placed = bought(shop, 2)
    used, unused = tickets(shop, placed.order_id)
    scan(shop, token(shop, placed.order_id, 0), "nonce-0001")
    with pytest.raises(RefundNotAllowed):
        refund(shop, placed.order_id, ticket_ids=[used.id])
    refunded = refund(shop, placed.order_id, ticket_ids=[unused.id])
    assert refunded.status is OrderStatus.PARTIALLY_REFUNDED
    assert counters(own_quota(shop)) == (1, 0)


def test_refund_by_another_organizer_is_not_found(shop: Shop) -> None:
    placed = bought(shop)
    stranger = new_organizer(shop.app, "Stranger")
    with pytest.raises(NotFound):
        shop.app.refund_order(RefundOrder(organizer_id=stranger, order_id=placed.order_id))
    assert order(shop, placed.order_id).status is OrderStatus.PAID


def test_pending_order_cannot_be_refunded(shop: Shop) -> None:
    placed = buy(shop)
    with pytest.raises(InvalidTransition):
        refund(shop, placed.order_id)


def refunds_of(shop: Shop, order_id: str) -> list[LedgerTransaction]:
    return [tx for tx in ledger(shop, order_id) if tx.kind is TransactionKind.REFUND]


def refund_requests(shop: Shop, order_id: str) -> list[OutboxMessage]:
    return [m for m in outbox(shop) if m.kind is MessageKind.REFUND_PAYMENT
            and m.payload["order_id"] == order_id]  # fmt: skip


def test_a_repeated_full_refund_refunds_nothing_more(shop: Shop) -> None:
    placed = bought(shop, 2)
    refund(shop, placed.order_id, reason="cannot come")
    with pytest.raises(DomainError):  # the request sent again (a retry, a double click)
        refund(shop, placed.order_id, reason="cannot come")
    stored = order(shop, placed.order_id)
    assert (stored.status, stored.refunded_amount, stored.fee_refunded) == (
        OrderStatus.REFUNDED, eur(5150), eur(150)
    )  # fmt: skip
    (posted,) = refunds_of(shop, placed.order_id)  # one refund in the ledger
    assert sum(e.amount.amount_minor for e in posted.entries if e.account == CLEARING) == -5150
    assert [t.status for t in tickets(shop, placed.order_id)] == [TicketStatus.REVOKED] * 2
    assert counters(own_quota(shop)) == (0, 0)
    (asked,) = refund_requests(shop, placed.order_id)
    assert asked.payload["amount_minor"] == 5150
    shop.app.process_outbox()
    shop.app.process_outbox()
    assert shop.payments.refunded_total("cs_local_000001") == 5150  # paid back once


def test_a_repeated_refund_of_chosen_tickets_refunds_nothing_more(shop: Shop) -> None:
    placed = bought(shop, 3)
    first = tickets(shop, placed.order_id)[0]
    refund(shop, placed.order_id, ticket_ids=[first.id])
    with pytest.raises(RefundNotAllowed):
        refund(shop, placed.order_id, ticket_ids=[first.id])
    stored = order(shop, placed.order_id)
    assert (stored.status, stored.refunded_amount) == (
        OrderStatus.PARTIALLY_REFUNDED, first.price_paid
    )  # fmt: skip
    assert len(refunds_of(shop, placed.order_id)) == 1
    assert [t.status for t in tickets(shop, placed.order_id)] == [
        TicketStatus.REVOKED, TicketStatus.ACTIVE, TicketStatus.ACTIVE
    ]  # fmt: skip
    assert counters(own_quota(shop)) == (2, 0)
    assert [m.payload["amount_minor"] for m in refund_requests(shop, placed.order_id)] == [
        first.price_paid.amount_minor
    ]  # fmt: skip


def test_a_replayed_late_payment_is_refunded_once() -> None:
    shop = make_shop(quantity=1)
    late = buy(shop)
    shop.clock.advance(timedelta(minutes=20))
    bought(shop, email="ben@example.com")
    assert pay(shop, late, provider_event_id="evt_late").outcome is Outcome.LATE_REFUNDED
    assert pay(shop, late, provider_event_id="evt_late").outcome is Outcome.DUPLICATE
    assert pay(shop, late, provider_event_id="evt_late_2").outcome is not Outcome.LATE_REFUNDED
    assert len(refunds_of(shop, late.order_id)) == 1
    assert order(shop, late.order_id).refunded_amount == eur(2575)
    assert tickets(shop, late.order_id) == []
    assert counters(own_quota(shop)) == (1, 0)
    assert len(refund_requests(shop, late.order_id)) == 1


# == check_in ===============================================================================


@pytest.fixture
def door(shop: Shop) -> tuple[Shop, str]:
    """A shop with one paid order of two tickets; returns the first ticket's token."""
    placed = bought(shop, 2)
    return shop, token(shop, placed.order_id)


def test_first_scan_is_accepted_and_checks_the_ticket_in(door: tuple[Shop, str]) -> None:
    shop, code = door
    result = scan(shop, code, "nonce-0001", staff="Dee", gate="north")
    assert result.decision.accepted
    assert (result.replayed, result.attendee_name) == (False, "")
    ticket = read(shop, lambda uow: uow.tickets.get(result.ticket_id or ""))
    assert ticket is not None
    assert (ticket.status, ticket.checked_in_by, ticket.checked_in_at) == (
        TicketStatus.CHECKED_IN,
        "Dee",
        shop.clock.now(),
    )


def test_second_scan_is_rejected_as_already_checked_in(door: tuple[Shop, str]) -> None:
    shop, code = door
    scan(shop, code, "nonce-0001", staff="Dee")
    shop.clock.advance(timedelta(minutes=5))
    second = scan(shop, code, "nonce-0002")
    assert (second.decision.result, second.decision.reason) == (
        CheckInResult.REJECTED,
        RejectionReason.ALREADY_CHECKED_IN,
    )
    assert "already checked in at 12:00 UTC by Dee" in second.decision.message


def test_replayed_nonce_repeats_the_first_answer(door: tuple[Shop, str]) -> None:
    shop, code = door
    first = scan(shop, code, "nonce-0001")
    again = scan(shop, code, "nonce-0001")
    assert again.replayed
    assert (again.decision.result, again.decision.reason, again.ticket_id) == (
        CheckInResult.ACCEPTED,
        None,
        first.ticket_id,
    )
    records = read(shop, lambda uow: uow.check_ins.list_by_ticket(first.ticket_id or ""))
    assert len(records) == 1


def test_exit_scan_then_reentry(door: tuple[Shop, str]) -> None:
    shop, code = door
    scan(shop, code, "nonce-0001")
    out = scan(shop, code, "nonce-0002", direction=ScanDirection.EXIT)
    back = scan(shop, code, "nonce-0003")
    assert (out.decision.accepted, out.decision.message) == (True, "goodbye")
    assert back.decision.accepted


def test_exit_without_entry_is_rejected(door: tuple[Shop, str]) -> None:
    shop, code = door
    result = scan(shop, code, "nonce-0001", direction=ScanDirection.EXIT)
    assert result.decision.reason is RejectionReason.NOT_CHECKED_IN


def test_forged_token_has_an_invalid_signature(door: tuple[Shop, str]) -> None:
    shop, code = door
    forged = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
    result = scan(shop, forged, "nonce-0001")
    assert (result.decision.reason, result.ticket_id) == (RejectionReason.INVALID_SIGNATURE, None)


def test_garbage_token_has_an_invalid_signature(door: tuple[Shop, str]) -> None:
    shop, _ = door
    assert scan(shop, "not-a-ticket", "nonce-0001").decision.reason is (
        RejectionReason.INVALID_SIGNATURE
    )


def test_validly_signed_unknown_ticket_is_unknown(door: tuple[Shop, str]) -> None:
    shop, _ = door
    fake = shop.app.services.signer.sign(TicketClaims(shop.event_id, "no-such-secret"))
    assert scan(shop, fake, "nonce-0001").decision.reason is RejectionReason.UNKNOWN_TICKET


def test_ticket_for_another_event_is_rejected(door: tuple[Shop, str]) -> None:
    shop, code = door
    other_event = new_event(shop.app, shop.org_id, slug="other-show")
    add_type(shop.app, shop.org_id, other_event)
    publish(shop.app, shop.org_id, other_event)
    result = scan(shop, code, "nonce-0001", event_id=other_event)
    assert result.decision.reason is RejectionReason.WRONG_EVENT


def test_scan_at_an_unknown_event_is_not_found(door: tuple[Shop, str]) -> None:
    shop, code = door
    with pytest.raises(NotFound):
        scan(shop, code, "nonce-0001", event_id="nope")


def test_refunded_ticket_is_revoked_at_the_door(shop: Shop) -> None:
    placed = bought(shop)
    code = token(shop, placed.order_id)
    refund(shop, placed.order_id)
    assert scan(shop, code, "nonce-0001").decision.reason is RejectionReason.REVOKED


def test_ticket_of_a_cancelled_event_is_rejected(door: tuple[Shop, str]) -> None:
    shop, code = door
    shop.app.cancel_event(CancelEvent(organizer_id=shop.org_id, event_id=shop.event_id))
    assert scan(shop, code, "nonce-0001").decision.reason is RejectionReason.EVENT_CANCELLED


def test_offline_scan_keeps_the_time_it_was_seen(door: tuple[Shop, str]) -> None:
    shop, code = door
    seen = shop.clock.now() - timedelta(minutes=10)
    result = scan(shop, code, "nonce-0001", scanned_at=seen)
    ticket = read(shop, lambda uow: uow.tickets.get(result.ticket_id or ""))
    assert ticket is not None
    assert ticket.checked_in_at == seen


def test_scan_from_the_future_is_refused(door: tuple[Shop, str]) -> None:
    shop, code = door
    with pytest.raises(ValidationFailed):
        scan(shop, code, "nonce-0001", scanned_at=shop.clock.now() + timedelta(minutes=6))


def test_scan_older_than_a_scanner_may_keep_it_is_refused(door: tuple[Shop, str]) -> None:
    shop, code = door
    late = shop.clock.now() - MAX_OFFLINE_AGE - timedelta(microseconds=1)
    with pytest.raises(DateOutOfRange):
        scan(shop, code, "nonce-0001", scanned_at=late)
    assert scan(
        shop, code, "nonce-0002", scanned_at=late + timedelta(microseconds=1)
    ).decision.accepted


def test_offline_scan_in_another_time_zone_is_reported_in_utc(door: tuple[Shop, str]) -> None:
    shop, code = door
    plus_two = timezone(timedelta(hours=2))
    seen = datetime(2030, 1, 1, 13, 50, tzinfo=plus_two)  # 11:50 UTC
    scan(shop, code, "nonce-0001", scanned_at=seen, staff="Dee")
    second = scan(shop, code, "nonce-0002")
    assert "already checked in at 11:50 UTC by Dee" in second.decision.message


# == payouts and metrics ====================================================================


def test_payout_is_recorded_once_per_reference(shop: Shop) -> None:
    bought(shop, 2)  # the organizer is owed 5000
    payout = RecordPayout(
        organizer_id=shop.org_id, amount_minor=3000, currency="EUR", reference="po_1"
    )
    assert shop.app.record_payout(payout) is True
    assert shop.app.record_payout(payout) is False
    payouts = [tx for tx in ledger(shop) if tx.kind is TransactionKind.PAYOUT]
    assert len(payouts) == 1
    assert balance(shop, organizer_payable(shop.org_id)) == -2000


def test_payout_above_the_balance_is_refused(shop: Shop) -> None:
    bought(shop, 2)
    with pytest.raises(ValidationFailed):
        shop.app.record_payout(
            RecordPayout(
                organizer_id=shop.org_id, amount_minor=5001, currency="EUR", reference="po_1"
            )
        )
    assert [tx for tx in ledger(shop) if tx.kind is TransactionKind.PAYOUT] == []
    # the reference was not used up by the refusal
    assert shop.app.record_payout(
        RecordPayout(organizer_id=shop.org_id, amount_minor=5000, currency="EUR", reference="po_1")
    )


def test_payout_for_an_unknown_organizer_is_not_found(shop: Shop) -> None:
    with pytest.raises(NotFound):
        shop.app.record_payout(
            RecordPayout(organizer_id="nope", amount_minor=1, currency="EUR", reference="po_1")
        )


def test_organizer_metrics_after_a_few_sales(shop: Shop) -> None:
    first = bought(shop, 2)
    bought(shop, 1, email="ben@example.com")
    buy(shop, 1, email="cy@example.com")  # pending
    scan(shop, token(shop, first.order_id), "nonce-0001")
    second_ticket = tickets(shop, first.order_id)[1]
    refund(shop, first.order_id, ticket_ids=[second_ticket.id])
    shop.app.record_payout(
        RecordPayout(organizer_id=shop.org_id, amount_minor=1000, currency="EUR", reference="p1")
    )
    metrics = shop.app.organizer_metrics(GetOrganizerMetrics(organizer_id=shop.org_id))
    [em] = metrics.events
    assert (em.tickets_valid, em.tickets_checked_in, em.tickets_revoked) == (2, 1, 1)
    [ga] = em.ticket_types
    assert (ga.size, ga.sold, ga.held, ga.available, ga.availability) == (
        10,
        2,
        1,
        7,
        AvailabilityState.OK,
    )
    [money] = metrics.money
    # sales 5150 + 2575; fees 150 + 75 - 75 returned; one ticket (2575) refunded
    assert (money.sales, money.platform_fees, money.refunds, money.payouts, money.balance) == (
        eur(7725),
        eur(150),
        eur(2575),
        eur(1000),
        eur(4000),
    )


def test_metrics_for_an_unknown_organizer_are_not_found(shop: Shop) -> None:
    with pytest.raises(NotFound):
        shop.app.organizer_metrics(GetOrganizerMetrics(organizer_id="nope"))


def test_sold_out_type_shows_as_gone_or_ordered() -> None:
    shop = make_shop(quantity=2)
    bought(shop, 1)
    buy(shop, 1, email="ben@example.com")
    metrics = shop.app.organizer_metrics(GetOrganizerMetrics(organizer_id=shop.org_id))
    assert metrics.events[0].ticket_types[0].availability is AvailabilityState.ORDERED


# == process_outbox =========================================================================


def test_outbox_delivers_the_tickets_by_email(shop: Shop) -> None:
    placed = bought(shop, 2)
    run = shop.app.process_outbox()
    assert (run.sent, run.retried, run.dead) == (1, 0, 0)
    [mail] = shop.mailer.sent
    assert mail.to == BUYER
    assert placed.order_code in mail.subject
    assert mail.text.count("code: ") == 2
    assert token(shop, placed.order_id) in mail.text
    assert len(mail.attachments) == 2  # a QR code for each ticket
    assert outbox(shop) == []


def test_the_ticket_email_carries_a_qr_code_that_the_door_admits(shop: Shop) -> None:
    placed = bought(shop, 2, customer_name="Ana Lúcia")
    shop.app.process_outbox()
    [mail] = shop.mailer.sent
    code = placed.order_code
    assert [(a.filename, a.content_type, a.content_id) for a in mail.attachments] == [
        (f"ticket-{code}-1.png", "image/png", f"ticket-{code}-1@tickex"),
        (f"ticket-{code}-2.png", "image/png", f"ticket-{code}-2@tickex"),
    ]
    for n, attachment in enumerate(mail.attachments):
        [decoded] = decode_qr(attachment.data)  # a real decoder, from the pixels
        assert decoded == token(shop, placed.order_id, n)
        assert f"code: {decoded}" in mail.text  # for mail programs that hide images
        result = scan(shop, decoded, f"nonce-qr-{n}")
        assert result.decision.accepted
        assert result.attendee_name == "Ana Lúcia"
    assert not scan(shop, decode_qr(mail.attachments[0].data)[0], "nonce-qr-9").decision.accepted


def test_the_ticket_email_html_shows_each_code_inline_and_escapes_what_it_says(
    shop: Shop,
) -> None:
    odd = add_type(shop.app, shop.org_id, shop.event_id, name="GA <b>&</b>")
    bought(shop, 2, type_id=odd, customer_name='<script>alert("x")</script>')
    shop.app.process_outbox()
    [mail] = shop.mailer.sent
    assert mail.html is not None
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in mail.html
    assert "Ticket 1: GA &lt;b&gt;&amp;&lt;/b&gt;" in mail.html
    for attachment in mail.attachments:  # shown at half its size: 4 CSS pixels a module
        width, height, _ = grey_pixels(attachment.data)
        assert f'<img src="cid:{attachment.content_id}"' in mail.html
        assert f'width="{width // 2}" height="{height // 2}"' in mail.html
    assert "- Ticket 2: GA <b>&</b> (<script>" in mail.text  # the text part is plain text


def test_a_revoked_ticket_gets_no_qr_code(shop: Shop) -> None:
    placed = bought(shop, 3)
    details = shop.app.get_order(GetOrder(order_id=placed.order_id, organizer_id=shop.org_id))
    refund(shop, placed.order_id, ticket_ids=[details.tickets[1].id])
    shop.app.process_outbox()
    [mail] = [m for m in shop.mailer.sent if m.attachments]
    revoked = details.tokens[details.tickets[1].id]
    assert revoked not in mail.text
    assert sorted(decode_qr(a.data)[0] for a in mail.attachments) == sorted(
        details.tokens[t.id] for t in (details.tickets[0], details.tickets[2])
    )
    assert [a.filename for a in mail.attachments] == [
        f"ticket-{placed.order_code}-1.png",
        f"ticket-{placed.order_code}-2.png",
    ]


def test_beyond_the_cap_the_email_points_to_the_order_page(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ticket_email_module, "MAX_QR_CODES_PER_EMAIL", 2)
    placed = bought(shop, 3)
    shop.app.process_outbox()
    [mail] = shop.mailer.sent
    assert len(mail.attachments) == 2
    assert mail.text.count("code: ") == 3  # every token still in the text
    page = f"http://127.0.0.1:8000/v1/orders/{placed.order_id}?email=ana@example.com"
    assert f"the QR codes of the first 2 are attached; every ticket and its code is on your " \
           f"order page: {page}" in mail.text  # fmt: skip
    assert mail.html is not None
    assert f'<a href="{page}">your order page</a>' in mail.html
    assert mail.html.count("<img ") == 2


def test_the_ticket_email_stays_small(shop: Shop) -> None:
    bought(shop, 4)
    shop.app.process_outbox()
    [mail] = shop.mailer.sent
    mime = render_mime(mail, sender="box@example.com", message_id="<m@x>", date=shop.clock.now())
    size = len(mime.as_bytes())  # measured: 1 ticket ~3.2 KB, 10 ~21 KB, 50 ~100 KB
    assert size < 1200 + 4 * 2500  # the frame, then under 2.5 KB a ticket: PNG, text, HTML


def test_outbox_retries_with_backoff_then_delivers(shop: Shop) -> None:
    bought(shop)
    shop.mailer.fail_times = 1
    first = shop.app.process_outbox()
    assert (first.sent, first.retried, shop.mailer.sent) == (0, 1, [])
    [waiting] = outbox(shop)
    assert (waiting.attempts, waiting.available_at) == (1, shop.clock.now() + timedelta(seconds=30))
    assert shop.app.process_outbox().sent == 0  # not due yet
    shop.clock.advance(timedelta(seconds=30))
    assert shop.app.process_outbox().sent == 1
    assert len(shop.mailer.sent) == 1


def test_outbox_asks_the_provider_to_refund(shop: Shop) -> None:
    placed = bought(shop, 2)
    refund(shop, placed.order_id, amount_minor=1000)
    run = shop.app.process_outbox()
    assert run.sent == 3  # the tickets, the refund and the buyer's email of it
    assert shop.payments.refunded_total("cs_local_000001") == 1000
    (told,) = [m for m in shop.mailer.sent if "refunded" in m.subject]
    assert (told.to, told.subject) == (BUYER, f"Order {placed.order_code}: 10.00 EUR refunded")
    assert "in part" in told.text


def test_late_refund_is_paid_back_and_the_buyer_told() -> None:
    shop = make_shop(quantity=1)
    late = buy(shop)
    shop.clock.advance(timedelta(minutes=20))
    bought(shop, email="ben@example.com")
    pay(shop, late)
    shop.app.process_outbox()
    assert shop.payments.refunded_total("cs_local_000001") == 2575
    assert any(m.to == BUYER and "refunded" in m.subject for m in shop.mailer.sent)


# == cancel_event ===========================================================================


def test_cancel_event_cancels_pending_and_refunds_paid_orders(shop: Shop) -> None:
    paid = bought(shop, 2)
    pending = buy(shop, 1, email="ben@example.com")
    result = shop.app.cancel_event(CancelEvent(organizer_id=shop.org_id, event_id=shop.event_id))
    assert (result.orders_cancelled, result.orders_refunded, result.failures) == (1, 1, ())
    assert order(shop, paid.order_id).status is OrderStatus.REFUNDED
    assert order(shop, pending.order_id).status is OrderStatus.CANCELLED
    assert {t.status for t in tickets(shop, paid.order_id)} == {TicketStatus.REVOKED}
    assert counters(own_quota(shop)) == (0, 0)
    assert balance(shop, organizer_payable(shop.org_id)) == 0


def test_cancel_event_reports_orders_with_checked_in_tickets(shop: Shop) -> None:
    paid = bought(shop, 2)
    scan(shop, token(shop, paid.order_id), "nonce-0001")
    result = shop.app.cancel_event(CancelEvent(organizer_id=shop.org_id, event_id=shop.event_id))
    assert result.failures == (paid.order_id,)
    assert order(shop, paid.order_id).status is OrderStatus.PAID


def test_cancelled_event_is_not_on_sale(shop: Shop) -> None:
    shop.app.cancel_event(CancelEvent(organizer_id=shop.org_id, event_id=shop.event_id))
    with pytest.raises(NotOnSale):
        buy(shop)


# == commands are validated when they are built =============================================

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
ITEM = {"ticket_type_id": "tt-1", "quantity": 1}

INVALID_COMMANDS: dict[str, Callable[[], object]] = {
    "unknown field": lambda: PlaceOrder(
        event_id="e", customer_email=BUYER, items=[ITEM], coupon="X"
    ),
    "negative quantity": lambda: OrderItem(ticket_type_id="tt-1", quantity=-1),
    "zero quantity": lambda: OrderItem(ticket_type_id="tt-1", quantity=0),
    "no items": lambda: PlaceOrder(event_id="e", customer_email=BUYER, items=[]),
    "repeated ticket type": lambda: PlaceOrder(
        event_id="e", customer_email=BUYER, items=[ITEM, ITEM]
    ),
    "bad email": lambda: PlaceOrder(event_id="e", customer_email="ana@", items=[ITEM]),
    "email with spaces": lambda: CreateOrganizer(name="O", email="a b@example.com"),
    "bad id": lambda: PlaceOrder(event_id="e 1", customer_email=BUYER, items=[ITEM]),
    "negative price": lambda: CreateTicketType(
        organizer_id="o", event_id="e", name="GA", price_minor=-1, quantity_total=1
    ),
    "negative quantity_total": lambda: CreateTicketType(
        organizer_id="o", event_id="e", name="GA", price_minor=1, quantity_total=-1
    ),
    "naive start": lambda: CreateEvent(
        organizer_id="o",
        title="T",
        slug="show",
        venue=VenueInput(name="H", address="A"),
        starts_at=datetime(2030, 1, 1),
        ends_at=NOW,
    ),
    "bad slug": lambda: CreateEvent(
        organizer_id="o",
        title="T",
        slug="Show Time",
        venue=VenueInput(name="H", address="A"),
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=1),
    ),
    "lower-case currency": lambda: SettingsInput(currency="eur"),
    "two actors": lambda: CancelOrder(order_id="o", organizer_id="g", customer_email=BUYER),
    "no actor": lambda: CancelOrder(order_id="o"),
    "tickets and amount": lambda: RefundOrder(
        organizer_id="g", order_id="o", ticket_ids=["t"], amount_minor=1
    ),
    "zero refund": lambda: RefundOrder(organizer_id="g", order_id="o", amount_minor=0),
    "short nonce": lambda: CheckInTicket(event_id="e", token="t", nonce="short"),
    "payment without order": lambda: ConfirmPayment(
        provider="local", provider_event_id="x", amount_minor=1, currency="EUR"
    ),
    "zero payout": lambda: RecordPayout(
        organizer_id="o", amount_minor=0, currency="EUR", reference="r"
    ),
    "tax above 100 %": lambda: SettingsInput(tax_rate_bp=10_001),
}


@pytest.mark.parametrize("name", INVALID_COMMANDS)
def test_invalid_command_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        INVALID_COMMANDS[name]()


def test_commands_are_immutable() -> None:
    command = OrderItem(ticket_type_id="tt-1", quantity=1)
    with pytest.raises(ValidationError):
        command.quantity = 2  # type: ignore[misc]


def test_fee_policy_absorb_charges_the_buyer_the_ticket_price_only() -> None:
    shop = make_shop(fee_policy=FeePolicy.ABSORB)
    placed = bought(shop, 2)
    assert (placed.totals.total, placed.totals.platform_fee) == (eur(5000), eur(150))
    assert balance(shop, organizer_payable(shop.org_id)) == -4850


def test_a_promo_code_for_other_ticket_types_is_refused_and_not_used(shop: Shop) -> None:
    vip_id = add_type(shop.app, shop.org_id, shop.event_id, name="VIP", price=9000)
    vip_only = shop.app.create_promo_code(
        CreatePromoCode(
            organizer_id=shop.org_id,
            event_id=shop.event_id,
            code="VIPONLY",
            kind=DiscountKind.PERCENT,
            percent_bp=1000,
            max_uses=1,
            ticket_type_ids=[vip_id],
        )
    )
    with pytest.raises(PromoCodeInvalid):
        buy(shop, 1, promo_code="VIPONLY")
    with shop.app.services.storage.unit_of_work() as uow:
        stored = uow.promo_codes.get(vip_only.id)
    assert stored is not None
    assert stored.uses == 0


def test_an_unexpected_error_in_one_message_does_not_stop_the_worker(shop: Shop) -> None:
    class Flaky(InMemoryMailer):
        def send(self, message: Any) -> str:
            if "late" in message.idempotency_key or message.to == "boom@example.com":
                raise RuntimeError("template exploded")
            return super().send(message)

    app = TickEx.in_memory(mailer=Flaky())
    org_id = new_organizer(app)
    event_id = new_event(app, org_id)
    ga_id = add_type(app, org_id, event_id, price=0)
    publish(app, org_id, event_id)
    for email in ("boom@example.com", BUYER):
        app.place_order(
            PlaceOrder(
                event_id=event_id,
                customer_email=email,
                items=[OrderItem(ticket_type_id=ga_id, quantity=1)],
            )
        )
    run = app.process_outbox()
    assert (run.sent, run.retried, run.dead) == (1, 1, 0)
    with app.services.storage.unit_of_work() as uow:
        assert uow.outbox.pending_count() == 1
