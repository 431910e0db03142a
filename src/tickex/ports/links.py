"""``Links``: the URLs the application puts in its emails.

The application says *which* page a reader should open (an order, an email verification, a
password reset, the place to sign in); where that page lives is the business of whoever
serves it. The HTTP API implements this port next to its routes
(``tickex.entrypoints.http.links.HttpLinks``); a host with its own front end passes
``TickEx.from_settings(links=...)`` to point the emails at its pages instead."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Links(ABC):
    @abstractmethod
    def home(self) -> str:
        """Where a user signs in (the approved organizer's email links it)."""

    @abstractmethod
    def order_page(self, order_id: str, customer_email: str) -> str:
        """The buyer's order with its tickets (the ticket email links it)."""

    @abstractmethod
    def verify_email(self, token: str) -> str:
        """The page whose button posts an email-verification token (opening the link alone
        verifies nothing: mail scanners open links)."""

    @abstractmethod
    def reset_password(self, token: str) -> str:
        """The page that takes a password-reset token and a new password."""

    # Where a payment provider's hosted checkout sends the buyer back. Not abstract, so a
    # host's own ``Links`` keeps working: both default to the order page.
    def payment_succeeded(self, order_id: str, customer_email: str) -> str:
        """After paying (the tickets follow by email once the provider confirms)."""
        return self.order_page(order_id, customer_email)

    def payment_cancelled(self, order_id: str, customer_email: str) -> str:
        """After giving up on the provider's page (the order stays held until it expires)."""
        return self.order_page(order_id, customer_email)

    # Where the provider's onboarding of an organizer's payment account sends them back
    # (not abstract either: both default to where they sign in).
    def payment_onboarding_return(self) -> str:
        """After the organizer finished (or left) the onboarding."""
        return self.home()

    def payment_onboarding_refresh(self) -> str:
        """When the onboarding link expired or was used: start the onboarding again."""
        return self.home()
