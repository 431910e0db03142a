"""AES-256-GCM sealed tokens (``cryptography``'s AESGCM).

Token: ``base64url(nonce || ciphertext || tag)``, no padding; the nonce is 96 random bits
per token (NIST SP 800-38D's random construction: safe for far more than 2^32 tokens per
key) and the purpose is the associated data. The key is 256 bits, either given or derived
with HKDF-SHA256 from a seed TickEx already keeps (``derived_from``): then every process
that shares the seed shares the box, and no new secret must be managed.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tickex.ports.identity import InvalidToken
from tickex.ports.secret_box import SecretBox

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_TOKEN_LENGTH = 8192  # characters: a pending sign-in seals to about 400
FLOW_TOKEN_INFO = b"tickex flow token v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class AesGcmSecretBox(SecretBox):
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"an AES-256 key has {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)

    @classmethod
    def derived_from(cls, seed: bytes, *, info: bytes = FLOW_TOKEN_INFO) -> AesGcmSecretBox:
        """The box whose key is HKDF-SHA256(seed, info): the same seed, the same box (in
        every process); another ``info``, an unrelated key."""
        if len(seed) < KEY_BYTES:
            raise ValueError(f"the seed needs at least {KEY_BYTES} bytes")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info)
        return cls(hkdf.derive(seed))

    @classmethod
    def generate(cls) -> AesGcmSecretBox:
        """A random key, for this process only (development and tests)."""
        return cls(AESGCM.generate_key(bit_length=KEY_BYTES * 8))

    def seal(self, plaintext: bytes, *, purpose: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        return _b64(nonce + self._aead.encrypt(nonce, plaintext, purpose.encode("utf-8")))

    def open(self, token: str, *, purpose: str) -> bytes:
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
            raise InvalidToken("malformed")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise InvalidToken("malformed") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES or _b64(raw) != token:  # one spelling only
            raise InvalidToken("malformed")
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode())
        except InvalidTag:
            raise InvalidToken("signature") from None
