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
