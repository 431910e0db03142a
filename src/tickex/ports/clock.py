"""Clock, ids and secrets: everything non-deterministic the application needs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime


class Clock(ABC):
    @abstractmethod
    def now(self) -> datetime:
        """Aware UTC now."""


class IdGenerator(ABC):
    @abstractmethod
    def new_id(self) -> str:
        """A new unique internal id (never shown to buyers as a secret)."""


class SecretGenerator(ABC):
    @abstractmethod
    def order_code(self) -> str:
        """A short human order code, e.g. ``K7Q2M9XA`` (no 0/O, 1/I)."""

    @abstractmethod
    def ticket_secret(self) -> str:
        """An unguessable ticket secret (at least 128 bits)."""
