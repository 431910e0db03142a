"""Ledger postings: every kind of transaction the application writes (sale, fee, refund,
payout, dispute), each in the caller's unit of work. Balances are read in ``balances.py``.

A zero amount posts nothing (and takes no id), so free orders leave no empty transactions.
What the provider reports afterwards (its fee, the platform fee it returned, a dispute's
money) is booked as the *change* from what the order's transactions already say
(``booked``), so reading the same state twice, or states out of order, books it once."""

from __future__ import annotations

import uuid
from datetime import datetime

from tickex.domain.ledger import (
    CLEARING,
    DISPUTE_FEES,
    PLATFORM_REVENUE,
    PROCESSOR_FEES,
    LedgerTransaction,
    TransactionKind,
    organizer_payable,
    transfer,
)
from tickex.domain.money import Money
from tickex.domain.order import Order
from tickex.ports.clock import IdGenerator
from tickex.ports.unit_of_work import UnitOfWork

#: the namespace of the payouts' transaction ids (UUID v5 of the payout's reference)
_PAYOUT_IDS = uuid.UUID("5d0c2b1e-8f3a-4c6e-9b7d-1a2f3e4d5c6b")


def _transfer(
    ids: IdGenerator, kind: TransactionKind, debit: str, credit: str, amount: Money,
    now: datetime, description: str, *, order: Order | None = None,
    organizer_id: str | None = None, reference: str | None = None,
) -> LedgerTransaction | None:  # fmt: skip
    """``amount`` from ``credit`` to ``debit``, unless it is zero (a negative amount goes
    the other way: a change that undoes part of an earlier posting)."""
    if amount.is_zero:
        return None
    if amount.amount_minor < 0:
        debit, credit, amount = credit, debit, -amount
    return transfer(
        id=ids.new_id(), kind=kind, debit=debit, credit=credit, amount=amount, now=now,
        description=description, order_id=order.id if order else None,
        organizer_id=organizer_id, reference=reference,
    )  # fmt: skip


def _book(uow: UnitOfWork, *transactions: LedgerTransaction | None) -> None:
    """Append the transactions that are not None, in one go (the engines batch them)."""
    uow.ledger.append_all([tx for tx in transactions if tx is not None])


def _post(
    uow: UnitOfWork, ids: IdGenerator, kind: TransactionKind, debit: str, credit: str,
    amount: Money, now: datetime, description: str, *, order: Order | None = None,
    organizer_id: str | None = None, reference: str | None = None,
) -> None:  # fmt: skip
    """One transfer, booked now (see ``_transfer``)."""
    _book(uow, _transfer(ids, kind, debit, credit, amount, now, description, order=order,
                         organizer_id=organizer_id, reference=reference))  # fmt: skip


def post_sale(
    uow: UnitOfWork, ids: IdGenerator, order: Order, now: datetime, processor_fee: Money
) -> None:
    """Sale: the buyer's money arrives (owed to the organizer); the platform fee moves
    from the organizer to the platform; the provider's own fee is the platform's cost."""
    payable, organizer = organizer_payable(order.organizer_id), order.organizer_id
    _book(
        uow,
        _transfer(ids, TransactionKind.SALE, CLEARING, payable, order.total, now,
                  f"order {order.code}", order=order, organizer_id=organizer,
                  reference=order.payment_reference),
        _transfer(ids, TransactionKind.FEE, payable, PLATFORM_REVENUE,
                  order.totals.platform_fee, now, f"platform fee, order {order.code}",
                  order=order, organizer_id=organizer),
        _transfer(ids, TransactionKind.FEE, PROCESSOR_FEES, CLEARING, processor_fee, now,
                  f"processor fee, order {order.code}", order=order),
    )  # fmt: skip


def post_refund(
    uow: UnitOfWork, ids: IdGenerator, order: Order, amount: Money, fee_part: Money,
    now: datetime,
) -> None:  # fmt: skip
    """Refund: money leaves clearing at the organizer's cost; the returned share of the
    platform fee goes back from the platform to the organizer."""
    payable, organizer = organizer_payable(order.organizer_id), order.organizer_id
    _book(
        uow,
        _transfer(ids, TransactionKind.REFUND, payable, CLEARING, amount, now,
                  f"refund, order {order.code}", order=order, organizer_id=organizer),
        _transfer(ids, TransactionKind.FEE, PLATFORM_REVENUE, payable, fee_part, now,
                  f"platform fee returned, order {order.code}", order=order,
                  organizer_id=organizer),
    )  # fmt: skip


def payout_transaction(
    organizer_id: str, amount: Money, reference: str, now: datetime
) -> LedgerTransaction:
    """The payout's transaction: the provider paid the organizer what TickEx owed. Its id
    follows from the payout's reference (one payout, one transaction), so a payout that
    fails afterwards names the transaction it undoes without reading the ledger back."""
    return transfer(
        id=uuid.uuid5(_PAYOUT_IDS, reference).hex, kind=TransactionKind.PAYOUT,
        debit=organizer_payable(organizer_id), credit=CLEARING, amount=amount, now=now,
        description=f"payout {reference}", organizer_id=organizer_id, reference=reference,
    )  # fmt: skip


def post_payout(
    uow: UnitOfWork, organizer_id: str, amount: Money, reference: str, now: datetime
) -> None:
    """Payout (the caller checked the balance, or the provider reported it, once per
    reference)."""
    if not amount.is_zero:
        uow.ledger.append(payout_transaction(organizer_id, amount, reference, now))


def post_payout_reversal(
    uow: UnitOfWork, ids: IdGenerator, organizer_id: str, amount: Money, reference: str,
    now: datetime,
) -> None:  # fmt: skip
    """The payout booked as ``payout_transaction(organizer_id, amount, reference)`` came
    back (it failed after it was paid): its reversal, entry by entry, puts the money back
    on the organizer's payable."""
    if not amount.is_zero:
        booked = payout_transaction(organizer_id, amount, reference, now)
        uow.ledger.append(booked.reversal(ids.new_id(), now, f"payout {reference} failed"))


def booked(
    uow: UnitOfWork, order: Order, account: str, *, kind: TransactionKind | None = None,
    reference: str | None = None,
) -> Money:  # fmt: skip
    """What the order's transactions (of ``kind``, with ``reference``) put on ``account``:
    its debits less its credits."""
    total = 0
    for tx in uow.ledger.list_for_order(order.id):
        if (kind is None or tx.kind is kind) and (reference is None or tx.reference == reference):
            total += sum(e.amount.amount_minor for e in tx.entries if e.account == account)
    return Money(total, order.currency)


def post_processor_fee(
    uow: UnitOfWork, ids: IdGenerator, order: Order, change: Money, reference: str, now: datetime
) -> None:
    """The provider's fee for the order's payment changed by ``change`` (first known, or
    corrected): the platform's cost."""
    _post(uow, ids, TransactionKind.FEE, PROCESSOR_FEES, CLEARING, change, now,
          f"processor fee, order {order.code}", order=order, reference=reference)  # fmt: skip


def post_fee_returned(
    uow: UnitOfWork, ids: IdGenerator, order: Order, change: Money, reference: str, now: datetime
) -> None:
    """The provider returned ``change`` more of the platform fee to the organizer (its own
    share of the refunds; negative: less than the ledger had booked)."""
    _post(uow, ids, TransactionKind.FEE, PLATFORM_REVENUE, organizer_payable(order.organizer_id),
          change, now, f"platform fee returned by the provider, order {order.code}",
          order=order, organizer_id=order.organizer_id, reference=reference)  # fmt: skip


def post_dispute(
    uow: UnitOfWork, ids: IdGenerator, order: Order, dispute_id: str, withdrawn: Money,
    fee: Money, now: datetime,
) -> None:  # fmt: skip
    """A dispute's money moved: ``withdrawn`` of the disputed amount (negative: given back)
    at the organizer's cost, and ``fee`` of the provider's dispute fee at the platform's."""
    _book(
        uow,
        _transfer(ids, TransactionKind.DISPUTE, organizer_payable(order.organizer_id),
                  CLEARING, withdrawn, now, f"dispute {dispute_id}, order {order.code}",
                  order=order, organizer_id=order.organizer_id, reference=dispute_id),
        _transfer(ids, TransactionKind.DISPUTE, DISPUTE_FEES, CLEARING, fee, now,
                  f"dispute fee {dispute_id}, order {order.code}", order=order,
                  reference=dispute_id),
    )  # fmt: skip
