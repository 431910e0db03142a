"""Mailer and Messenger: how buyers hear from TickEx."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from tickex.ports.provider import ProviderError


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with an email. With a ``content_id`` (ASCII, no spaces nor ``<>``, under
    128 characters) and an HTML part, it is also shown inline where the HTML says
    ``<img src="cid:CONTENT_ID">``; without an HTML part it is an ordinary attachment."""

    filename: str
    content_type: str
    data: bytes
    content_id: str = ""


@dataclass(frozen=True, slots=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    idempotency_key: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class DeliveryError(ProviderError):
    """An email or a message was not sent."""


class Mailer(ABC):
    @abstractmethod
    def send(self, message: EmailMessage) -> str:
        """Send and return the provider's message id. Raises ``DeliveryError``."""


@dataclass(frozen=True, slots=True)
class TextMessage:
    to: str  # E.164 phone number
    body: str
    idempotency_key: str = ""


class Messenger(ABC):
    @abstractmethod
    def send(self, message: TextMessage) -> str:
        """Send (WhatsApp) and return the provider's message id. Raises ``DeliveryError``."""
