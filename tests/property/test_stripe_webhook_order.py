"""Stripe's webhooks in any order: a random history of orders (paid at once, by a delayed
method that settles or fails, expired, or left open; paid and then refunded in part in
Stripe's dashboard, or disputed and the dispute won or lost) makes its events at the fake
Stripe;
they are delivered shuffled, duplicated, some lost in transit and redelivered, and the
final state is the one the history says, as if they had come in order. The ledger
balances and no seat is sold twice."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.property.stripe_harness import open_shop, stripe_app
from tickex.application.sales.get_order import GetOrder
from tickex.application.sales.place_order import OrderItem, PlaceOrder

SEATS = 10
FATES = ("paid", "settled", "failed", "expired", "open", "refunded", "won", "lost")
FINAL = {  # fate -> the order's status and its tickets' statuses at the end
    "paid": ("paid", ["active", "active"]),
    "settled": ("paid", ["active", "active"]),
    "failed": ("failed", []),
    "expired": ("expired", []),
    "open": ("pending", []),
    "refunded": ("partially_refunded", ["active", "active"]),
    "won": ("paid", ["active", "active"]),
    "lost": ("paid", ["revoked", "revoked"]),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fates=st.lists(st.sampled_from(FATES), min_size=1, max_size=5),
    seed=st.integers(0, 2**32 - 1),
    times=st.integers(1, 3),
    lost=st.integers(0, 4),
)
def test_webhooks_shuffled_duplicated_and_redelivered_end_as_the_history_says(
    fates: list[str], seed: int, times: int, lost: int
) -> None:
    with stripe_app() as harness:
        stripe, endpoint, gateway, app = (harness.stripe, harness.endpoint, harness.gateway,
                                          harness.app)  # fmt: skip
        opened = open_shop(app, stripe, "acct_1N", price=2500, seats=SEATS)
        event_id, ga = opened.event_id, opened.ticket_type_id
        placed = []
        for i, fate in enumerate(fates):
            order = app.place_order(
                PlaceOrder(
                    event_id=event_id,
                    customer_email=f"buyer{i}@example.com",
                    items=[OrderItem(ticket_type_id=ga, quantity=2)],
                )
            )
            session = order.payment_url.rsplit("/", 1)[1] if order.payment_url else ""
            if fate in ("paid", "refunded", "won", "lost"):
                stripe.pay(session)
                if fate == "refunded":
                    stripe.refund_by_hand(session, 1000, reverse_transfer=True)
                elif fate in ("won", "lost"):
                    dispute = stripe.dispute(session)
                    stripe.close_dispute(dispute["id"], won=fate == "won")
            elif fate in ("settled", "failed"):
                stripe.pay(session, outcome="processing")
                stripe.settle(session, succeeded=fate == "settled")
            elif fate == "expired":
                gateway.expire_checkout(session)
            placed.append((order.order_id, f"buyer{i}@example.com", fate))
        stripe.drop_next(lost)
        stripe.deliver(order="shuffle", seed=seed, times=times)
        while endpoint.queue:  # Stripe redelivers what did not arrive
            stripe.deliver(order="shuffle", seed=seed + 1)

        sold = 0
        for order_id, email, fate in placed:
            details = app.get_order(GetOrder(order_id=order_id, customer_email=email))
            status, tickets = FINAL[fate]
            assert str(details.order.status) == status, (fate, details.order.status)
            assert [str(t.status) for t in details.tickets] == tickets, fate
            sold += tickets.count("active")
        held = 2 * sum(FINAL[f][0] == "pending" for f in fates)
        quota = app.services.read(lambda uow: uow.quotas.list_by_event(event_id))
        assert [(q.sold, q.held) for q in quota] == [(sold, held)]
        sales = [t for t in app.ledger_transactions() if t.kind == "sale"]
        assert len(sales) == sum(FINAL[f][0] != "pending" and bool(FINAL[f][1]) for f in fates)
        for transaction in app.ledger_transactions():
            per_currency: dict[str, int] = {}
            for entry in transaction.entries:
                per_currency[entry.amount.currency] = (
                    per_currency.get(entry.amount.currency, 0) + entry.amount.amount_minor
                )
            assert set(per_currency.values()) == {0}
