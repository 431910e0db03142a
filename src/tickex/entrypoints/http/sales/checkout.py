"""``/pay/{reference}``: the local payment provider's hosted checkout page.

The local provider (the embedded default, for development and demos) has no web site of
its own, so TickEx plays it: ``GET`` shows the amount and a *Pay* button, ``POST`` confirms
the payment through the ``confirm_payment`` use case, exactly as a provider's webhook
would. The provider event id is derived from the session reference, so submitting twice
(a double click, a reload) confirms once.

What a session asks for is read from its order (``get_checkout``), so every API process
answers, before and after a restart. The pages exist only while the local provider is
configured; any other provider (Stripe hosts its own pages) answers 404 here.

Pages are self-contained (``pages.page``) and every value is escaped.
"""

from __future__ import annotations

import html
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import Parameter
from pydantic import ValidationError

from tickex.application.command import described
from tickex.application.sales.confirm_payment import ConfirmPayment
from tickex.application.sales.get_checkout import CheckoutView, GetCheckout
from tickex.domain.errors import NotFound
from tickex.domain.order import PAID_STATES, OrderStatus
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.pages import page
from tickex.facade import TickEx

LOCAL_PROVIDER = "local"
REFERENCE_PATTERN = described(
    r"^[A-Za-z0-9_-]{1,100}$", "may hold only letters, digits, '-' and '_' (at most 100)"
)
Reference = Annotated[str, Parameter(max_length=100, pattern=REFERENCE_PATTERN)]


def _checkout(tickex: TickEx, reference: str) -> CheckoutView | None:
    """The session's order, if the local provider is configured and knows the reference."""
    if tickex.payment_provider() != LOCAL_PROVIDER:
        return None
    try:
        return tickex.get_checkout(GetCheckout(payment_reference=reference))
    except (NotFound, ValidationError):
        return None


def _unknown() -> Response[str]:
    return page(
        "Checkout not found",
        "<h1>Checkout not found</h1><p>This payment link is unknown or has been used.</p>",
        status=404,
    )


def _paid(order_code: str) -> Response[str]:
    code = html.escape(order_code)
    return page(
        "Payment received",
        f"<h1>Payment received</h1><p>Your order code is <strong>{code}</strong>.</p>"
        "<p>Your tickets are on their way to your email.</p>",
    )


class CheckoutController(Controller):
    path = "/pay"
    include_in_schema = False  # HTML pages of the local provider, not part of the API

    @get("/{reference:str}", operation_id="showCheckout", sync_to_thread=False)
    def show(self, tickex: App, reference: Reference) -> Response[str]:
        checkout = _checkout(tickex, reference)
        if checkout is not None and checkout.status in PAID_STATES:
            return _paid(checkout.order_code)
        if checkout is None or checkout.status is not OrderStatus.PENDING:
            return _unknown()
        e = html.escape
        return page(
            f"Pay {checkout.amount}",
            f"<h1>{e(checkout.event_title)}</h1>"
            f'<p class="amount">{e(str(checkout.amount))}</p>'
            f"<p>Order <strong>{e(checkout.order_code)}</strong></p>"
            '<form method="post"><button type="submit">Pay</button></form>'
            '<p class="note">Local test payment provider: no money moves.</p>',
        )

    @post(
        "/{reference:str}", operation_id="confirmLocalPayment", status_code=200,
        sync_to_thread=True,
    )  # fmt: skip
    def pay(self, tickex: App, reference: Reference) -> Response[str]:
        if tickex.payment_provider() != LOCAL_PROVIDER:
            return _unknown()
        # The order behind the reference is read once, in the payment's own unit, and it is
        # its state that makes a second press of Pay do nothing (no event id to record).
        try:
            result = tickex.confirm_payment(
                ConfirmPayment(
                    provider=LOCAL_PROVIDER,
                    payment_reference=reference,
                )
            )
        except (NotFound, ValidationError):
            return _unknown()
        e = html.escape
        code = e(result.order_code)
        if result.status in PAID_STATES:
            return _paid(result.order_code)
        return page(
            "Payment refunded",
            f"<h1>Payment refunded</h1><p>The payment for order <strong>{code}</strong> "
            "could not be turned into tickets (the reservation had ended and they sold out, "
            f"or the event was cancelled): {e(str(result.total))} is on its way back to "
            "you.</p>",
        )
