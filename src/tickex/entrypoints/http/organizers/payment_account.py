"""``/v1/organizer/payment-account``: the organizer's account at the payment provider
(Stripe Connect), its onboarding and its state (the shared guards and the ``organizer``
dependency: ``http/organizer.py``; what it does: ``application/organizers/
payment_account.py``).

Starting the onboarding sends a person to the provider's pages, so it takes a user's own
access token only; the state is read with ``metrics:read`` (sales, revenue and payouts).
"""

from __future__ import annotations

from litestar import get, post

from tickex.application.organizers.payment_account import (
    GetPaymentAccount,
    StartPaymentOnboarding,
)
from tickex.domain.identity import ApiScope
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.organizer import Organizer, OrganizerController, organizer_route
from tickex.entrypoints.http.organizers import schemas


class OrganizerPaymentAccountController(OrganizerController):
    @organizer_route(
        post, "/payment-account/onboarding", "startPaymentOnboarding", None,
        "Open the organizer's account at the payment provider (once) and link its onboarding",
        404, 409, 503, status_code=201,
    )  # fmt: skip
    def start_onboarding(self, tickex: App, organizer: Organizer) -> schemas.PaymentOnboardingOut:
        started = tickex.start_payment_onboarding(StartPaymentOnboarding(organizer_id=organizer))
        return schemas.payment_onboarding(started)

    @organizer_route(
        get, "/payment-account", "getPaymentAccount", ApiScope.METRICS_READ,
        "The organizer's payment account: may it take charges, be paid out, what is due", 404,
    )  # fmt: skip
    def get_account(self, tickex: App, organizer: Organizer) -> schemas.PaymentAccountOut:
        return schemas.payment_account(
            tickex.get_payment_account(GetPaymentAccount(organizer_id=organizer))
        )
