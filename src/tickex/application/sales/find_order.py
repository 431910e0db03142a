"""find_order: the buyer's order by its human code (the ``order_code`` placeOrder answers,
printed in the emails) and the email it was placed with: what get_order answers, without
the 32-hex order id.

An unknown code and a wrong email are one answer (``NotFound`` without context) after the
same work: one lookup by code and one constant-time comparison of the email, against a
stand-in when no order has the code. The code is matched in any case (``OrderCode``
upper-cases what was typed), the email as get_order matches it (lower case).

Guessing is bounded twice. The HTTP layer limits each client address (``findOrder`` in
``DEFAULT_POLICIES``); here every attempt also counts against the email and against the
code (``FIND_ATTEMPTS`` in ``FIND_WINDOW_SECONDS`` each), before anything is read, so
guesses spread over many client addresses still run out: codes tried for one buyer's email,
or emails tried for a code seen on a printed ticket. The keys are digests (no email in the
limiter's store). They fail open (``throttle.refusal``): with the limiter down the
per-address limit still holds. The price: someone who floods a buyer's email or code holds
that buyer's lookup off for the window (the order id link in their email still works).
"""

from __future__ import annotations

import hashlib
import hmac

from tickex.application.command import Command, Email, OrderCode
from tickex.application.identity.throttle import refusal
from tickex.application.sales.get_order import OrderDetails, order_details
from tickex.application.services import NeedsIdentity
from tickex.domain.errors import NotFound, TooManyAttempts
from tickex.ports.unit_of_work import UnitOfWork

FIND_ATTEMPTS = 10
FIND_WINDOW_SECONDS = 600
#: compared with the given email when no order has the code (no email is this long)
_NO_ONES_EMAIL = "x" * 255


class FindOrder(Command):
    order_code: OrderCode
    customer_email: Email


def _key(kind: str, value: str) -> str:
    return f"find-order-{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def _throttle(services: NeedsIdentity, code: str, email: str) -> None:
    for key in (_key("email", email), _key("code", code)):
        decision = refusal(services, key, FIND_ATTEMPTS, FIND_WINDOW_SECONDS)
        if decision is not None:
            raise TooManyAttempts(
                "too many order lookups for this email or code; try again later",
                retry_after_seconds=decision.retry_after_seconds,
            )


def find_order(services: NeedsIdentity, command: FindOrder) -> OrderDetails:
    email = command.customer_email.lower()
    _throttle(services, command.order_code, email)

    def work(uow: UnitOfWork) -> OrderDetails:
        order = uow.orders.get_by_code(command.order_code)
        expected = _NO_ONES_EMAIL if order is None else order.customer_email
        if not hmac.compare_digest(expected.encode(), email.encode()) or order is None:
            raise NotFound("order not found")
        return order_details(services, uow, order)

    return services.read(work)
