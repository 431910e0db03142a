"""TicketSigner: signs the token a QR code carries so scanners can verify it offline."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TicketClaims:
    event_id: str
    ticket_secret: str


class TicketSigner(ABC):
    @abstractmethod
    def sign(self, claims: TicketClaims) -> str:
        """A compact, URL-safe token over the claims."""

    @abstractmethod
    def verify(self, token: str) -> TicketClaims | None:
        """The claims if the signature is valid, else None (never raises on bad input)."""

    @abstractmethod
    def public_key(self) -> str:
        """The key scanners use to verify offline (base64url)."""
