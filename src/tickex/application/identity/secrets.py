"""Presented secrets (API keys, staff credentials, mailed tokens): checked for their
purpose before they are looked up, so that a secret of one kind never opens another, and
found only while they are not revoked."""

from __future__ import annotations

from typing import Protocol, TypeVar

from tickex.ports.identity import InvalidToken, SecretPurpose, SecretToken, secret_digest
from tickex.ports.repository import RevocableCredentialRepository


def digest_of(presented: str, purpose: SecretPurpose, detail: str) -> str:
    """The storage digest of ``presented``; ``InvalidToken("malformed", detail)`` when its
    prefix names another purpose."""
    if SecretToken.purpose_of(presented) is not purpose:
        raise InvalidToken("malformed", detail)
    return secret_digest(presented)


class Revocable(Protocol):
    @property
    def is_active(self) -> bool: ...


R = TypeVar("R", bound=Revocable)


def active_credential(credentials: RevocableCredentialRepository[R], digest: str, what: str) -> R:
    """The credential stored under ``digest`` while it is not revoked;
    ``InvalidToken("revoked", "the <what> is unknown or revoked")`` for an unknown one and a
    revoked one alike."""
    credential = credentials.get_by_hash(digest)
    if credential is None or not credential.is_active:
        raise InvalidToken("revoked", f"the {what} is unknown or revoked")
    return credential
