"""Access tokens as EdDSA (Ed25519) JWTs (PyJWT), RFC 9068 shape (``typ: at+jwt``).

The algorithm is pinned: the header must say ``EdDSA`` and carry the ``kid`` of one of the
configured verification keys, or the token is refused before any signature check.
Rotation: sign with the newest key, keep the previous public keys for verification for
at least one access-token lifetime, then drop them. ``kid`` is the key's RFC 7638
thumbprint unless given. Time comes from the Clock port, never from ``time.time()``.
A token that lives longer (``exp - iat``) than the configured lifetime is refused even when
its signature is good: no key, leaked or not, mints a token that outlives a revocation by
more than the lifetime the revocation set is kept for (``max_lifetime``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from tickex.adapters.jwt_decoding import decode_jwt
from tickex.domain.identity import Role
from tickex.ports.clock import Clock
from tickex.ports.identity import (
    AccessClaims,
    AccessTokens,
    InvalidToken,
    IssuedAccessToken,
    TokenExpired,
)

ALGORITHM = "EdDSA"
TOKEN_TYPE = "at+jwt"
MAX_TOKEN_LENGTH = 4096
_REQUIRED = ("iss", "aud", "sub", "iat", "exp", "jti", "sid", "roles")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key."""
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw_public_key(key))},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64(hashlib.sha256(canonical.encode()).digest())


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """A raw 32-byte Ed25519 public key, base64url (what settings keep for old keys)."""
    raw = _unb64(text.strip())
    if len(raw) != 32:
        raise ValueError("expected a 32-byte Ed25519 public key, base64url-encoded")
    return Ed25519PublicKey.from_public_bytes(raw)


class JwtAccessTokens(AccessTokens):
    def __init__(
        self,
        signing_key: Ed25519PrivateKey,
        *,
        clock: Clock,
        issuer: str,
        audience: str,
        ttl: timedelta = timedelta(minutes=15),
        leeway: timedelta = timedelta(seconds=30),
        previous_keys: Iterable[Ed25519PublicKey] = (),
        signing_kid: str | None = None,
    ) -> None:
        if not issuer or not audience:
            raise ValueError("issuer and audience are required")
        if not timedelta(seconds=1) <= ttl <= timedelta(hours=24):
            raise ValueError("ttl must be between 1 second and 24 hours")
        if not timedelta(0) <= leeway <= timedelta(minutes=5):
            raise ValueError("leeway must be between 0 and 5 minutes")
        self._key = signing_key
        self._kid = signing_kid or key_id(signing_key.public_key())
        self._clock = clock
        self._issuer = issuer
        self._audience = audience
        self._ttl = timedelta(seconds=int(ttl.total_seconds()))
        self._leeway = leeway
        self._verification: dict[str, Ed25519PublicKey] = {key_id(k): k for k in previous_keys}
        self._verification[self._kid] = signing_key.public_key()

    @classmethod
    def from_seed(cls, seed: bytes, **kwargs: Any) -> JwtAccessTokens:
        """From a 32-byte Ed25519 seed (settings keep it base64url-encoded)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed), **kwargs)

    @property
    def kid(self) -> str:
        return self._kid

    @property
    def max_lifetime(self) -> timedelta:
        return self._ttl + self._leeway

    def verification_keys(self) -> Mapping[str, Ed25519PublicKey]:
        return dict(self._verification)

    def jwks(self) -> dict[str, Any]:
        """The public verification keys as a JWK Set, for services that verify on their own."""
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": _b64(raw_public_key(key)),
                    "kid": kid,
                    "use": "sig",
                    "alg": ALGORITHM,
                }
                for kid, key in sorted(self._verification.items())
            ]
        }

    # -- the port -------------------------------------------------------------------------
    def issue(self, subject: str, *, roles: Iterable[Role], session_id: str) -> IssuedAccessToken:
        if not subject or not session_id:
            raise ValueError("subject and session_id are required")
        role_set = frozenset(Role(r) for r in roles)
        issued_at = self._clock.now().astimezone(UTC).replace(microsecond=0)
        expires_at = issued_at + self._ttl
        token_id = secrets.token_urlsafe(16)
        payload = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "iat": int(issued_at.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": token_id,
            "sid": session_id,
            "roles": sorted(role_set),
        }
        token = jwt.encode(
            payload, self._key, algorithm=ALGORITHM, headers={"kid": self._kid, "typ": TOKEN_TYPE}
        )
        claims = AccessClaims(
            subject=subject,
            roles=role_set,
            session_id=session_id,
            token_id=token_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )
        return IssuedAccessToken(token=token, claims=claims)

    def verify(self, token: str) -> AccessClaims:
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
            raise InvalidToken("malformed")
        key = self._key_for(token)
        payload = decode_jwt(
            token,
            key,
            algorithm=ALGORITHM,
            audience=self._audience,
            issuer=self._issuer,
            require=_REQUIRED,
            refuse=InvalidToken,
            strict_aud=True,
        )
        return self._claims(payload)

    # -- helpers --------------------------------------------------------------------------
    def _key_for(self, token: str) -> Ed25519PublicKey:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("malformed") from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("algorithm", "unexpected signing algorithm")
        if header.get("typ") != TOKEN_TYPE:
            raise InvalidToken("malformed", "not an access token")
        kid = header.get("kid")
        key = self._verification.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("unknown_key")
        return key

    def _claims(self, payload: dict[str, Any]) -> AccessClaims:
        iat, exp = payload["iat"], payload["exp"]
        sub, sid, jti, roles = payload["sub"], payload["sid"], payload["jti"], payload["roles"]
        if (
            not all(isinstance(t, int) and not isinstance(t, bool) for t in (iat, exp))
            or not all(isinstance(s, str) and s for s in (sub, sid, jti))
            or not isinstance(roles, list)
            or not all(isinstance(r, str) for r in roles)
        ):
            raise InvalidToken("claims")
        try:
            role_set = frozenset(Role(r) for r in roles)
        except ValueError:
            raise InvalidToken("claims", "unknown role") from None
        now = self._clock.now().timestamp()
        leeway = self._leeway.total_seconds()
        if now >= exp + leeway:
            raise TokenExpired()
        if exp <= iat:
            raise InvalidToken("claims", "expires before it was issued")
        if exp - iat > self._ttl.total_seconds():  # signed by us, but not as we issue them
            raise InvalidToken("claims", "lives longer than an access token may")
        if iat > now + leeway:
            raise InvalidToken("not_yet_valid")
        return AccessClaims(
            subject=sub,
            roles=role_set,
            session_id=sid,
            token_id=jti,
            issued_at=datetime.fromtimestamp(iat, UTC),
            expires_at=datetime.fromtimestamp(exp, UTC),
        )
