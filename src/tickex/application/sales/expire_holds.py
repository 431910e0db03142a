"""expire_holds: release holds whose time is up and expire their pending orders.

Holds expire by time (``expires_at`` vs the clock); this sweeper only tidies up. Each hold
is released in its own unit of work, and releasing twice is a no-op. The pending order's
checkout session is closed at the provider first (``close_checkout``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from tickex.application.command import Command
from tickex.application.sales.inventory import release_hold
from tickex.application.sales.payment_session import close_checkout
from tickex.application.services import NeedsSales
from tickex.domain.order import Order, OrderStatus
from tickex.ports.unit_of_work import UnitOfWork


class ExpireHolds(Command):
    limit: Annotated[int, Field(ge=1, le=10_000)] = 1000


@dataclass(frozen=True, slots=True)
class ExpiredHolds:
    released: int
    orders_expired: int


def expire_holds(services: NeedsSales, command: ExpireHolds) -> ExpiredHolds:
    now = services.clock.now()
    due = services.read(lambda uow: uow.holds.list_expired(now, command.limit))
    released = expired = 0
    for hold in due:
        close_checkout(services, services.read(_order(hold.order_id)))

        def work(uow: UnitOfWork, hold_id: str = hold.id) -> tuple[bool, bool]:
            current = uow.holds.get(hold_id)
            if current is None or not release_hold(uow, current):
                return False, False
            order = uow.orders.get(current.order_id)
            if order is not None and order.status is OrderStatus.PENDING:
                order.expire()
                uow.orders.save(order)
                return True, True
            return True, False

        did_release, did_expire = services.transaction(work)
        released += did_release
        expired += did_expire
    return ExpiredHolds(released, expired)


def _order(order_id: str) -> Callable[[UnitOfWork], Order | None]:
    return lambda uow: uow.orders.get(order_id)
