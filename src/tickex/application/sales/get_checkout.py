"""get_checkout: what a checkout session asks the buyer to pay, read from the order it
belongs to (so any process, and any restart, can show the local provider's page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from tickex.application.command import CODE_PATTERN, Command
from tickex.application.services import Core
from tickex.domain.errors import NotFound
from tickex.domain.money import Money
from tickex.domain.order import OrderStatus
from tickex.ports.unit_of_work import UnitOfWork


class GetCheckout(Command):
    payment_reference: Annotated[str, Field(min_length=1, max_length=100, pattern=CODE_PATTERN)]


@dataclass(frozen=True, slots=True)
class CheckoutView:
    order_id: str
    order_code: str
    event_title: str
    amount: Money
    status: OrderStatus


def get_checkout(services: Core, command: GetCheckout) -> CheckoutView:
    def work(uow: UnitOfWork) -> CheckoutView:
        order = uow.orders.get_by_payment_reference(command.payment_reference)
        event = uow.events.get(order.event_id) if order else None
        if order is None or event is None:
            raise NotFound("checkout not found")
        return CheckoutView(order.id, order.code, event.title, order.total, order.status)

    return services.read(work)
