"""What happens to a payment after it is made, steered by a test: a refund made by hand in
Stripe's dashboard, a dispute (chargeback) opened by the buyer's bank and decided, and a
connected account paid out to its holder's bank (and the payout failing, even after it
was paid: the bank sends the money back). Functions of the fake whose state they
read and change; the fake calls them holding its lock.

A dispute withdraws the disputed amount and Stripe's dispute fee from the platform's
balance (one balance transaction); a dispute won reinstates the amount (a second one)
and, when ``fee_returned``, the fee too. Its events are Stripe's:
``charge.dispute.created`` and ``charge.dispute.funds_withdrawn`` when it opens,
``charge.dispute.funds_reinstated`` (won) and ``charge.dispute.closed`` when decided."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from tickex.testing.fake_stripe import resources
from tickex.testing.fake_stripe.wire import Json, StripeFailure, invalid, missing

if TYPE_CHECKING:
    from tickex.testing.fake_stripe.fake import FakeStripe

OPEN_DISPUTE = "needs_response"


def charge_of_session(fake: FakeStripe, session_id: str) -> Json:
    session = fake.objects["checkout.session"].get(session_id)
    if session is None:
        raise missing("checkout.session", session_id)
    intent = fake.objects["payment_intent"].get(session.get("payment_intent") or "")
    charge = fake.objects["charge"].get((intent or {}).get("latest_charge") or "")
    if charge is None:
        raise invalid("session", f"Checkout Session {session_id} has no charge.")
    return charge


def refund_by_hand(
    fake: FakeStripe, session_id: str, amount: int | None, *, reverse_transfer: bool,
    refund_application_fee: bool,
) -> Json:  # fmt: skip
    """A refund made in the dashboard: no idempotency key, TickEx never asked."""
    charge = charge_of_session(fake, session_id)
    params: Json = {"charge": charge["id"], "reason": "requested_by_customer"}
    if amount is not None:
        params["amount"] = str(amount)
    if charge["transfer_data"]:  # the dashboard offers both only for destination charges
        params["reverse_transfer"] = "true" if reverse_transfer else "false"
        params["refund_application_fee"] = "true" if refund_application_fee else "false"
    return resources.create_refund(fake, params, None)


def open_dispute(fake: FakeStripe, session_id: str, reason: str, amount: int | None) -> Json:
    charge = charge_of_session(fake, session_id)
    if charge["disputed"]:
        raise invalid("charge", f"Charge {charge['id']} is already disputed.")
    amount = charge["amount"] - charge["amount_refunded"] if amount is None else amount
    if not 0 < amount <= charge["amount"] - charge["amount_refunded"]:
        raise invalid("amount", "A dispute is of at most what is left of the charge.")
    dispute = fake.from_fixture(
        "dispute", id=fake.new_id("du"), amount=amount, charge=charge["id"],
        currency=charge["currency"], created=fake.now(), status=OPEN_DISPUTE, reason=reason,
        payment_intent=charge["payment_intent"], is_charge_refundable=False,
        balance_transactions=[],
    )  # fmt: skip
    dispute["balance_transactions"].append(
        _movement(fake, dispute, -amount, fake.dispute_fee_minor, "Chargeback withdrawal")
    )
    fake.objects["dispute"][dispute["id"]] = dispute
    charge["disputed"] = True
    fake.emit("charge.dispute.created", dispute)
    fake.emit("charge.dispute.funds_withdrawn", dispute)
    return copy.deepcopy(dispute)


def close_dispute(fake: FakeStripe, dispute_id: str, *, won: bool, fee_returned: bool) -> Json:
    dispute = fake.objects["dispute"].get(dispute_id)
    if dispute is None:
        raise missing("dispute", dispute_id)
    if dispute["status"] in ("won", "lost"):
        raise StripeFailure(400, f"Dispute {dispute_id} is already closed.")
    dispute["status"] = "won" if won else "lost"
    if won:
        fee = -fake.dispute_fee_minor if fee_returned else 0
        dispute["balance_transactions"].append(
            _movement(fake, dispute, dispute["amount"], fee, "Chargeback reversal")
        )
        fake.emit("charge.dispute.funds_reinstated", dispute)
    fake.emit("charge.dispute.closed", dispute)
    return copy.deepcopy(dispute)


def _movement(fake: FakeStripe, dispute: Json, amount: int, fee: int, description: str) -> Json:
    """A balance transaction of the dispute, expanded (as Stripe sends a dispute's)."""
    txn = fake.from_fixture(
        "balance_transaction", id=fake.new_id("txn"), amount=amount, fee=fee, net=amount - fee,
        currency=dispute["currency"], created=fake.now(), available_on=fake.now(),
        description=description, type="adjustment", reporting_category="dispute",
        source=dispute["id"], status="available",
        fee_details=[{"amount": fee, "application": None, "currency": dispute["currency"],
                      "description": "Dispute fee", "type": "stripe_fee"}] if fee else [],
    )  # fmt: skip
    fake.objects["balance_transaction"][txn["id"]] = txn
    return copy.deepcopy(txn)


def pay_out(fake: FakeStripe, account_id: str, currency: str, amount: int | None) -> Json:
    """The connected account's balance (or ``amount`` of it) paid to its holder's bank:
    ``payout.created`` and ``payout.paid``, sent as the account's events."""
    if account_id not in fake.objects["account"]:
        raise missing("account", account_id, "account")
    balance = fake.balances.get((account_id, currency), 0)
    amount = balance if amount is None else amount
    if not 0 < amount <= balance:
        raise StripeFailure(400, f"Insufficient funds in the account: {balance} {currency}.",
                            code="balance_insufficient")  # fmt: skip
    payout = fake.from_fixture(
        "payout", id=fake.new_id("po"), amount=amount, currency=currency, created=fake.now(),
        arrival_date=fake.now() + 86400, automatic=True, balance_transaction=None,
        destination=fake.new_id("ba"), status="paid", description="STRIPE PAYOUT",
    )  # fmt: skip
    fake.objects["payout"][payout["id"]] = payout
    fake.payout_accounts[payout["id"]] = account_id
    fake.credit(account_id, currency, -amount)
    fake.emit("payout.created", {**payout, "status": "pending"}, account=account_id)
    fake.emit("payout.paid", payout, account=account_id)
    return copy.deepcopy(payout)


def fail_payout(fake: FakeStripe, payout_id: str, failure_code: str) -> Json:
    """The payout did not reach the bank (Stripe may say so days after ``payout.paid``):
    it is ``failed``, its amount is back in the account's balance, and ``payout.failed``
    is sent as the account's event."""
    payout = fake.objects["payout"].get(payout_id)
    if payout is None:
        raise missing("payout", payout_id, "payout")
    if payout["status"] in ("failed", "canceled"):
        raise StripeFailure(400, f"Payout {payout_id} is already {payout['status']}.")
    account_id = fake.payout_accounts[payout_id]
    returned = fake.from_fixture(
        "balance_transaction", id=fake.new_id("txn"), amount=payout["amount"], fee=0,
        net=payout["amount"], currency=payout["currency"], created=fake.now(),
        available_on=fake.now(), description="STRIPE PAYOUT FAILURE", type="payout_failure",
        reporting_category="payout_reversal", source=payout_id, status="available",
        fee_details=[],
    )  # fmt: skip
    fake.objects["balance_transaction"][returned["id"]] = returned
    payout.update(status="failed", failure_code=failure_code,
                  failure_message=_FAILURES.get(failure_code, "The payout failed."),
                  failure_balance_transaction=returned["id"])  # fmt: skip
    fake.credit(account_id, payout["currency"], payout["amount"])
    fake.emit("payout.failed", payout, account=account_id)
    return copy.deepcopy(payout)


_FAILURES = {  # Stripe's words for some of its payout failure codes
    "account_closed": "The bank account has been closed.",
    "no_account": "The bank account details on file are probably incorrect.",
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
}
