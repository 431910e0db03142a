"""get_order: an order and its tickets, for the buyer (by email) or the organizer."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import model_validator

from tickex.application.command import Command, Email, Id
from tickex.application.sales.cancel_order import authorized_order
from tickex.application.services import Core
from tickex.domain.order import Order
from tickex.domain.ticket import Ticket
from tickex.ports.signer import TicketClaims
from tickex.ports.unit_of_work import UnitOfWork


class GetOrder(Command):
    order_id: Id
    organizer_id: Id | None = None
    customer_email: Email | None = None

    @model_validator(mode="after")
    def _one_actor(self) -> GetOrder:
        if (self.organizer_id is None) == (self.customer_email is None):
            raise ValueError("give exactly one of organizer_id and customer_email")
        return self


@dataclass(frozen=True, slots=True)
class OrderDetails:
    order: Order
    tickets: tuple[Ticket, ...]
    tokens: dict[str, str]  # ticket id -> signed token for its QR code


def order_details(services: Core, uow: UnitOfWork, order: Order) -> OrderDetails:
    """``order`` with its tickets and their signed tokens (what get_order and find_order
    answer)."""
    tickets = tuple(uow.tickets.list_by_order(order.id))
    tokens = {t.id: services.signer.sign(TicketClaims(t.event_id, t.secret)) for t in tickets}
    return OrderDetails(order, tickets, tokens)


def get_order(services: Core, command: GetOrder) -> OrderDetails:
    def work(uow: UnitOfWork) -> OrderDetails:
        order = authorized_order(uow, command.order_id, command.organizer_id,
                                 command.customer_email)  # fmt: skip
        return order_details(services, uow, order)

    return services.read(work)
