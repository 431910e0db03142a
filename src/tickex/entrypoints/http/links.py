"""``HttpLinks``: the ``Links`` port for the pages this HTTP API serves.

Kept next to the routes (``orders``, ``account pages``) so that a path changes in one
place; plain string formatting, nothing of Litestar, so the composition root can build it
without importing the web framework."""

from __future__ import annotations

from urllib.parse import quote

from tickex.ports.links import Links

#: where Stripe posts its events (``sales/stripe_webhook.py``); the fake Stripe that
#: ``TICKEX_PAYMENT_PROVIDER=stripe-fake`` starts is pointed here too
STRIPE_WEBHOOK_PATH = "/webhooks/stripe"


class HttpLinks(Links):
    def __init__(self, public_url: str) -> None:
        self._base = public_url.rstrip("/")

    def home(self) -> str:
        return self._base

    def order_page(self, order_id: str, customer_email: str) -> str:
        email = quote(customer_email, safe="@")
        return f"{self._base}/v1/orders/{quote(order_id, safe='')}?email={email}"

    def verify_email(self, token: str) -> str:
        return f"{self._base}/account/verify-email?token={quote(token)}"

    def reset_password(self, token: str) -> str:
        return f"{self._base}/account/reset-password?token={quote(token)}"
