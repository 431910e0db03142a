"""The ledger against Stripe's own books, over a random history: orders paid at the fake
Stripe, refunds asked by the organizer through TickEx (by amount, sent by the worker) and
made by hand in Stripe's dashboard (taken back from the organizer's transfer, with or
without the platform fee), payouts of the organizer's connected account (some of which fail,
before or after Stripe said they were paid), and the webhooks of it all delivered at
random moments, shuffled, duplicated, some lost and redelivered.

At the end the organizer's payable in the ledger is, to the cent, what the fake says the
connected account holds (transfers less application fees, less transfer reversals, plus
the application fees returned, less the payouts that did not fail); the platform's revenue
is the application fees it kept; Stripe's fees are the platform's processor fees; every
transaction balances."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.property.stripe_harness import open_shop, stripe_app
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.application.sales.refund_order import RefundOrder
from tickex.domain.ledger import PLATFORM_REVENUE, PROCESSOR_FEES, organizer_payable
from tickex.domain.order import Order
from tickex.facade import TickEx
from tickex.testing.fake_stripe import FakeStripe

ACCOUNT = "acct_1Books"

step = st.one_of(
    st.tuples(st.just("buy"), st.integers(1, 3)),
    st.tuples(st.just("refund"), st.integers(0, 9), st.integers(1, 100)),  # % of what is left
    st.tuples(st.just("by_hand"), st.integers(0, 9), st.integers(1, 100), st.booleans()),
    st.tuples(st.just("payout"), st.integers(1, 100)),
    st.tuples(st.just("fail_payout"), st.integers(0, 9)),  # which of the payouts not failed
    st.tuples(st.just("deliver"), st.integers(0, 2**16), st.integers(1, 2), st.integers(0, 2)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(price=st.integers(101, 9999), steps=st.lists(step, min_size=1, max_size=12))
def test_the_organizers_payable_is_what_stripe_holds_for_them(
    price: int, steps: list[tuple[object, ...]]
) -> None:
    with stripe_app() as harness:
        stripe, endpoint, app = harness.stripe, harness.endpoint, harness.app
        opened = open_shop(app, stripe, ACCOUNT, price=price, seats=100)
        organizer, event_id, ga = opened.organizer_id, opened.event_id, opened.ticket_type_id
        sessions: list[tuple[str, str]] = []  # (order id, session id) of the paid orders
        payouts: list[str] = []  # the payouts that have not failed
        for kind, *args in steps:
            if kind == "buy":
                placed = app.place_order(PlaceOrder(
                    event_id=event_id, customer_email=f"b{len(sessions)}@example.com",
                    items=[OrderItem(ticket_type_id=ga, quantity=int(str(args[0])))]))  # fmt: skip
                assert placed.payment_url is not None
                session = placed.payment_url.rsplit("/", 1)[1]
                stripe.pay(session)
                sessions.append((placed.order_id, session))
            elif kind in ("refund", "by_hand") and sessions:
                order_id, session = sessions[int(str(args[0])) % len(sessions)]
                left = charge_left(stripe, session)
                amount = max(1, left * int(str(args[1])) // 100)
                if left == 0:
                    continue
                if kind == "by_hand":
                    stripe.refund_by_hand(session, amount, reverse_transfer=True,
                                          refund_application_fee=bool(args[2]))  # fmt: skip
                    continue
                order = current(app, order_id)
                amount = min(amount, order.refundable.amount_minor)
                if amount > 0 and order.is_paid:  # TickEx knows it paid, and what is left
                    app.refund_order(RefundOrder(organizer_id=organizer, order_id=order_id,
                                                 amount_minor=amount))  # fmt: skip
                    assert app.process_outbox().dead == 0
            elif kind == "payout":
                held = stripe.balances.get((ACCOUNT, "eur"), 0)
                if held > 0:
                    amount = max(1, held * int(str(args[0])) // 100)
                    payouts.append(stripe.payout(ACCOUNT, amount=amount)["id"])
            elif kind == "fail_payout" and payouts:
                stripe.fail_payout(payouts.pop(int(str(args[0])) % len(payouts)))
            elif kind == "deliver":
                stripe.drop_next(int(str(args[2])))
                stripe.deliver(order="shuffle", seed=int(str(args[0])), times=int(str(args[1])))
        for attempt in range(10):  # Stripe redelivers what did not arrive
            if not endpoint.queue:
                break
            stripe.deliver(order="shuffle", seed=attempt)
        assert not endpoint.queue

        ledger = app.ledger_transactions()

        def balance(account: str) -> int:
            return sum(e.amount.amount_minor for tx in ledger for e in tx.entries
                       if e.account == account)  # fmt: skip

        assert -balance(organizer_payable(organizer)) == stripe.balances.get((ACCOUNT, "eur"), 0)
        fees = stripe.objects["application_fee"].values()
        assert -balance(PLATFORM_REVENUE) == sum(f["amount"] - f["amount_refunded"] for f in fees)
        charges = stripe.objects["charge"].values()
        txns = stripe.objects["balance_transaction"]
        assert balance(PROCESSOR_FEES) == sum(
            txns[c["balance_transaction"]]["fee"] for c in charges
        )
        for tx in ledger:
            assert sum(e.amount.amount_minor for e in tx.entries) == 0
        for order_id, session in sessions:  # what TickEx says was refunded, Stripe did
            charge = stripe.objects["charge"][
                stripe.objects["payment_intent"][stripe.session(session)["payment_intent"]][
                    "latest_charge"]]  # fmt: skip
            assert current(app, order_id).refunded_amount.amount_minor == charge["amount_refunded"]


def charge_left(stripe: FakeStripe, session: str) -> int:
    intent = stripe.objects["payment_intent"][stripe.session(session)["payment_intent"]]
    charge = stripe.objects["charge"][intent["latest_charge"]]
    return int(charge["amount"] - charge["amount_refunded"])


def current(app: TickEx, order_id: str) -> Order:
    order = app.services.read(lambda uow: uow.orders.get(order_id))
    assert order is not None
    return order
