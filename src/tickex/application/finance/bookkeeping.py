"""Ledger postings: every kind of transaction the application writes (sale, fee, refund,
payout), each in the caller's unit of work. Balances are read in ``balances.py``.

A zero amount posts nothing (and takes no id), so free orders leave no empty transactions."""

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


def _post(
    uow: UnitOfWork, ids: IdGenerator, kind: TransactionKind, debit: str, credit: str,
    amount: Money, now: datetime, description: str, *, order: Order | None = None,
    organizer_id: str | None = None, reference: str | None = None,
) -> None:  # fmt: skip
    """``amount`` from ``credit`` to ``debit``, unless it is zero."""
    if amount.is_zero:
        return
    uow.ledger.append(
        transfer(
            id=ids.new_id(), kind=kind, debit=debit, credit=credit, amount=amount, now=now,
            description=description, order_id=order.id if order else None,
            organizer_id=organizer_id, reference=reference,
        )
    )  # fmt: skip


def post_sale(
    uow: UnitOfWork, ids: IdGenerator, order: Order, now: datetime, processor_fee: Money
) -> None:
    """Sale: the buyer's money arrives (owed to the organizer); the platform fee moves
    from the organizer to the platform; the provider's own fee is the platform's cost."""
    payable, organizer = organizer_payable(order.organizer_id), order.organizer_id
    _post(uow, ids, TransactionKind.SALE, CLEARING, payable, order.total, now,
          f"order {order.code}", order=order, organizer_id=organizer,
          reference=order.payment_reference)  # fmt: skip
    _post(uow, ids, TransactionKind.FEE, payable, PLATFORM_REVENUE, order.totals.platform_fee,
          now, f"platform fee, order {order.code}", order=order,
          organizer_id=organizer)  # fmt: skip
    _post(uow, ids, TransactionKind.FEE, PROCESSOR_FEES, CLEARING, processor_fee, now,
          f"processor fee, order {order.code}", order=order)  # fmt: skip


def post_refund(
    uow: UnitOfWork, ids: IdGenerator, order: Order, amount: Money, fee_part: Money,
    now: datetime,
) -> None:  # fmt: skip
    """Refund: money leaves clearing at the organizer's cost; the returned share of the
    platform fee goes back from the platform to the organizer."""
    payable, organizer = organizer_payable(order.organizer_id), order.organizer_id
    _post(uow, ids, TransactionKind.REFUND, payable, CLEARING, amount, now,
          f"refund, order {order.code}", order=order, organizer_id=organizer)  # fmt: skip
    _post(uow, ids, TransactionKind.FEE, PLATFORM_REVENUE, payable, fee_part, now,
          f"platform fee returned, order {order.code}", order=order,
          organizer_id=organizer)  # fmt: skip


def post_payout(
    uow: UnitOfWork, ids: IdGenerator, organizer_id: str, amount: Money, reference: str,
    now: datetime,
) -> None:  # fmt: skip
    """Payout: the provider paid the organizer what TickEx owed (the caller checked the
    balance)."""
    _post(uow, ids, TransactionKind.PAYOUT, organizer_payable(organizer_id), CLEARING, amount,
          now, f"payout {reference}", organizer_id=organizer_id, reference=reference)  # fmt: skip
