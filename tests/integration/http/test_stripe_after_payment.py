"""What happens to a paid order at Stripe afterwards, over HTTP on the reference storage and
SQLite, each event signed by the fake Stripe and read back from it: Stripe's fee in the
ledger, refunds made in Stripe's dashboard (in part and in full), the platform fee Stripe
returns in its own rounding, disputes won and lost with their fee, and payouts of the
organizer's account; in order, reversed and twice. The ledger balances after each test and
the organizer's payable is what the fake's own books say the account holds. (The harness
of ``test_stripe_webhook``, whose fixtures are imported.)"""

# ruff: noqa: F811 - the imported fixtures are the tests' parameters

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.test_stripe_webhook import (  # noqa: F401 - the fixtures
    ACCOUNT,
    EMAIL,
    Shop,
    Stripe,
    assert_ledger_balanced,
    client,
    clock,
    emails_for,
    endpoint,
    fake,
    order,
    place,
    seats_left,
    session_of,
    shop,
    storage,
    stripe,
    tickex,
)
from tickex.application.finance.organizer_metrics import GetOrganizerMetrics
from tickex.application.sales.refund_order import RefundOrder
from tickex.domain.errors import RefundNotAllowed
from tickex.domain.ledger import (
    CLEARING,
    DISPUTE_FEES,
    PLATFORM_REVENUE,
    PROCESSOR_FEES,
    TransactionKind,
    organizer_payable,
)
from tickex.domain.payment_review import PaymentReviewStatus
from tickex.facade import TickEx


def balance(tickex: TickEx, account: str, order_id: str | None = None) -> int:
    return sum(e.amount.amount_minor for tx in tickex.ledger_transactions()
               if order_id is None or tx.order_id == order_id
               for e in tx.entries if e.account == account)  # fmt: skip


def payable(tickex: TickEx, organizer: str) -> int:
    """What the ledger says TickEx owes the organizer (the account is credit-normal)."""
    return -balance(tickex, organizer_payable(organizer))


def paid_order(client: TestClient[Litestar], shop: Shop, stripe: Stripe,
               quantity: int = 2) -> dict[str, Any]:  # fmt: skip
    placed = place(client, shop, quantity)
    stripe.fake.pay(session_of(placed))
    stripe.fake.deliver()
    assert order(client, placed)["status"] == "paid"
    return placed


def charge_of(stripe: Stripe, placed: dict[str, Any]) -> dict[str, Any]:
    intent = stripe.fake.objects["payment_intent"][
        stripe.fake.session(session_of(placed))["payment_intent"]]  # fmt: skip
    charge: dict[str, Any] = stripe.fake.objects["charge"][intent["latest_charge"]]
    return charge


def assert_books_agree(tickex: TickEx, stripe: Stripe, shop: Shop) -> None:
    """The organizer's payable is what the fake says the connected account holds, and the
    ledger balances."""
    assert payable(tickex, shop.organizer) == stripe.fake.balances.get((ACCOUNT, "eur"), 0)
    assert_ledger_balanced(tickex)


def ticket_statuses(client: TestClient[Litestar], placed: dict[str, Any]) -> list[str]:
    return [t["status"] for t in order(client, placed)["tickets"]]


# -- Stripe's fee ----------------------------------------------------------------------------
def test_stripes_fee_for_the_payment_is_the_platforms_cost_to_the_cent(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = paid_order(client, shop, stripe)
    charge = charge_of(stripe, placed)
    txn = stripe.fake.objects["balance_transaction"][charge["balance_transaction"]]
    assert txn["fee"] == 102  # 1.5 % of 51.50 EUR + 0.25
    assert balance(tickex, PROCESSOR_FEES, placed["order_id"]) == 102
    # what the platform keeps of the payment: its fee less Stripe's
    assert -balance(tickex, PLATFORM_REVENUE) - balance(tickex, PROCESSOR_FEES) == 150 - 102
    assert_books_agree(tickex, stripe, shop)


# -- refunds made in Stripe's dashboard --------------------------------------------------------
def test_a_partial_refund_in_the_dashboard_is_recorded_and_the_buyer_told(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = paid_order(client, shop, stripe)
    tickex.process_outbox()
    stripe.fake.refund_by_hand(session_of(placed), 1001, reverse_transfer=True,
                               refund_application_fee=True)  # fmt: skip
    stripe.fake.deliver(times=2)
    assert stripe.outcomes("charge.refunded") == ["refund_recorded", "duplicate"]
    got = order(client, placed)
    assert (got["status"], got["refunded"]["amount_minor"]) == ("partially_refunded", 1001)
    assert ticket_statuses(client, placed) == ["active", "active"]  # goodwill: tickets stay
    assert tickex.process_outbox().dead == 0
    assert len(stripe.fake.objects["refund"]) == 1  # nothing asked of Stripe a second time
    assert [s for s in emails_for(tickex, placed["order_code"]) if "refunded" in s] == [
        f"Order {placed['order_code']}: 10.01 EUR refunded"]  # fmt: skip
    # Stripe returned 1001/5150 of the 1.50 fee, rounded down: 0.29; the ledger says the same
    fee = stripe.fake.objects["application_fee"][charge_of(stripe, placed)["application_fee"]]
    assert fee["amount_refunded"] == 29
    assert -balance(tickex, PLATFORM_REVENUE, placed["order_id"]) == 150 - 29
    assert_books_agree(tickex, stripe, shop)


def test_a_full_refund_in_the_dashboard_revokes_the_tickets_and_frees_the_seats(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = paid_order(client, shop, stripe)
    assert seats_left(client, shop) == 3
    stripe.fake.refund_by_hand(session_of(placed), 2000, reverse_transfer=True)
    stripe.fake.refund_by_hand(session_of(placed), reverse_transfer=True)  # the rest
    stripe.fake.deliver(order="reverse")  # the later state first: the earlier is then old
    assert stripe.outcomes("charge.refunded") == ["refund_recorded", "unchanged"]
    got = order(client, placed)
    assert (got["status"], got["refunded"]["amount_minor"]) == ("refunded", 5150)
    assert ticket_statuses(client, placed) == ["revoked", "revoked"]
    assert seats_left(client, shop) == 5
    assert -balance(tickex, PLATFORM_REVENUE, placed["order_id"]) == 150  # fee not returned
    assert_books_agree(tickex, stripe, shop)


def test_a_refund_asked_by_tickex_is_not_recorded_twice_when_stripe_reports_it(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = paid_order(client, shop, stripe)
    tickex.refund_order(RefundOrder(organizer_id=shop.organizer, order_id=placed["order_id"],
                                    amount_minor=1050))  # fmt: skip
    tickex.process_outbox()
    stripe.fake.deliver()
    # The fee returned with 10.50 of 51.50: TickEx's estimate (half-even: 0.31) and
    # Stripe's own share (rounded down: 0.30) differ by a cent; the ledger keeps Stripe's
    assert stripe.outcomes("charge.refunded") == ["fees_settled"]
    assert order(client, placed)["refunded"]["amount_minor"] == 1050
    assert len(stripe.fake.objects["refund"]) == 1
    assert -balance(tickex, PLATFORM_REVENUE, placed["order_id"]) == 150 - 30
    assert_books_agree(tickex, stripe, shop)


def test_a_refund_reported_before_the_payment_pays_the_order_first(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = place(client, shop)
    stripe.fake.pay(session_of(placed))
    stripe.fake.refund_by_hand(session_of(placed), 1000, reverse_transfer=True,
                               refund_application_fee=True)  # fmt: skip
    stripe.fake.deliver(order="reverse")
    assert stripe.outcomes("charge.refunded") == ["refund_recorded"]
    assert stripe.outcomes("checkout.session.completed") == ["already_paid"]
    got = order(client, placed)
    assert (got["status"], got["refunded"]["amount_minor"]) == ("partially_refunded", 1000)
    assert len(got["tickets"]) == 2
    assert balance(tickex, PROCESSOR_FEES, placed["order_id"]) == 102  # read back at once
    assert_books_agree(tickex, stripe, shop)


# -- disputes ------------------------------------------------------------------------------------
def test_a_dispute_freezes_the_tickets_and_won_reinstates_them_the_fee_stays_a_cost(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = paid_order(client, shop, stripe)
    owed = payable(tickex, shop.organizer)
    dispute = stripe.fake.dispute(session_of(placed))
    stripe.fake.deliver()
    assert stripe.outcomes("charge.dispute.created") == ["dispute_open"]
    assert stripe.outcomes("charge.dispute.funds_withdrawn") == ["dispute_open"]
    assert ticket_statuses(client, placed) == ["frozen", "frozen"]
    assert payable(tickex, shop.organizer) == owed - 5150  # at the organizer's cost ...
    assert balance(tickex, DISPUTE_FEES) == 1500  # ... and Stripe's fee at the platform's
    with pytest.raises(RefundNotAllowed, match="disputed"):
        tickex.refund_order(RefundOrder(organizer_id=shop.organizer,
                                        order_id=placed["order_id"]))  # fmt: skip
    stripe.fake.close_dispute(dispute["id"], won=True)
    stripe.fake.deliver()
    assert stripe.outcomes("charge.dispute.closed") == ["dispute_won"]
    assert ticket_statuses(client, placed) == ["active", "active"]
    assert payable(tickex, shop.organizer) == owed
    assert balance(tickex, DISPUTE_FEES) == 1500
    kinds = {tx.kind for tx in tickex.ledger_transactions() if tx.reference == dispute["id"]}
    assert kinds == {TransactionKind.DISPUTE}
    assert_ledger_balanced(tickex)


def test_a_dispute_lost_revokes_the_tickets_and_the_money_stays_withdrawn(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = paid_order(client, shop, stripe)
    dispute = stripe.fake.dispute(session_of(placed))
    stripe.fake.close_dispute(dispute["id"], won=False)
    stripe.fake.deliver(order="reverse", times=2)  # closed first: read back, it is all known
    assert stripe.outcomes("charge.dispute.closed") == ["dispute_lost", "duplicate"]
    assert set(stripe.outcomes("charge.dispute.created")) == {"dispute_lost", "duplicate"}
    assert ticket_statuses(client, placed) == ["revoked", "revoked"]
    assert seats_left(client, shop) == 5
    clearing = balance(tickex, CLEARING)
    assert clearing == 5150 - 102 - 5150 - 1500  # paid, Stripe's fee, withdrawn, dispute fee
    assert_ledger_balanced(tickex)


def test_a_dispute_won_with_its_fee_returned_costs_nothing(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = paid_order(client, shop, stripe)
    dispute = stripe.fake.dispute(session_of(placed), reason="product_not_received")
    stripe.fake.close_dispute(dispute["id"], won=True, fee_returned=True)
    stripe.fake.deliver(order="shuffle", seed=3)
    assert balance(tickex, DISPUTE_FEES) == 0
    assert ticket_statuses(client, placed) == ["active", "active"]
    assert_books_agree(tickex, stripe, shop)


# -- payouts ---------------------------------------------------------------------------------------
def test_a_payout_of_the_organizers_account_is_booked_once(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    paid_order(client, shop, stripe)
    paid_order(client, shop, stripe, quantity=1)
    payout = stripe.fake.payout(ACCOUNT, amount=4000)
    stripe.fake.deliver(times=3)
    assert stripe.outcomes("payout.paid") == ["payout_recorded", "duplicate", "duplicate"]
    assert stripe.outcomes("payout.created") == ["ignored"] * 3
    (booked,) = [tx for tx in tickex.ledger_transactions() if tx.kind is TransactionKind.PAYOUT]
    assert booked.reference == payout["id"]
    assert_books_agree(tickex, stripe, shop)
    stripe.fake.payout(ACCOUNT)  # the rest
    stripe.fake.deliver()
    assert payable(tickex, shop.organizer) == 0
    assert_books_agree(tickex, stripe, shop)


def payout_transactions(tickex: TickEx, payout_id: str) -> list[Any]:
    return [tx for tx in tickex.ledger_transactions() if tx.reference == payout_id]


def test_a_payout_that_fails_after_it_was_paid_is_reversed_once(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    paid_order(client, shop, stripe)
    owed = payable(tickex, shop.organizer)
    payout = stripe.fake.payout(ACCOUNT, amount=3000)
    stripe.fake.deliver()
    assert payable(tickex, shop.organizer) == owed - 3000
    assert_books_agree(tickex, stripe, shop)
    failed = stripe.fake.fail_payout(payout["id"])
    assert (failed["status"], failed["failure_code"]) == ("failed", "account_closed")
    stripe.fake.deliver(times=3)
    assert stripe.outcomes("payout.failed") == ["payout_reversed", "duplicate", "duplicate"]
    assert payable(tickex, shop.organizer) == owed  # the money is back, owed again
    booked, reversal = payout_transactions(tickex, payout["id"])
    assert (booked.kind, reversal.kind) == (TransactionKind.PAYOUT, TransactionKind.PAYOUT)
    assert reversal.reverses == booked.id
    assert {(e.account, e.amount.amount_minor) for e in reversal.entries} == {
        (e.account, -e.amount.amount_minor) for e in booked.entries}  # fmt: skip
    assert_books_agree(tickex, stripe, shop)
    # the organizer's metrics: nothing paid out in all
    (money,) = tickex.organizer_metrics(GetOrganizerMetrics(organizer_id=shop.organizer)).money
    assert (money.payouts.amount_minor, money.balance.amount_minor) == (0, owed)
    stripe.fake.payout(ACCOUNT)  # the next payout takes what is there
    stripe.fake.deliver()
    assert payable(tickex, shop.organizer) == 0
    assert_books_agree(tickex, stripe, shop)


def test_a_payout_failed_before_its_paid_arrives_is_never_booked(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    paid_order(client, shop, stripe)
    owed = payable(tickex, shop.organizer)
    payout = stripe.fake.payout(ACCOUNT, amount=3000)
    stripe.fake.fail_payout(payout["id"], failure_code="no_account")
    stripe.fake.deliver(order="reverse", times=2)  # failed, paid, created; then again
    assert stripe.outcomes("payout.failed") == ["payout_failed", "duplicate"]
    assert stripe.outcomes("payout.paid") == ["duplicate", "duplicate"]  # books nothing
    assert payout_transactions(tickex, payout["id"]) == []
    assert payable(tickex, shop.organizer) == owed
    assert_books_agree(tickex, stripe, shop)


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_paid_and_failed_in_any_order_and_number_end_the_same(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe, seed: int
) -> None:
    paid_order(client, shop, stripe)
    paid_order(client, shop, stripe, quantity=1)
    owed = payable(tickex, shop.organizer)
    first = stripe.fake.payout(ACCOUNT, amount=2000)
    second = stripe.fake.payout(ACCOUNT, amount=1500)
    stripe.fake.fail_payout(first["id"])
    stripe.fake.fail_payout(second["id"])
    kept = stripe.fake.payout(ACCOUNT, amount=1000)  # this one stays paid
    stripe.fake.deliver(order="shuffle", seed=seed, times=2)  # (seed 2: both failed first)
    for payout in (first, second):  # reversed if paid came first, else never booked
        said = [(a["type"], a["outcome"]) for a in stripe.answers
                if stripe.fake.objects["event"][a["event_id"]]["data"]["object"]["id"]
                == payout["id"] and a["type"] != "payout.created"]  # fmt: skip
        paid_first = said[0][0] == "payout.paid"
        assert said == ([("payout.paid", "payout_recorded"), ("payout.paid", "duplicate"),
                         ("payout.failed", "payout_reversed"), ("payout.failed", "duplicate")]
                        if paid_first else
                        [("payout.failed", "payout_failed"), ("payout.failed", "duplicate"),
                         ("payout.paid", "duplicate"), ("payout.paid", "duplicate")])  # fmt: skip
    net = {p["id"]: -sum(e.amount.amount_minor for tx in payout_transactions(tickex, p["id"])
                         for e in tx.entries if e.account == organizer_payable(shop.organizer))
           for p in (first, second, kept)}  # fmt: skip
    assert net == {first["id"]: 0, second["id"]: 0, kept["id"]: -1000}
    assert payable(tickex, shop.organizer) == owed - 1000
    assert_books_agree(tickex, stripe, shop)


def test_a_payout_of_an_account_no_organizer_has_is_ignored(
    tickex: TickEx, stripe: Stripe, shop: Shop
) -> None:
    stripe.fake.add_account("acct_someone_else")
    stripe.fake.balances[("acct_someone_else", "eur")] = 500
    payout = stripe.fake.payout("acct_someone_else")
    stripe.fake.fail_payout(payout["id"])
    stripe.fake.deliver()
    assert stripe.outcomes("payout.paid") == stripe.outcomes("payout.failed") == ["ignored"]
    assert [tx for tx in tickex.ledger_transactions() if tx.kind is TransactionKind.PAYOUT] == []


def test_stripe_unreachable_while_reading_a_charge_back_is_retried_later(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    placed = paid_order(client, shop, stripe)
    stripe.fake.refund_by_hand(session_of(placed), 500)
    stripe.fake.fail_next(503)  # reading the charge back fails (no retries in these tests)
    stripe.fake.deliver()
    assert stripe.answers[-1]["status"] == 503
    assert order(client, placed)["refunded"]["amount_minor"] == 0
    stripe.fake.deliver()  # Stripe retries what was not answered with 2xx
    assert order(client, placed)["refunded"]["amount_minor"] == 500
    assert_ledger_balanced(tickex)


def test_an_event_about_a_charge_stripe_does_not_have_is_acknowledged_and_left_for_review(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx, stripe: Stripe
) -> None:
    """Retrying cannot make a missing object exist, and Stripe disables an endpoint that
    keeps failing: the event is answered 200 ``flagged`` once (a review kept), then
    ``duplicate``. (Stripe unreachable still answers 503: the test above.)"""
    paid_order(client, shop, stripe)
    (event,) = stripe.fake.events_of("charge.succeeded")
    foreign = {
        **event,
        "id": "evt_foreign_charge",
        "type": "charge.refunded",
        "data": {"object": {**event["data"]["object"], "id": "ch_not_at_this_stripe"}},
    }
    stripe.fake.send(foreign, times=2)  # fmt: skip
    assert [(a["status"], a["outcome"]) for a in stripe.answers[-2:]] == [
        (200, "flagged"), (200, "duplicate")]  # fmt: skip
    reviews = [r for r in tickex.services.read(lambda uow: uow.payment_reviews.list_by_status(
        PaymentReviewStatus.OPEN, 10, 0))]  # fmt: skip
    assert [(r.event_id, "could not be read back" in r.problem) for r in reviews] == [
        ("evt_foreign_charge", True)]  # fmt: skip
    assert_ledger_balanced(tickex)
