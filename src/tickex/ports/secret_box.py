"""SecretBox: authenticated encryption of short server-side state that travels through a
client (the pending Google sign-in between its start and its callback), so that no server
has to keep it and any worker process can pick it up.

A sealed token is opaque to the client: it can neither read nor change it. ``purpose``
is bound to the token (authenticated, not encrypted): a token sealed for one purpose does
not open for another. Expiry is the caller's business (put a deadline in the plaintext).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from tickex.ports.identity import InvalidToken


class SecretBox(ABC):
    @abstractmethod
    def seal(self, plaintext: bytes, *, purpose: str) -> str:
        """An opaque, URL-safe token carrying ``plaintext``; a fresh one on every call."""

    @abstractmethod
    def open(self, token: str, *, purpose: str) -> bytes:
        """The plaintext of a token this box sealed for ``purpose``. Raises
        ``InvalidToken`` (reason ``malformed`` or ``signature``) for anything else: another
        key or purpose, a changed, truncated or made-up token. Never another error."""


__all__ = ["InvalidToken", "SecretBox"]
