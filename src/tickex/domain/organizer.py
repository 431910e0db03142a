"""Organizer: the owner of events and of a payment provider's connected account.

The account's state (may it take charges, be paid out, what does the provider still need)
is the provider's: TickEx keeps the latest it was told, with the provider's time of it
(``payment_account_as_of``), so that an older report arriving late changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class Organizer:
    id: str
    name: str
    email: str
    created_at: datetime
    payment_account_id: str | None = None
    charges_enabled: bool = False
    payouts_enabled: bool = False
    requirements_due: tuple[str, ...] = ()
    disabled_reason: str | None = None
    payment_account_as_of: datetime | None = None
    version: int = 0

    def update_payment_account(
        self,
        account_id: str,
        *,
        charges_enabled: bool,
        payouts_enabled: bool,
        requirements_due: tuple[str, ...],
        disabled_reason: str | None,
        as_of: datetime,
    ) -> bool:
        """Keep the account's state as the provider reported it at ``as_of``; a report
        older than the one kept, or about another account, changes nothing (False)."""
        if self.payment_account_id not in (None, account_id):
            return False
        if self.payment_account_as_of is not None and as_of < self.payment_account_as_of:
            return False
        self.payment_account_id = account_id
        self.charges_enabled, self.payouts_enabled = charges_enabled, payouts_enabled
        self.requirements_due, self.disabled_reason = requirements_due, disabled_reason
        self.payment_account_as_of = as_of
        return True
