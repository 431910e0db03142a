"""Presented secrets (API keys, staff credentials, mailed tokens): checked for their
purpose before they are looked up, so that a secret of one kind never opens another."""

from __future__ import annotations

from tickex.ports.identity import InvalidToken, SecretPurpose, SecretToken, secret_digest


def digest_of(presented: str, purpose: SecretPurpose, detail: str) -> str:
    """The storage digest of ``presented``; ``InvalidToken("malformed", detail)`` when its
    prefix names another purpose."""
    if SecretToken.purpose_of(presented) is not purpose:
        raise InvalidToken("malformed", detail)
    return secret_digest(presented)
