"""Writing the outbox: a message (``enqueue``), and an order's domain events turned into
its messages (``queue_order_messages``).

An aggregate records what happened (``Order.events``: ``OrderPaid``, ``OrderRefunded``);
this module is where those facts become work for the world, in the same unit of work:
a paid order's tickets are to be delivered, a refund is to be sent to the provider (unless
it was made there) and the buyer told of it. Each
event is handled once: the list is emptied after it was read."""

from __future__ import annotations

from tickex.application.services import Core
from tickex.domain.events import OrderPaid, OrderRefunded
from tickex.domain.money import Money
from tickex.domain.order import Order, OrderStatus
from tickex.domain.outbox import MessageKind, OutboxMessage
from tickex.ports.unit_of_work import UnitOfWork


def enqueue(
    services: Core, uow: UnitOfWork, kind: MessageKind, key: str, payload: dict[str, object]
) -> None:
    now = services.clock.now()
    uow.outbox.add(
        OutboxMessage(
            id=services.ids.new_id(),
            kind=kind,
            payload=payload,
            idempotency_key=key,
            created_at=now,
            available_at=now,
        )
    )


def notify(services: Core, uow: UnitOfWork, key: str, to: str, subject: str, text: str) -> None:
    """A plain-text email to ``to`` through the outbox (``NOTIFY_CUSTOMER``), once per
    ``key``."""
    enqueue(services, uow, MessageKind.NOTIFY_CUSTOMER, key,
            {"to": to, "subject": subject, "text": text})  # fmt: skip


def queue_order_messages(services: Core, uow: UnitOfWork, order: Order) -> None:
    """The outbox messages the order's new events call for (call it after the ledger is
    posted: a refund message is keyed by the order's count of ledger transactions)."""
    for event in order.events:
        if isinstance(event, OrderPaid):
            enqueue(services, uow, MessageKind.DELIVER_TICKETS, f"deliver:{order.id}",
                    {"order_id": order.id})  # fmt: skip
        elif isinstance(event, OrderRefunded) and event.amount_minor:
            n = len(uow.ledger.list_for_order(order.id))
            if not event.at_provider:
                enqueue(
                    services, uow, MessageKind.REFUND_PAYMENT, f"refund:{order.id}:{n}",
                    {"order_id": order.id, "payment_reference": order.payment_reference or "",
                     "amount_minor": event.amount_minor, "currency": event.currency,
                     "fee_minor": event.fee_minor, "reason": order.status_reason},
                )  # fmt: skip
            amount = Money(event.amount_minor, event.currency)
            notify(
                services, uow, f"notify:{order.id}:refund:{n}", order.customer_email,
                f"Order {order.code}: {amount} refunded",
                f"{amount} of your payment for order {order.code} is refunded "
                f"({'all of it' if order.status is OrderStatus.REFUNDED else 'in part'}). "
                "It reaches your account in a few days, by the way you paid.",
            )  # fmt: skip
    order.events.clear()
