"""What a port that calls a provider (mail, messaging, payments) raises when the call fails."""

from __future__ import annotations


class ProviderError(Exception):
    """The provider refused or could not be reached; ``retryable`` tells the outbox whether
    to try again later or give the message up."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
