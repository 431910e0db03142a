"""Working fakes of the identity ports for tests and the embedded demo: no third-party
dependency, fast, and they pass the same contract suites as the real adapters.

Never use them in production: the password hasher is deliberately cheap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, timedelta

from tickex.domain.identity import Role
from tickex.ports.clock import Clock
from tickex.ports.identity import (
    AccessClaims,
    AccessTokens,
    InvalidToken,
    IssuedAccessToken,
    PasswordHasher,
    TokenExpired,
)

_SCHEME = "fake-pbkdf2-sha256"


class InMemoryPasswordHasher(PasswordHasher):
    """PBKDF2-SHA256 with a random salt and very few iterations: salted, one-way and
    verifiable like the real thing, ~100x faster. Format ``$fake-pbkdf2-sha256$i=N$salt$dk``.
    """

    def __init__(self, iterations: int = 10) -> None:
        if iterations < 1:
            raise ValueError("iterations must be at least 1")
        self.iterations = iterations

    def _derive(self, password: str, salt: bytes, iterations: int) -> bytes:
        data = password.encode("utf-8", "surrogatepass")
        return hashlib.pbkdf2_hmac("sha256", data, salt, iterations)

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(16)
        derived = self._derive(password, salt, self.iterations)
        return f"${_SCHEME}$i={self.iterations}${salt.hex()}${derived.hex()}"

    def _parse(self, password_hash: object) -> tuple[int, bytes, bytes] | None:
        if not isinstance(password_hash, str):
            return None
        parts = password_hash.split("$")
        if len(parts) != 5 or parts[0] or parts[1] != _SCHEME or not parts[2].startswith("i="):
            return None
        try:
            iterations = int(parts[2][2:])
            salt, derived = bytes.fromhex(parts[3]), bytes.fromhex(parts[4])
        except ValueError:
            return None
        if not 1 <= iterations <= 1_000_000 or len(salt) < 8 or len(derived) != 32:
            return None
        return iterations, salt, derived

    def verify(self, password_hash: str, password: str) -> bool:
        parsed = self._parse(password_hash)
        if parsed is None or not isinstance(password, str):
            return False
        iterations, salt, derived = parsed
        return hmac.compare_digest(self._derive(password, salt, iterations), derived)

    def needs_rehash(self, password_hash: str) -> bool:
        parsed = self._parse(password_hash)
        return parsed is None or parsed[0] != self.iterations


@dataclass(frozen=True, slots=True)
class _Record:
    issuer: str
    audience: str
    claims: AccessClaims


class TokenVault:
    """What a signing key is to JWTs: instances that share a vault accept each other's
    tokens (if issuer and audience match); another vault's tokens are unknown."""

    def __init__(self) -> None:
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def put(self, token: str, record: _Record) -> None:
        with self._lock:
            self._records[token] = record

    def get(self, token: str) -> _Record | None:
        with self._lock:
            return self._records.get(token)


class InMemoryAccessTokens(AccessTokens):
    """Opaque random tokens remembered in a :class:`TokenVault`, checked against the Clock."""

    def __init__(
        self,
        *,
        clock: Clock,
        issuer: str = "tickex-test",
        audience: str = "tickex-api",
        ttl: timedelta = timedelta(minutes=15),
        leeway: timedelta = timedelta(seconds=30),
        vault: TokenVault | None = None,
    ) -> None:
        self._clock = clock
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl
        self._leeway = leeway
        self.vault = vault or TokenVault()

    @property
    def max_lifetime(self) -> timedelta:
        return self._ttl + self._leeway

    def issue(self, subject: str, *, roles: Iterable[Role], session_id: str) -> IssuedAccessToken:
        if not subject or not session_id:
            raise ValueError("subject and session_id are required")
        issued_at = self._clock.now().astimezone(UTC).replace(microsecond=0)
        claims = AccessClaims(
            subject=subject,
            roles=frozenset(Role(r) for r in roles),
            session_id=session_id,
            token_id=secrets.token_urlsafe(16),
            issued_at=issued_at,
            expires_at=issued_at + self._ttl,
        )
        token = "mem." + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        self.vault.put(token, _Record(self._issuer, self._audience, claims))
        return IssuedAccessToken(token=token, claims=claims)

    def verify(self, token: str) -> AccessClaims:
        record = self.vault.get(token) if isinstance(token, str) and len(token) < 256 else None
        if record is None:
            raise InvalidToken("unknown_key")
        if record.issuer != self._issuer:
            raise InvalidToken("issuer")
        if record.audience != self._audience:
            raise InvalidToken("audience")
        now = self._clock.now()
        if now >= record.claims.expires_at + self._leeway:
            raise TokenExpired()
        if record.claims.issued_at > now + self._leeway:
            raise InvalidToken("not_yet_valid")
        return record.claims
