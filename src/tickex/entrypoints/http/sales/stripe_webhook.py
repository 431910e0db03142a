"""``POST /webhooks/stripe``: Stripe's events (docs/adapters/payments.md).

The body is read raw, exactly as it arrived, and handed with the ``Stripe-Signature``
header to ``receive_payment_webhook``: the configured gateway checks the signature on
those bytes before anything is parsed. A rejected request answers 400 problem+json
(``webhook_rejected``) and changes nothing; a verified one answers 200 with what was
done, so Stripe stops resending it (a 503 ``payment_unavailable`` asks it to retry).
Not in the OpenAPI document: Stripe calls it, API clients do not.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, Request, post

from tickex.application.sales.receive_payment_webhook import ReceivePaymentWebhook
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.guards import NO_STORE
from tickex.entrypoints.http.links import STRIPE_WEBHOOK_PATH


class StripeWebhookController(Controller):
    path = STRIPE_WEBHOOK_PATH
    include_in_schema = False
    cache_control = NO_STORE

    @post("/", operation_id="receiveStripeWebhook", status_code=200)
    async def receive(self, request: Request[Any, Any, Any], tickex: App) -> dict[str, str | bool]:
        command = ReceivePaymentWebhook(
            payload=await request.body(), signature=request.headers.get("stripe-signature")
        )
        receipt = await anyio.to_thread.run_sync(tickex.receive_payment_webhook, command)
        return {"received": True, "event_id": receipt.event_id, "outcome": str(receipt.outcome)}
