"""The provider's side of a pending order: its checkout session is closed before the
order's hold is given back, so that nobody pays for seats that are no longer held."""

from __future__ import annotations

from tickex.application.services import NeedsSales
from tickex.domain.order import Order, OrderStatus
from tickex.ports.payment import PaymentError


def close_checkout(services: NeedsSales, order: Order | None) -> None:
    """Ask the provider to close a pending order's session (outside any unit of work).
    A provider that refuses or cannot be reached leaves it open: a payment that still
    arrives is a late payment, which takes the seats again or is refunded at once."""
    if order is None or order.status is not OrderStatus.PENDING or not order.payment_reference:
        return
    try:
        services.sales.payments.expire_checkout(order.payment_reference)
    except PaymentError:
        return
