"""``tickex demo``: the whole flow in-process, printed step by step.

Organizer and event, ticket types sharing a venue capacity, a promo code, orders, payment
through the local provider, a late payment, delivery, check-in (and a second scan), a
refund, a payout, then the organizer's metrics and the ledger balances.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_promo_code import CreatePromoCode
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import SettingsInput, VenueInput
from tickex.application.catalog.get_event import GetEvent
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.door.check_in import CheckInTicket
from tickex.application.finance.organizer_metrics import GetOrganizerMetrics
from tickex.application.finance.record_payout import RecordPayout
from tickex.application.identity.register_user import RegisterUser
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.application.organizers.payment_account import (
    GetPaymentAccount,
    StartPaymentOnboarding,
)
from tickex.application.sales.confirm_payment import ConfirmPayment
from tickex.application.sales.get_order import GetOrder
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.application.sales.refund_order import RefundOrder
from tickex.domain.errors import NotFound
from tickex.domain.event import FeePolicy
from tickex.domain.ledger import balances
from tickex.domain.money import Money
from tickex.domain.promo_code import DiscountKind
from tickex.facade import TickEx


def run_demo(app: TickEx, out: Callable[[str], None] = print) -> None:
    now = app.clock.now()
    org = app.create_organizer(
        CreateOrganizer(name="Nightjar Concerts", email="hello@nightjar.example")
    )
    out(f"organizer   {org.name} <{org.email}>  id={org.id}")
    event = app.create_event(
        CreateEvent(
            organizer_id=org.id, title="Nightjar Live", slug="nightjar-live",
            starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=30, hours=4),
            venue=VenueInput(name="Harbour Hall", address="1 Quay Street", city="Lisbon",
                             country="PT"),
            settings=SettingsInput(currency="EUR", tax_rate_bp=600, fee_policy=FeePolicy.PASS_ON),
            capacity=3,
        )
    )  # fmt: skip
    out(
        f"event       {event.title} /{event.slug}  {event.starts_at:%Y-%m-%d %H:%M} UTC, capacity 3"
    )
    ga = app.create_ticket_type(CreateTicketType(
        organizer_id=org.id, event_id=event.id, name="General admission", price_minor=2500,
        quantity_total=3))  # fmt: skip
    vip = app.create_ticket_type(CreateTicketType(
        organizer_id=org.id, event_id=event.id, name="VIP", price_minor=6000,
        quantity_total=1))  # fmt: skip
    out(f"types       {ga.name} {ga.price}, {vip.name} {vip.price} (both share the capacity)")
    app.create_promo_code(CreatePromoCode(organizer_id=org.id, event_id=event.id,
                          code="EARLY10", kind=DiscountKind.PERCENT, percent_bp=1000,
                          max_uses=1))  # fmt: skip
    app.publish_event(PublishEvent(organizer_id=org.id, event_id=event.id))
    out("published   promo code EARLY10 (10 %, one use)")

    def pay(order_id: str, amount: int, n: int) -> None:
        result = app.confirm_payment(ConfirmPayment(
            provider="local", provider_event_id=f"evt_demo_{n}", order_id=order_id,
            amount_minor=amount, currency="EUR"))  # fmt: skip
        out(f"  paid      order {order_id}: {result.outcome}, {len(result.ticket_ids)} ticket(s)")

    first = app.place_order(PlaceOrder(
        event_id=event.id, customer_email="ana@example.com", customer_name="Ana",
        items=[OrderItem(ticket_type_id=ga.id, quantity=2)], promo_code="EARLY10"))  # fmt: skip
    t = first.totals
    out(f"order 1     {first.order_code}: 2 x GA, subtotal {t.subtotal}, discount {t.discount}, "
        f"tax {t.tax}, fee {t.platform_fee}, total {t.total}")  # fmt: skip
    out(f"  checkout  {first.payment_url}")
    pay(first.order_id, t.total.amount_minor, 1)
    pay(first.order_id, t.total.amount_minor, 1)  # the provider retries its webhook

    second = app.place_order(PlaceOrder(event_id=event.id, customer_email="ben@example.com",
                             items=[OrderItem(ticket_type_id=vip.id, quantity=1)]))  # fmt: skip
    out(f"order 2     {second.order_code}: 1 x VIP, total {second.totals.total} (venue now full)")
    app.clock.advance(timedelta(minutes=20))  # type: ignore[attr-defined]
    swept = app.expire_holds()
    out(f"20 min pass {swept.released} hold released, {swept.orders_expired} order expired")
    third = app.place_order(PlaceOrder(event_id=event.id, customer_email="cy@example.com",
                            items=[OrderItem(ticket_type_id=ga.id, quantity=1)]))  # fmt: skip
    out(f"order 3     {third.order_code}: 1 x GA takes the last place")
    pay(third.order_id, third.totals.total.amount_minor, 3)
    out("order 2     its buyer pays late, but the venue is full now:")
    pay(second.order_id, second.totals.total.amount_minor, 2)

    run = app.process_outbox()
    mails = app.sent_mail()
    out(f"worker      {run.sent} message(s) delivered; {len(mails)} email(s) sent")

    details = app.get_order(GetOrder(order_id=first.order_id, organizer_id=org.id))
    token = details.tokens[details.tickets[0].id]
    for n, label in ((1, "scan"), (2, "scan again")):
        res = app.check_in(CheckInTicket(event_id=event.id, token=token, nonce=f"scan-nonce-{n}",
                           gate="north", staff="Dee"))  # fmt: skip
        out(f"door        {label}: {res.decision.result} {res.decision.reason or ''} "
            f"{res.decision.message}".rstrip())  # fmt: skip
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    res = app.check_in(CheckInTicket(event_id=event.id, token=forged, nonce="scan-nonce-3"))
    out(f"door        forged code: {res.decision.result} {res.decision.reason}")

    refunded = app.refund_order(RefundOrder(organizer_id=org.id, order_id=third.order_id,
                                            reason="cannot come"))  # fmt: skip
    out(f"refund      order {third.order_code}: {refunded.status}, {refunded.refunded_amount} back")
    app.process_outbox()
    metrics = app.organizer_metrics(GetOrganizerMetrics(organizer_id=org.id))
    money = metrics.money[0]
    app.record_payout(RecordPayout(organizer_id=org.id, amount_minor=money.balance.amount_minor,
                                   currency="EUR", reference="po_demo_1"))  # fmt: skip
    out(f"payout      {money.balance} to {org.name}")

    metrics = app.organizer_metrics(GetOrganizerMetrics(organizer_id=org.id))
    out("")
    out("metrics")
    for em in metrics.events:
        out(f"  {em.title}: {em.tickets_valid} valid ticket(s), {em.tickets_checked_in} "
            f"checked in, {em.tickets_revoked} revoked")  # fmt: skip
        for tm in em.ticket_types:
            out(f"    {tm.name:<18} sold {tm.sold}/{tm.size}, held {tm.held}, "
                f"available {tm.available} ({tm.availability.name.lower()})")  # fmt: skip
    for m in metrics.money:
        out(f"  money {m.currency}: sales {m.sales}, platform fees {m.platform_fees}, "
            f"refunds {m.refunds}, payouts {m.payouts}, balance {m.balance}")  # fmt: skip
    out("")
    out("ledger balances (debit +, credit -)")
    transactions = app.ledger_transactions()
    totals = balances(transactions)
    for (account, currency), amount in sorted(totals.items()):
        out(f"  {account:<42} {Money(amount, currency).format():>14}")
    for currency in sorted({c for _, c in totals}):
        net = Money(sum(v for (_, c), v in totals.items() if c == currency), currency)
        out(f"  {'(all accounts together)':<42} {net.format():>14}")
    out(f"  {len(transactions)} transactions, each balanced")


DEMO_SLUG = "nightjar-live"
DEMO_LOGIN = ("demo@nightjar.example", "nightjar-demo-password")  # development only


def seed_demo(app: TickEx) -> tuple[str, bool]:
    """A published demo event, and an organizer account that owns it, in the configured
    storage (``make run``); idempotent. The account's credentials are ``DEMO_LOGIN``.

    Returns the event's slug and whether it was created now."""
    try:
        app.get_event(GetEvent(slug=DEMO_SLUG))
        return DEMO_SLUG, False
    except NotFound:
        pass
    now = app.clock.now()
    email, password = DEMO_LOGIN
    user = app.register_user(RegisterUser(email=email, password=password,
                                          name="Nightjar Concerts", as_organizer=True))  # fmt: skip
    assert user.organizer_id is not None
    organizer_id = user.organizer_id
    event = app.create_event(
        CreateEvent(
            organizer_id=organizer_id, title="Nightjar Live", slug=DEMO_SLUG,
            starts_at=(now + timedelta(days=30)).replace(hour=20, minute=0, second=0,
                                                          microsecond=0),
            ends_at=(now + timedelta(days=30)).replace(hour=23, minute=30, second=0,
                                                        microsecond=0),
            venue=VenueInput(name="Harbour Hall", address="1 Quay Street", city="Lisbon",
                             country="PT"),
            settings=SettingsInput(currency="EUR", tax_rate_bp=600, fee_policy=FeePolicy.PASS_ON),
            capacity=500,
        )
    )  # fmt: skip
    for name, price, quantity in (("General admission", 2500, 450), ("VIP", 6000, 50)):
        app.create_ticket_type(CreateTicketType(organizer_id=organizer_id, event_id=event.id,
                               name=name, price_minor=price, quantity_total=quantity))  # fmt: skip
    app.create_promo_code(CreatePromoCode(organizer_id=organizer_id, event_id=event.id,
                          code="EARLY10", kind=DiscountKind.PERCENT, percent_bp=1000,
                          max_uses=100))  # fmt: skip
    if app.get_payment_account(GetPaymentAccount(organizer_id=organizer_id)).required:
        # Stripe: the organizer's account must take charges (stripe-fake: at once)
        app.start_payment_onboarding(StartPaymentOnboarding(organizer_id=organizer_id))
    app.publish_event(PublishEvent(organizer_id=organizer_id, event_id=event.id))
    return DEMO_SLUG, True
