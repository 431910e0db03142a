"""Reading the ledger: what TickEx owes an organizer, per currency and by kind of
transaction. The one place that knows the payable account is credit-normal; the payout
check (``record_payout``) and the organizer's metrics both read it here."""

from __future__ import annotations

from dataclasses import dataclass

from tickex.domain.ledger import TransactionKind, organizer_payable
from tickex.domain.money import Money
from tickex.ports.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class MoneyMetrics:
    """From the organizer's payable account; all amounts positive, per currency."""

    currency: str
    sales: Money
    platform_fees: Money
    refunds: Money
    payouts: Money
    balance: Money  # sales - fees - refunds - payouts: what is still owed


def payable_accounts(uow: UnitOfWork, organizer_id: str) -> tuple[MoneyMetrics, ...]:
    """The organizer's payable account, one summary per currency it has entries in."""
    totals = uow.ledger.account_totals(organizer_payable(organizer_id))
    money = []
    for currency in sorted({c for _, c in totals}):

        def kind(k: TransactionKind, c: str = currency) -> int:
            return totals.get((k, c), 0)

        # The payable account is credit-normal: credits (negative) are owed to the
        # organizer. Fee entries can go both ways (charged, then returned on refunds).
        sales = -kind(TransactionKind.SALE)
        fees = kind(TransactionKind.FEE)
        refunds = kind(TransactionKind.REFUND)
        payouts = kind(TransactionKind.PAYOUT)
        other = -(kind(TransactionKind.DISPUTE) + kind(TransactionKind.ADJUSTMENT))
        money.append(
            MoneyMetrics(
                currency, Money(sales, currency), Money(fees, currency),
                Money(refunds, currency), Money(payouts, currency),
                Money(sales - fees - refunds - payouts + other, currency),
            )
        )  # fmt: skip
    return tuple(money)


def payable_balance(uow: UnitOfWork, organizer_id: str, currency: str) -> Money:
    """What TickEx still owes the organizer in ``currency`` (zero without entries)."""
    for account in payable_accounts(uow, organizer_id):
        if account.currency == currency:
            return account.balance
    return Money(0, currency)
