"""cancel_event: the organizer calls an event off. Pending orders are cancelled (their
holds released) and every paid order is refunded in full, each in its own unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from tickex.application.command import EventCommand
from tickex.application.sales.cancel_order import CancelOrder, cancel_order
from tickex.application.sales.refund_order import RefundOrder, refund_order
from tickex.application.services import NeedsSales, owned_event
from tickex.domain.errors import DomainError
from tickex.domain.event import Event
from tickex.domain.order import PAID_STATES, OrderStatus
from tickex.ports.unit_of_work import UnitOfWork


class CancelEvent(EventCommand):
    """Call the event off."""


@dataclass(frozen=True, slots=True)
class CancelledEvent:
    event: Event
    orders_cancelled: int
    orders_refunded: int
    failures: tuple[str, ...]  # order ids that need a human (e.g. checked-in tickets)


def cancel_event(services: NeedsSales, command: CancelEvent) -> CancelledEvent:
    def work(uow: UnitOfWork) -> tuple[Event, list[tuple[str, OrderStatus]]]:
        event = owned_event(uow, command.event_id, command.organizer_id)
        event.cancel()
        uow.events.save(event)
        return event, [(o.id, o.status) for o in uow.orders.list_by_event(event.id)]

    event, orders = services.transaction(work)
    cancelled = refunded = 0
    failures: list[str] = []
    for order_id, status in orders:
        try:
            if status is OrderStatus.PENDING:
                cancel_order(services, CancelOrder(order_id=order_id, reason="event cancelled",
                                                   organizer_id=command.organizer_id))  # fmt: skip
                cancelled += 1
            elif status in PAID_STATES:
                refund_order(services, RefundOrder(order_id=order_id, reason="event cancelled",
                                                   organizer_id=command.organizer_id))  # fmt: skip
                refunded += 1
        except DomainError:
            failures.append(order_id)
    return CancelledEvent(event, cancelled, refunded, tuple(failures))
