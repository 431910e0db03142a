"""cancel_order: the buyer or the organizer abandons a pending order; its checkout session
is closed at the provider and its hold released at once. (Paid orders are refunded
instead: see refund_order.)"""

from __future__ import annotations

from pydantic import model_validator

from tickex.application.command import Command, Email, Id, Reason
from tickex.application.sales.inventory import release_hold
from tickex.application.sales.payment_session import close_checkout
from tickex.application.services import NeedsSales
from tickex.domain.errors import NotFound
from tickex.domain.order import Order
from tickex.ports.unit_of_work import UnitOfWork


class CancelOrder(Command):
    order_id: Id
    organizer_id: Id | None = None  # the organizer of the order's event ...
    customer_email: Email | None = None  # ... or the buyer
    reason: Reason = ""

    @model_validator(mode="after")
    def _one_actor(self) -> CancelOrder:
        if (self.organizer_id is None) == (self.customer_email is None):
            raise ValueError("give exactly one of organizer_id and customer_email")
        return self


def authorized_order(
    uow: UnitOfWork, order_id: str, organizer_id: str | None, customer_email: str | None
) -> Order:
    order = uow.orders.get(order_id)
    if order is None or not (
        (organizer_id is not None and order.organizer_id == organizer_id)
        or (customer_email is not None and order.customer_email == customer_email.lower())
    ):
        raise NotFound("order not found", order_id=order_id)
    return order


def cancel_order(services: NeedsSales, command: CancelOrder) -> Order:
    def find(uow: UnitOfWork) -> Order:
        return authorized_order(uow, command.order_id, command.organizer_id,
                                command.customer_email)  # fmt: skip

    close_checkout(services, services.read(find))

    def work(uow: UnitOfWork) -> Order:
        order = find(uow)
        order.cancel(command.reason)
        hold = uow.holds.get(order.hold_id or "")
        if hold is not None:
            release_hold(uow, hold)
        uow.orders.save(order)
        return order

    return services.transaction(work)
