"""Ed25519 ticket signatures: scanners verify a QR token offline with the public key.

Token: ``base64url(payload) + "." + base64url(signature)``, payload ``v1|event|secret``.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from tickex.ports.signer import TicketClaims, TicketSigner

_VERSION = "v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Ed25519TicketSigner(TicketSigner):
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._public: Ed25519PublicKey = private_key.public_key()

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519TicketSigner:
        """From a 32-byte seed (settings keep it base64url-encoded)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def generate(cls) -> Ed25519TicketSigner:
        return cls(Ed25519PrivateKey.generate())

    def sign(self, claims: TicketClaims) -> str:
        payload = "|".join((_VERSION, claims.event_id, claims.ticket_secret)).encode()
        return f"{_b64(payload)}.{_b64(self._key.sign(payload))}"

    def verify(self, token: str) -> TicketClaims | None:
        if not isinstance(token, str) or len(token) > 1024 or token.count(".") != 1:
            return None
        head, sig = token.split(".")
        try:
            payload, signature = _unb64(head), _unb64(sig)
            self._public.verify(signature, payload)
            version, event_id, secret = payload.decode().split("|")
        except (InvalidSignature, ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if version != _VERSION:
            return None
        return TicketClaims(event_id=event_id, ticket_secret=secret)

    def public_key(self) -> str:
        raw = self._public.public_bytes(
            encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
        )
        return _b64(raw)
