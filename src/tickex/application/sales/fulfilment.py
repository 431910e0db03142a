"""What happens when an order is paid: tickets issued once, ledger written, delivery
queued -- all in the caller's unit of work."""

from __future__ import annotations

from datetime import datetime

from tickex.application.delivery.outbox import queue_order_messages
from tickex.application.finance.bookkeeping import post_sale
from tickex.application.services import Core
from tickex.domain.money import Money
from tickex.domain.order import Order
from tickex.domain.ticket import Ticket
from tickex.ports.unit_of_work import UnitOfWork


def issue_tickets(services: Core, uow: UnitOfWork, order: Order, now: datetime) -> list[str]:
    """The order's tickets, in one insert. Issued exactly once, without looking: only an
    order that was never paid can be marked paid (``Order.mark_paid``), and the order is
    saved under its version in the same unit, so of two units paying it one rolls back."""
    tickets = []
    for type_id, share in order.admission_shares():
        ticket = Ticket.issue(
            id=services.ids.new_id(),
            order_id=order.id,
            event_id=order.event_id,
            ticket_type_id=type_id,
            secret=services.secrets.ticket_secret(),
            price_paid=share,
            now=now,
            attendee_name=order.customer_name,
            attendee_email=order.customer_email,
        )
        tickets.append(ticket)
    uow.tickets.add_all(tickets)
    return [t.id for t in tickets]


def fulfil(
    services: Core, uow: UnitOfWork, order: Order, now: datetime, processor_fee: Money
) -> list[str]:
    """The order was just marked paid: issue its tickets, book the sale, queue delivery."""
    ticket_ids = issue_tickets(services, uow, order, now)
    post_sale(uow, services.ids, order, now, processor_fee)
    queue_order_messages(services, uow, order)  # OrderPaid: deliver the tickets
    return ticket_ids
