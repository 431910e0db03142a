"""Ledger postings for money-relevant changes, written in the same unit of work."""

from __future__ import annotations

from datetime import datetime

from tickex.domain.ledger import (
    CLEARING,
    PLATFORM_REVENUE,
    PROCESSOR_FEES,
    TransactionKind,
    organizer_payable,
    transfer,
)
from tickex.domain.money import Money
from tickex.domain.order import Order
from tickex.ports.clock import IdGenerator
from tickex.ports.unit_of_work import UnitOfWork


def post_sale(
    uow: UnitOfWork, ids: IdGenerator, order: Order, now: datetime, processor_fee: Money
) -> None:
    """Sale: the buyer's money arrives (owed to the organizer); the platform fee moves
    from the organizer to the platform; the provider's own fee is the platform's cost."""
    payable = organizer_payable(order.organizer_id)
    if not order.total.is_zero:
        uow.ledger.append(
            transfer(
                id=ids.new_id(), kind=TransactionKind.SALE, debit=CLEARING, credit=payable,
                amount=order.total, description=f"order {order.code}", now=now,
                order_id=order.id, organizer_id=order.organizer_id,
                reference=order.payment_reference,
            )
        )  # fmt: skip
    if not order.totals.platform_fee.is_zero:
        uow.ledger.append(
            transfer(
                id=ids.new_id(), kind=TransactionKind.FEE, debit=payable,
                credit=PLATFORM_REVENUE, amount=order.totals.platform_fee,
                description=f"platform fee, order {order.code}", now=now,
                order_id=order.id, organizer_id=order.organizer_id,
            )
        )  # fmt: skip
    if not processor_fee.is_zero:
        uow.ledger.append(
            transfer(
                id=ids.new_id(), kind=TransactionKind.FEE, debit=PROCESSOR_FEES,
                credit=CLEARING, amount=processor_fee,
                description=f"processor fee, order {order.code}", order_id=order.id, now=now,
            )
        )  # fmt: skip


def post_refund(
    uow: UnitOfWork, ids: IdGenerator, order: Order, amount: Money, fee_part: Money,
    now: datetime,
) -> None:  # fmt: skip
    """Refund: money leaves clearing at the organizer's cost; the returned share of the
    platform fee goes back from the platform to the organizer."""
    payable = organizer_payable(order.organizer_id)
    if not amount.is_zero:
        uow.ledger.append(
            transfer(
                id=ids.new_id(), kind=TransactionKind.REFUND, debit=payable, credit=CLEARING,
                amount=amount, now=now, description=f"refund, order {order.code}",
                order_id=order.id, organizer_id=order.organizer_id,
            )
        )  # fmt: skip
    if not fee_part.is_zero:
        uow.ledger.append(
            transfer(
                id=ids.new_id(), kind=TransactionKind.FEE, debit=PLATFORM_REVENUE,
                credit=payable, amount=fee_part, now=now,
                description=f"platform fee returned, order {order.code}",
                order_id=order.id, organizer_id=order.organizer_id,
            )
        )  # fmt: skip
