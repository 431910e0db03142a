"""The organizer's account at the payment provider (Stripe Connect): onboarding, its state
read back, the provider's reports of it, and the rule that sales need it.

- ``start_payment_onboarding``: the organizer's connected account is opened at the provider
  once (the idempotency key is the organizer's: a retry, or two at once, open one
  account), or read back when the organizer has one already; its state is kept; and a
  single-use onboarding link is returned (its refresh and return pages from ``Links``).
- ``get_payment_account``: the state TickEx keeps. With a provider that pays nobody (the
  local one) the organizer needs no account and is always enabled.
- ``record_account_update``: a verified ``account.updated`` report. The state is the
  account's as sent, kept only when it is newer than the one kept (the provider's event
  time; a state read from the provider counts as of the moment it was read), so
  duplicates and late, reordered reports change nothing. The event id is recorded in the
  same unit of work.
- ``require_charges_enabled``: with a provider that has connected accounts, a paid event
  cannot be published nor a paid order placed while the organizer's account cannot take
  charges (``payments_not_enabled``, 409). Free sales need no account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from tickex.application.command import OrganizerCommand
from tickex.application.services import NeedsDelivery, NeedsSales
from tickex.domain.errors import DomainError, NotFound
from tickex.domain.organizer import Organizer
from tickex.ports.payment import (
    ConnectedAccountRequest,
    ConnectedAccountState,
    PaymentError,
    PaymentGateway,
    PaymentNotification,
)
from tickex.ports.unit_of_work import UnitOfWork


class PaymentsNotEnabled(DomainError):
    """The organizer's account at the payment provider cannot take charges yet."""

    code = "payments_not_enabled"


class OnboardingUnavailable(DomainError):
    """The payment provider pays organizers without an account of theirs (the local one)."""

    code = "payment_onboarding_unavailable"


class _NeedsSalesDelivery(NeedsSales, NeedsDelivery, Protocol):
    """The payment provider, and the pages its onboarding returns the organizer to."""


class StartPaymentOnboarding(OrganizerCommand):
    """Open (once) the organizer's account at the provider and link its onboarding."""


class GetPaymentAccount(OrganizerCommand):
    """The organizer's account at the provider, as TickEx keeps it."""


@dataclass(frozen=True, slots=True)
class PaymentAccountView:
    provider: str
    required: bool  # whether this provider needs the organizer's account to sell
    account_id: str | None
    charges_enabled: bool
    payouts_enabled: bool
    requirements_due: tuple[str, ...]
    disabled_reason: str | None
    as_of: datetime | None  # the provider's time of the state shown


@dataclass(frozen=True, slots=True)
class OnboardingStarted:
    account: PaymentAccountView
    url: str  # single use; send the organizer there
    expires_at: datetime


def account_key(organizer_id: str) -> str:
    """The idempotency key that opens the organizer's account: one account, however often
    onboarding starts."""
    return f"tickex:account:{organizer_id}"


def start_payment_onboarding(
    services: _NeedsSalesDelivery, command: StartPaymentOnboarding
) -> OnboardingStarted:
    payments = services.sales.payments
    if not payments.connected_accounts:
        raise OnboardingUnavailable(f"the {payments.name} payment provider needs no onboarding")
    organizer = services.read(lambda uow: _organizer(uow, command.organizer_id))
    read_at = services.clock.now()
    try:
        if organizer.payment_account_id is None:
            state = payments.create_connected_account(ConnectedAccountRequest(
                organizer_id=organizer.id, email=organizer.email, name=organizer.name,
                idempotency_key=account_key(organizer.id)))  # fmt: skip
        else:
            state = payments.connected_account(organizer.payment_account_id)
        links = services.delivery.links
        link = payments.onboarding_link(
            state.account_id,
            refresh_url=links.payment_onboarding_refresh(),
            return_url=links.payment_onboarding_return(),
            idempotency_key=f"tickex:account-link:{services.ids.new_id()}",
        )
    except PaymentError as exc:
        # place_order checks sales with this module, so its error is imported here
        from tickex.application.sales.place_order import PaymentUnavailable

        raise PaymentUnavailable("the payment provider is unavailable, please retry") from exc

    def keep(uow: UnitOfWork) -> Organizer:
        current = _organizer(uow, command.organizer_id)
        if _apply(current, state, read_at):
            uow.organizers.save(current)
        return current

    kept = services.transaction(keep)
    return OnboardingStarted(_view(payments, kept), link.url, link.expires_at)


def get_payment_account(services: NeedsSales, command: GetPaymentAccount) -> PaymentAccountView:
    organizer = services.read(lambda uow: _organizer(uow, command.organizer_id))
    return _view(services.sales.payments, organizer)


class AccountUpdate(StrEnum):
    KEPT = "kept"
    DUPLICATE = "duplicate"  # this very event was handled before
    STALE = "stale"  # older than the state kept
    UNKNOWN = "unknown"  # no organizer is paid through the account


def record_account_update(
    services: NeedsSales, event: PaymentNotification, state: ConnectedAccountState
) -> AccountUpdate:
    """Keep the account's state an ``account.updated`` event carries (see above)."""

    def work(uow: UnitOfWork) -> AccountUpdate:
        if not uow.processed_events.record(event.provider, event.event_id, services.clock.now()):
            return AccountUpdate.DUPLICATE
        organizer = uow.organizers.get_by_payment_account(state.account_id)
        if organizer is None:
            return AccountUpdate.UNKNOWN
        if not _apply(organizer, state, event.occurred_at):
            return AccountUpdate.STALE
        uow.organizers.save(organizer)
        return AccountUpdate.KEPT

    return services.transaction(work)


def require_charges_enabled(payments: PaymentGateway, organizer: Organizer | None) -> None:
    """Refuse a paid sale for an organizer whose account cannot take charges (see above)."""
    if not payments.connected_accounts:
        return
    if organizer is None or organizer.payment_account_id is None:
        raise PaymentsNotEnabled(
            "the organizer has no payment account yet: start the payment onboarding"
        )
    if not organizer.charges_enabled:
        # what the provider still needs is the organizer's to read (GET payment-account),
        # not a buyer's: the error says no more than this
        raise PaymentsNotEnabled("the organizer's payment account cannot take charges yet")


def _organizer(uow: UnitOfWork, organizer_id: str) -> Organizer:
    organizer = uow.organizers.get(organizer_id)
    if organizer is None:
        raise NotFound("organizer not found")
    return organizer


def _apply(organizer: Organizer, state: ConnectedAccountState, as_of: datetime) -> bool:
    return organizer.update_payment_account(
        state.account_id, charges_enabled=state.charges_enabled,
        payouts_enabled=state.payouts_enabled, requirements_due=state.requirements_due,
        disabled_reason=state.disabled_reason, as_of=as_of,
    )  # fmt: skip


def _view(payments: PaymentGateway, organizer: Organizer) -> PaymentAccountView:
    required = payments.connected_accounts
    return PaymentAccountView(
        provider=payments.name, required=required, account_id=organizer.payment_account_id,
        charges_enabled=organizer.charges_enabled or not required,
        payouts_enabled=organizer.payouts_enabled or not required,
        requirements_due=organizer.requirements_due, disabled_reason=organizer.disabled_reason,
        as_of=organizer.payment_account_as_of,
    )  # fmt: skip
