"""The API operations of the fake: what each endpoint makes of its parameters (Checkout
Sessions, connected accounts and their links, refunds, expiring), the charge a payment
makes, and retrieving objects with ``expand[]``. Functions of the fake whose state they
read and change; the fake calls them holding its lock."""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tickex.testing.fake_stripe.wire import (
    MAX_EXPIRY_SECONDS,
    MIN_EXPIRY_SECONDS,
    ONBOARDED,
    REFUND_REASONS,
    Json,
    StripeFailure,
    bool_param,
    int_param,
    invalid,
    metadata_param,
    missing,
)

if TYPE_CHECKING:
    from tickex.testing.fake_stripe.fake import FakeStripe


def change_account(
    account: Json,
    *,
    charges_enabled: bool | None = None,
    payouts_enabled: bool | None = None,
    details_submitted: bool | None = None,
    currently_due: Iterable[str] | None = None,
    disabled_reason: str | None = "",  # "": as it is; None: no reason any more
) -> None:
    changes = {"charges_enabled": charges_enabled, "payouts_enabled": payouts_enabled,
               "details_submitted": details_submitted}  # fmt: skip
    account.update({name: value for name, value in changes.items() if value is not None})
    requirements = account["requirements"]
    if currently_due is not None:
        requirements["currently_due"] = list(currently_due)
        requirements["eventually_due"] = list(currently_due)
    if disabled_reason != "":
        requirements["disabled_reason"] = disabled_reason


def succeed(fake: FakeStripe, session: Json, intent: Json) -> None:
    """The money arrived: a charge with its balance transaction, the intent succeeded."""
    amount, currency = intent["amount"], intent["currency"]
    fee = min(amount, (amount * fake.fee_percent_bp + 5_000) // 10_000 + fake.fee_fixed_minor)
    txn = fake.from_fixture(
        "balance_transaction", id=fake.new_id("txn"), amount=amount, currency=currency,
        fee=fee, net=amount - fee, created=fake.now(), available_on=fake.now() + 2 * 86400,
        description=None, type="charge", reporting_category="charge", status="pending",
        fee_details=[{"amount": fee, "application": None, "currency": currency,
                      "description": "Stripe processing fees", "type": "stripe_fee"}],
    )  # fmt: skip
    charge = fake.from_fixture(
        "charge", id=fake.new_id("ch"), amount=amount, amount_captured=amount,
        amount_refunded=0, currency=currency, created=fake.now(), captured=True, paid=True,
        refunded=False, status="succeeded", payment_intent=intent["id"],
        balance_transaction=txn["id"], metadata=dict(intent["metadata"]),
        application_fee_amount=intent["application_fee_amount"],
        transfer_data=copy.deepcopy(intent["transfer_data"]),
        destination=(intent["transfer_data"] or {}).get("destination"),
        receipt_email=intent["receipt_email"], failure_code=None, failure_message=None,
        payment_method=intent["payment_method"],
    )  # fmt: skip
    txn["source"] = charge["id"]
    fake.objects["balance_transaction"][txn["id"]] = txn
    fake.objects["charge"][charge["id"]] = charge
    if charge["destination"]:
        pay_destination(fake, charge)
    intent.update(status="succeeded", amount_received=amount, latest_charge=charge["id"])
    session["payment_status"] = "paid"
    fake.emit("charge.succeeded", charge)
    fake.emit("payment_intent.succeeded", intent)


def pay_destination(fake: FakeStripe, charge: Json) -> None:
    """A destination charge: the whole amount is transferred to the connected account and
    the application fee taken back from it (the account keeps the rest)."""
    account, amount, currency = charge["destination"], charge["amount"], charge["currency"]
    transfer = fake.from_fixture(
        "transfer", id=fake.new_id("tr"), amount=amount, amount_reversed=0, currency=currency,
        created=fake.now(), destination=account, destination_payment=fake.new_id("py"),
        source_transaction=charge["id"], balance_transaction=None, reversed=False,
        reversals={"data": [], "has_more": False, "object": "list", "url": ""},
    )  # fmt: skip
    transfer["reversals"]["url"] = f"/v1/transfers/{transfer['id']}/reversals"
    fake.objects["transfer"][transfer["id"]] = transfer
    charge["transfer"] = transfer["id"]
    fee_amount = charge["application_fee_amount"] or 0
    fake.credit(account, currency, amount - fee_amount)
    if not fee_amount:
        return
    fee = fake.from_fixture(
        "application_fee", id=fake.new_id("fee"), account=account, amount=fee_amount,
        amount_refunded=0, charge=charge["id"], currency=currency, created=fake.now(),
        refunded=False, balance_transaction=None, originating_transaction=None,
        fee_source={"charge": charge["id"], "type": "charge"},
        refunds={"data": [], "has_more": False, "object": "list", "url": ""},
    )  # fmt: skip
    fee["refunds"]["url"] = f"/v1/application_fees/{fee['id']}/refunds"
    fake.objects["application_fee"][fee["id"]] = fee
    charge["application_fee"] = fee["id"]


def _share(part: int, whole: int, of: int, left: int, last: bool) -> int:
    """``of`` in proportion to ``part`` of ``whole``, rounded down (all that is ``left``
    on the last part): Stripe's proportional transfer reversals and fee refunds."""
    return left if last else min(left, of * part // whole)


def _reverse(fake: FakeStripe, charge: Json, refund: Json, amount: int, fee_too: bool) -> None:
    """A refund of a destination charge taken back from the connected account: the
    transfer reversed in proportion and, when asked, the application fee refunded in
    proportion (so the account gets that part of the fee back)."""
    transfer = fake.objects["transfer"][charge["transfer"]]
    last = charge["amount_refunded"] == charge["amount"]
    reversed_ = _share(amount, charge["amount"], transfer["amount"],
                       transfer["amount"] - transfer["amount_reversed"], last)  # fmt: skip
    reversal = fake.from_fixture(
        "transfer_reversal", id=fake.new_id("trr"), amount=reversed_, created=fake.now(),
        currency=charge["currency"], source_refund=refund["id"], transfer=transfer["id"],
        balance_transaction=None, destination_payment_refund=None,
    )  # fmt: skip
    fake.objects["transfer_reversal"][reversal["id"]] = reversal
    transfer["amount_reversed"] += reversed_
    transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
    refund["transfer_reversal"] = reversal["id"]
    fake.credit(charge["destination"], charge["currency"], -reversed_)
    fee = fake.objects["application_fee"].get(charge.get("application_fee") or "")
    if not fee_too or fee is None:
        return
    returned = _share(amount, charge["amount"], fee["amount"],
                      fee["amount"] - fee["amount_refunded"], last)  # fmt: skip
    fee["amount_refunded"] += returned
    fee["refunded"] = fee["amount_refunded"] == fee["amount"]
    fake.credit(charge["destination"], charge["currency"], returned)


def expire(fake: FakeStripe, session: Json, request: Json | None = None) -> None:
    session.update(status="expired", url=None)
    fake.emit("checkout.session.expired", session, request)


RETRIEVABLE = {
    ("checkout", "sessions"): "checkout.session",
    ("disputes",): "dispute",
    ("payouts",): "payout",
    ("application_fees",): "application_fee",
    ("transfers",): "transfer",
    ("payment_intents",): "payment_intent",
    ("charges",): "charge",
    ("refunds",): "refund",
    ("balance_transactions",): "balance_transaction",
    ("events",): "event",
    ("accounts",): "account",
}


def retrieve(fake: FakeStripe, parts: list[str], params: Json) -> Json:
    if len(parts) < 3 or parts[0] != "v1":
        raise StripeFailure(404, "Unrecognized request URL.")
    kind = RETRIEVABLE.get(tuple(parts[1:-1]))
    if kind is None:
        raise StripeFailure(404, "Unrecognized request URL.")
    found = fake.objects[kind].get(parts[-1])
    if found is None:
        raise missing(kind, parts[-1])
    obj = copy.deepcopy(found)
    expand = params.get("expand") or []
    for dotted in expand if isinstance(expand, list) else [expand]:
        _expand(fake, obj, str(dotted).split("."), dotted)
    return obj


def _expand(fake: FakeStripe, obj: Json, path: list[str], dotted: str) -> None:
    name, rest = path[0], path[1:]
    value = obj.get(name)
    if isinstance(value, str):
        value = next((copy.deepcopy(store[value]) for store in fake.objects.values()
                      if value in store), None)  # fmt: skip
        if value is None:
            raise invalid("expand", f"This property cannot be expanded ({dotted}).")
        obj[name] = value
    if rest and isinstance(value, dict):
        _expand(fake, value, rest, dotted)
    elif rest and value is not None:
        raise invalid("expand", f"This property cannot be expanded ({dotted}).")


def create_session(fake: FakeStripe, params: Json) -> Json:
    if params.get("mode") != "payment":
        raise invalid("mode", "This fake supports mode=payment only.", "parameter_missing")
    lines = params.get("line_items")
    if not isinstance(lines, list) or not lines:
        raise invalid("line_items", "line_items is required in payment mode.",
                      "parameter_missing")  # fmt: skip
    currencies, subtotal = set(), 0
    for i, line in enumerate(lines):
        if not isinstance(line, dict) or not isinstance(line.get("price_data"), dict):
            raise invalid(f"line_items[{i}][price_data]", "Give price_data (the fake "
                          "knows no prices).", "parameter_missing")  # fmt: skip
        price = line["price_data"]
        quantity = int_param(line, "quantity", minimum=1, required=True)
        unit = int_param(price, "unit_amount", required=True)
        product = price.get("product_data")
        if not isinstance(product, dict) or not product.get("name"):
            raise invalid(f"line_items[{i}][price_data][product_data][name]",
                          "Missing required param: name.", "parameter_missing")  # fmt: skip
        currency = price.get("currency")
        if not isinstance(currency, str) or not re.fullmatch(r"[a-z]{3}", currency):
            raise invalid(f"line_items[{i}][price_data][currency]", "Invalid currency.",
                          "parameter_invalid_empty")  # fmt: skip
        assert quantity is not None and unit is not None
        currencies.add(currency)
        subtotal += quantity * unit
    if len(currencies) != 1:
        raise invalid("line_items", "All line items must share one currency.",
                      "currency_mismatch")  # fmt: skip
    now = fake.now()
    expires_at = int_param(params, "expires_at")
    if expires_at is not None and not (
        now + MIN_EXPIRY_SECONDS <= expires_at <= now + MAX_EXPIRY_SECONDS
    ):
        raise invalid("expires_at", "The `expires_at` timestamp must be between 30 "
                      "minutes and 24 hours after the Checkout Session is created.",
                      "parameter_invalid_integer")  # fmt: skip
    intent_data = params.get("payment_intent_data") or {}
    if not isinstance(intent_data, dict):
        raise invalid("payment_intent_data", "Invalid object", "parameter_invalid_object")
    fee = int_param(intent_data, "application_fee_amount")
    destination = (intent_data.get("transfer_data") or {}).get("destination")
    if fee is not None and not destination:
        raise invalid("payment_intent_data[application_fee_amount]",
                      "Can only apply an application_fee_amount when the PaymentIntent "
                      "is attempting a direct payment (using an OAuth key or "
                      "Stripe-Account header) or destination payment (using "
                      "transfer_data[destination]).")  # fmt: skip
    if fee is not None and fee > subtotal:
        raise invalid("payment_intent_data[application_fee_amount]",
                      "The application fee cannot exceed the amount.")  # fmt: skip
    if destination is not None and not str(destination).startswith("acct_"):
        raise missing("destination", str(destination),
                      "payment_intent_data[transfer_data][destination]")  # fmt: skip
    metadata_param(intent_data)
    reference = params.get("client_reference_id")
    if reference is not None and not 1 <= len(reference) <= 200:
        raise invalid("client_reference_id", "At most 200 characters.")
    session_id = "cs_test_" + secrets.token_urlsafe(40).replace("-", "a").replace("_", "b")
    session = fake.from_fixture(
        "checkout.session", id=session_id, created=now,
        expires_at=expires_at if expires_at is not None else now + MAX_EXPIRY_SECONDS,
        status="open", payment_status="unpaid", payment_intent=None, mode="payment",
        amount_subtotal=subtotal, amount_total=subtotal, currency=currencies.pop(),
        client_reference_id=reference, customer_email=params.get("customer_email"),
        customer_details=None, metadata=metadata_param(params),
        success_url=params.get("success_url"), cancel_url=params.get("cancel_url"),
        url=f"{fake.url}/checkout/{session_id}", after_expiration=None,
        shipping_address_collection=None, shipping_cost=None, custom_text={
            "after_submit": None, "shipping_address": None, "submit": None,
            "terms_of_service_acceptance": None},
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        currency_conversion=None, collected_information=None, invoice_creation={
            "enabled": False, "invoice_data": fake.fixtures["checkout.session"][
                "invoice_creation"]["invoice_data"]},
        payment_method_types=["card"],
    )  # fmt: skip
    fake.objects["checkout.session"][session_id] = session
    fake.created_with[session_id] = params
    return copy.deepcopy(session)


def create_account(fake: FakeStripe, params: Json) -> Json:
    account_type = params.get("type")
    if account_type not in ("express", "standard", "custom"):
        raise invalid("type", "Invalid type: must be one of express, standard or custom.",
                      "parameter_invalid_empty")  # fmt: skip
    account = new_account(fake, fake.new_id("acct"), params)
    if fake.instant_onboarding:  # offline runs: no onboarding page to go through
        change_account(account, **ONBOARDED)
    return copy.deepcopy(account)


def new_account(fake: FakeStripe, account_id: str, params: Json) -> Json:
    """An account as Stripe makes it: nothing submitted yet, so neither charges nor
    payouts, and the fixture's requirements currently due."""
    fixture = fake.fixtures["account"]
    requested = params.get("capabilities") or {}
    capabilities = {name: "inactive" for name in requested} if isinstance(
        requested, dict) else {}  # fmt: skip
    account = fake.from_fixture(
        "account", id=account_id, created=fake.now(), type=params.get("type", "express"),
        email=params.get("email"), country=params.get("country", fixture["country"]),
        metadata=metadata_param(params), charges_enabled=False, payouts_enabled=False,
        details_submitted=False, capabilities=capabilities or fixture["capabilities"],
        requirements=copy.deepcopy(fixture["requirements"]),
        external_accounts={**fixture["external_accounts"],
                           "url": f"/v1/accounts/{account_id}/external_accounts"},
    )  # fmt: skip
    fake.objects["account"][account_id] = account
    return account


def create_account_link(fake: FakeStripe, params: Json) -> Json:
    account_id = params.get("account")
    if not isinstance(account_id, str) or not account_id:
        raise invalid("account", "Missing required param: account.", "parameter_missing")
    if account_id not in fake.objects["account"]:
        raise missing("account", account_id, "account")
    if params.get("type") not in ("account_onboarding", "account_update"):
        raise invalid("type", "Invalid type: must be account_onboarding or "
                      "account_update.")  # fmt: skip
    for name in ("refresh_url", "return_url"):
        url = params.get(name)
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise invalid(name, f"Not a valid URL: {name}.", "url_invalid")
    now = fake.now()
    link = fake.from_fixture(
        "account_link", created=now, expires_at=now + 300,
        url=f"{fake.url}/connect/{account_id}/{secrets.token_urlsafe(12)}",
    )  # fmt: skip
    fake.account_links.append({**link, "account": account_id, "type": params["type"],
                               "refresh_url": params["refresh_url"],
                               "return_url": params["return_url"]})  # fmt: skip
    return link


def expire_session(fake: FakeStripe, session_id: str, key: str | None) -> Json:
    session = fake.objects["checkout.session"].get(session_id)
    if session is None:
        raise missing("checkout.session", session_id, "session")
    if session["status"] != "open":
        raise StripeFailure(400, "Only Checkout Sessions with a status of `open` can be "
                            "expired.", saved=True)  # fmt: skip
    expire(fake, session, {"id": "req_" + secrets.token_hex(8), "idempotency_key": key})
    return copy.deepcopy(session)


def create_refund(fake: FakeStripe, params: Json, key: str | None) -> Json:
    if "payment_intent" in params:
        intent = fake.objects["payment_intent"].get(params["payment_intent"])
        if intent is None:
            raise missing("payment_intent", params["payment_intent"], "payment_intent")
        charge_id = intent["latest_charge"]
        if intent["status"] != "succeeded" or charge_id is None:
            raise StripeFailure(400, "This PaymentIntent does not have a successful "
                                "charge to refund.", code="charge_not_refundable",
                                param="payment_intent", saved=True)  # fmt: skip
    elif "charge" in params:
        charge_id = params["charge"]
    else:
        raise invalid("payment_intent", "One of `charge` or `payment_intent` is required.",
                      "parameter_missing")  # fmt: skip
    charge = fake.objects["charge"].get(charge_id)
    if charge is None:
        raise missing("charge", charge_id, "charge")
    left = charge["amount"] - charge["amount_refunded"]
    amount = int_param(params, "amount", minimum=1)
    amount = left if amount is None else amount
    if left == 0:
        raise StripeFailure(400, f"Charge {charge_id} has already been refunded.",
                            code="charge_already_refunded", saved=True)  # fmt: skip
    if amount > left:
        raise StripeFailure(400, f"Refund amount ({amount}) is greater than unrefunded "
                            f"amount on charge ({left})", code="amount_too_large",
                            param="amount", saved=True)  # fmt: skip
    reason = params.get("reason")
    if reason is not None and reason not in REFUND_REASONS:
        raise invalid("reason", f"Invalid reason: must be one of {sorted(REFUND_REASONS)}")
    if charge.get("disputed"):
        raise StripeFailure(400, f"Charge {charge_id} has been charged back; it cannot be "
                            "refunded.", code="charge_disputed", saved=True)  # fmt: skip
    reverse_transfer = bool_param(params, "reverse_transfer")
    refund_fee = bool_param(params, "refund_application_fee")
    if reverse_transfer and not charge["transfer_data"]:
        raise invalid("reverse_transfer", "reverse_transfer is only for destination "
                      "charges (transfer_data[destination]).")  # fmt: skip
    txn = fake.from_fixture(
        "balance_transaction", id=fake.new_id("txn"), amount=-amount, fee=0, net=-amount,
        currency=charge["currency"], created=fake.now(), available_on=fake.now(),
        description="REFUND FOR CHARGE", type="refund", reporting_category="refund",
        fee_details=[], status="available",
    )  # fmt: skip
    refund = fake.from_fixture(
        "refund", id=fake.new_id("re"), amount=amount, charge=charge_id,
        currency=charge["currency"], created=fake.now(), status="succeeded",
        payment_intent=charge["payment_intent"], balance_transaction=txn["id"],
        metadata=metadata_param(params), reason=reason,
        transfer_reversal=None,
    )  # fmt: skip
    txn["source"] = refund["id"]
    fake.objects["balance_transaction"][txn["id"]] = txn
    fake.objects["refund"][refund["id"]] = refund
    fake.refund_options[refund["id"]] = {"reverse_transfer": reverse_transfer,
                                         "refund_application_fee": refund_fee,
                                         "idempotency_key": key}  # fmt: skip
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    if reverse_transfer:
        _reverse(fake, charge, refund, amount, refund_fee)
    fake.emit("refund.created", refund)
    fake.emit("charge.refunded", charge)
    return copy.deepcopy(refund)
