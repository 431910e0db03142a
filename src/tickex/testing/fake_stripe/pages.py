"""The fake's pages and its HTTP handler: the hosted Checkout page a buyer pays on and the
onboarding page of an account link (what an offline run needs), and the request handler
that serves them and passes every API request to the fake."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from tickex.testing.fake_stripe.wire import (
    MAX_BODY_BYTES,
    ONBOARDED,
    Json,
    StripeFailure,
    decode_form,
)
from tickex.testing.loopback_server import LoopbackHandler

if TYPE_CHECKING:
    from tickex.testing.fake_stripe.fake import FakeStripe


def checkout_page(fake: FakeStripe, session_id: str) -> tuple[int, str]:
    with fake._lock:
        session = fake.objects["checkout.session"].get(session_id)
        if session is None:
            return 404, "<h1>Checkout not found</h1>"
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        if session["status"] != "open":
            return 200, f"<h1>This checkout is {html.escape(session['status'])}</h1>"
        lines = "".join(
            f"<li>{html.escape(line['price_data']['product_data']['name'])} x "
            f"{html.escape(line['quantity'])}</li>"
            for line in fake.created_with[session_id]["line_items"]
        )
        return 200, (
            f"<h1>Fake Stripe Checkout</h1><ul>{lines}</ul><p>{html.escape(amount)}</p>"
            '<form method="post"><button name="outcome" value="paid">Pay by card</button> '
            '<button name="outcome" value="processing">Pay by bank debit (settles '
            "later)</button></form><p>No money moves: TickEx's local fake of Stripe.</p>"
        )


def onboarding_page(fake: FakeStripe, path: str) -> tuple[int, str]:
    with fake._lock:
        link = _link(fake, path)
        if link is None:
            return 404, "<h1>This onboarding link is not valid</h1>"
        return 200, (
            "<h1>Fake Stripe Connect onboarding</h1>"
            f"<p>Account {html.escape(link['account'])}</p>"
            '<form method="post"><button>Complete onboarding</button></form>'
            "<p>No account is verified: TickEx's local fake of Stripe.</p>"
        )


def onboard_from_page(fake: FakeStripe, path: str) -> str | None:
    """The page's button: the account can take charges and be paid out
    (``account.updated``), and the browser goes to the link's ``return_url``."""
    with fake._lock:
        link = _link(fake, path)
        if link is None:
            return None
        fake.update_account(link["account"], **ONBOARDED)
        return str(link["return_url"])


def _link(fake: FakeStripe, path: str) -> Json | None:
    return next((link for link in fake.account_links
                 if urlsplit(link["url"]).path == path), None)  # fmt: skip


def pay_from_page(fake: FakeStripe, session_id: str, form: Json) -> str | None:
    """The page's button: pay, and answer where the browser goes next."""
    outcome: Literal["paid", "processing"] = (
        "processing" if form.get("outcome") == "processing" else "paid"
    )
    try:
        session = fake.pay(session_id, outcome=outcome)
    except StripeFailure:
        return None
    success = session.get("success_url")
    return str(success).replace("{CHECKOUT_SESSION_ID}", session_id) if success else None


class Handler(LoopbackHandler):
    fake: FakeStripe
    server_version = "FakeStripe/1"

    def _send(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str]
    ) -> None:
        self.send(status, body, {"Content-Type": content_type, **headers})

    def _api(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, b'{"error": {"type": "invalid_request_error", "message": '
                       b'"Request too large"}}', "application/json", {})  # fmt: skip
            return
        raw = self.rfile.read(length)
        parts = urlsplit(self.path)
        fake, path = self.fake, parts.path
        if path.startswith("/checkout/"):
            session_id = path.removeprefix("/checkout/")
            self._page(
                method,
                lambda: pay_from_page(fake, session_id, decode_form(raw.decode("utf-8"))),
                lambda: checkout_page(fake, session_id),
            )
            return
        if path.startswith("/connect/"):
            self._page(
                method, lambda: onboard_from_page(fake, path), lambda: onboarding_page(fake, path)
            )
            return
        headers = {name: value for name, value in self.headers.items()}
        status, body, extra = fake.handle(method, path, parts.query, headers, raw)
        self._send(status, json.dumps(body, indent=2).encode(), "application/json", extra)

    def _page(
        self,
        method: str,
        submit: Callable[[], str | None],
        render: Callable[[], tuple[int, str]],
    ) -> None:
        """A page: a POST ``submit``s its form and goes where that answers (303); a GET, or
        a form that goes nowhere, shows the page ``render`` makes."""
        if method == "POST":
            target = submit()
            if target is not None:
                self._send(303, b"", "text/plain", {"Location": target})
                return
        status, text = render()
        page = f"<!doctype html><meta charset=utf-8><title>Fake Stripe</title>{text}"
        self._send(status, page.encode(), "text/html; charset=utf-8", {})

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's hook names
        self._api("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._api("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._api("DELETE")
