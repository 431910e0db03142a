"""Identity primitives: password hashing, access tokens, OpenID Connect sign-in, and the
opaque secrets that are shown once and stored hashed (refresh, email-verification and
password-reset tokens, API keys, scanner device tokens).

Every port here is synchronous and some of it is deliberately slow (a password hash takes
tens of milliseconds, an OIDC exchange is two HTTP round trips): async callers run it off
the event loop (``anyio.to_thread.run_sync`` / Litestar's ``sync_to_thread``).

Nothing here logs or reprs a secret: token and secret fields are ``repr=False``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from tickex.domain.errors import DomainError
from tickex.domain.identity import Role

# -- errors ---------------------------------------------------------------------------------


class _Refusal(DomainError):
    """Something presented was refused for ``reason``, a short stable word for logs and
    metrics; clients only ever see ``code``. ``refused`` names what, in the default detail."""

    refused: ClassVar[str]

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or f"{self.refused} refused: {reason}", reason=reason)
        self.reason = reason


class InvalidToken(_Refusal):
    """A token was refused. ``reason``: ``malformed``, ``algorithm``, ``unknown_key``,
    ``signature``, ``issuer``, ``audience``, ``claims``, ``not_yet_valid``, ``expired``."""

    code: ClassVar[str] = "invalid_token"
    refused: ClassVar[str] = "token"


class TokenExpired(InvalidToken):
    """The token was valid once; the client refreshes and retries."""

    code: ClassVar[str] = "token_expired"

    def __init__(self, detail: str = "") -> None:
        super().__init__("expired", detail or "token expired")


class OidcRejected(_Refusal):
    """The identity provider's answer was refused: the sign-in fails and is not retried.
    ``reason`` is stable: ``state``, ``flow_expired``, ``exchange``, ``malformed``,
    ``algorithm``, ``unknown_key``, ``signature``, ``issuer``, ``audience``, ``expired``,
    ``not_yet_valid``, ``nonce``, ``claims``, ``email_unverified``, ``provider``."""

    code: ClassVar[str] = "oidc_rejected"
    refused: ClassVar[str] = "sign-in"


class OidcEmailUnverified(OidcRejected):
    """The provider does not vouch for the email address: never link an account by it."""

    code: ClassVar[str] = "email_unverified"

    def __init__(self, detail: str = "") -> None:
        super().__init__("email_unverified", detail or "the provider has not verified the email")


class OidcUnavailable(DomainError):
    """The provider could not be reached or answered 5xx; the user may try again."""

    code: ClassVar[str] = "oidc_unavailable"


# -- passwords ------------------------------------------------------------------------------


class PasswordHasher(ABC):
    """One-way, salted, deliberately slow password hashing (~50-130 ms per call with
    production parameters): run it off the event loop. Length and strength policy belongs
    to the caller; the hasher takes any string."""

    @abstractmethod
    def hash(self, password: str) -> str:
        """A self-describing hash (algorithm, parameters, salt) to store."""

    @abstractmethod
    def verify(self, password_hash: str, password: str) -> bool:
        """True if ``password`` matches. Never raises for a wrong password or a malformed or
        foreign hash: those are False."""

    @abstractmethod
    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones: after a
        successful login, hash the password again and store the new hash. True for a hash
        this hasher cannot read; never raises."""


# -- access tokens --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says. ``session_id`` is the refresh-token family the
    access token was issued under: revoking the family ends the session."""

    subject: str  # the user id
    roles: frozenset[Role]
    session_id: str
    token_id: str  # jti: unique per token
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: str = field(repr=False)
    claims: AccessClaims

    @property
    def expires_in(self) -> int:
        """Seconds of validity (``expires_in`` of an OAuth token response)."""
        return int((self.claims.expires_at - self.claims.issued_at).total_seconds())


class AccessTokens(ABC):
    """Short-lived signed bearer tokens. Issuer, audience, lifetime, keys and the Clock are
    the adapter's configuration; the caller names who and under which session."""

    @property
    @abstractmethod
    def max_lifetime(self) -> timedelta:
        """How long after it was issued a token can still be accepted (its lifetime and
        the leeway): a session revoked longer ago than this has no token left to refuse."""

    @abstractmethod
    def issue(self, subject: str, *, roles: Iterable[Role], session_id: str) -> IssuedAccessToken:
        """Sign a new token that expires ``ttl`` after the Clock's now, with a fresh jti.
        ``issued_at`` is whole seconds (JWT NumericDate)."""

    @abstractmethod
    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token. Raises ``TokenExpired`` (code ``token_expired``) for
        an expired one and ``InvalidToken`` (code ``invalid_token``) for anything else:
        a bad signature or an unknown key, another issuer or audience, an algorithm other
        than the configured one (``none`` included), missing claims or a role this version
        does not know, a lifetime (``exp - iat``) longer than the configured one,
        garbage. Whether the user still exists, is active and issued the token after
        ``sessions_valid_after``, and whether its session was revoked
        (``SessionRevocations``), is the caller's check, not the token's."""


class SessionRevocations(ABC):
    """Which sessions (refresh families, the access token's ``session_id``) have ended:
    their access tokens are refused before they expire. Shared by every worker process
    through storage; an implementation may answer from a per-process copy, stale by a
    bound it documents, but a revocation this process noted is refused at once.
    Revocations are never undone."""

    @abstractmethod
    def is_revoked(self, session_id: str) -> bool:
        """True when the session was revoked (as of the implementation's staleness bound)."""

    @abstractmethod
    def note_revoked(self, session_ids: Iterable[str]) -> None:
        """The caller has just committed the revocation of these sessions: this process
        refuses them from now on, without waiting for its next refresh."""


# -- OpenID Connect ("Sign in with Google") ------------------------------------------------


@dataclass(frozen=True, slots=True)
class OidcIdentity:
    """A verified identity. ``(issuer, subject)`` is the stable key to link an account by;
    the email may change at the provider. ``email_verified`` is always True here.
    ``hosted_domain``: Google's ``hd`` claim (a Google Workspace account's domain)."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str | None = None
    hosted_domain: str | None = None


@dataclass(frozen=True, slots=True)
class OidcAuthorization:
    """A started sign-in: send the browser to ``url``; keep the rest server-side (or in an
    encrypted, HttpOnly cookie) until the callback, then pass it to ``complete`` once."""

    url: str = field(repr=False)  # carries state and nonce
    redirect_uri: str
    expires_at: datetime
    state: str = field(repr=False)
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)


class OidcVerifier(ABC):
    @abstractmethod
    def verify_id_token(self, id_token: str, *, nonce: str | None) -> OidcIdentity:
        """Verify an id_token against the provider's keys: signature (pinned algorithm, key
        by ``kid``), ``iss``, ``aud`` (and ``azp``), ``exp``/``iat`` with a small leeway,
        ``nonce`` when one is expected, and ``email_verified``. Raises ``OidcRejected``
        (``OidcEmailUnverified`` for an unverified email) or ``OidcUnavailable``."""


class OidcClient(OidcVerifier):
    """The authorization code flow with PKCE (S256), ``state`` and ``nonce``."""

    @abstractmethod
    def begin(self, redirect_uri: str) -> OidcAuthorization:
        """A fresh state, nonce and PKCE verifier, and the provider's authorization URL."""

    @abstractmethod
    def complete(self, pending: OidcAuthorization, *, code: str, state: str) -> OidcIdentity:
        """Check ``state`` (before any network call) and that the flow has not expired,
        exchange ``code`` with the PKCE verifier, verify the id_token with the pending
        nonce. Raises ``OidcRejected`` or ``OidcUnavailable``."""


# -- opaque secrets, stored hashed ----------------------------------------------------------

SECRET_BYTES = 32  # 256 bits
_SECRET_PREFIX = "tkx"
_MAX_PRESENTED = 512


class SecretPurpose(StrEnum):
    """What an opaque secret is for. Its short tag is part of the secret (``tkx_rt_...``):
    a leaked secret is recognisable (secret scanners, logs) and one kind cannot be
    presented as another."""

    REFRESH = "rt"  # RefreshSession.token_hash
    VERIFY_EMAIL = "ve"  # OneTimeToken (TokenPurpose.VERIFY_EMAIL)
    RESET_PASSWORD = "rp"  # OneTimeToken (TokenPurpose.RESET_PASSWORD)
    API_KEY = "ak"  # ApiKey.key_hash
    STAFF_CREDENTIAL = "sc"  # StaffCredential.token_hash: a door scanner


def secret_digest(value: str) -> str:
    """SHA-256 of the whole presented secret, hex: what is stored and looked up. A fast hash
    is right here (unlike passwords): the secret has 256 random bits, nothing to guess."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(presented: str, stored_digest: str) -> bool:
    """Compare a presented secret with a stored digest in constant time."""
    if not isinstance(presented, str) or len(presented) > _MAX_PRESENTED:
        return False
    return hmac.compare_digest(secret_digest(presented), stored_digest)


@dataclass(frozen=True, slots=True)
class SecretToken:
    """A new opaque secret: show ``value`` once (email link, API-key dialog, response
    body), store only ``digest``."""

    purpose: SecretPurpose
    value: str = field(repr=False)

    @classmethod
    def generate(
        cls,
        purpose: SecretPurpose,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> SecretToken:
        """``tkx_<tag>_`` + 256 random bits, base64url (URL-safe, no padding)."""
        raw = random_bytes(SECRET_BYTES)
        if len(raw) < SECRET_BYTES:
            raise ValueError(f"need {SECRET_BYTES} random bytes, got {len(raw)}")
        body = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        return cls(purpose, f"{_SECRET_PREFIX}_{purpose.value}_{body}")

    @property
    def digest(self) -> str:
        """What to store (``token_hash`` / ``key_hash``) and look up by."""
        return secret_digest(self.value)

    @property
    def display_prefix(self) -> str:
        """``tkx_ak_`` and 8 characters of the secret (48 of its 256 bits): enough to tell
        keys apart in a list (``ApiKey.prefix``), far too little to guess the rest."""
        return self.value[: len(_SECRET_PREFIX) + 4 + 8]

    @staticmethod
    def purpose_of(presented: str) -> SecretPurpose | None:
        """The purpose a presented value claims by its shape, or None if it has none of
        ours (a cheap pre-check before any lookup; proves nothing by itself)."""
        if not isinstance(presented, str) or len(presented) > _MAX_PRESENTED:
            return None
        prefix, _, rest = presented.partition("_")
        tag, _, body = rest.partition("_")
        if prefix != _SECRET_PREFIX or len(body) < 43:
            return None
        try:
            return SecretPurpose(tag)
        except ValueError:
            return None


__all__ = [
    "SECRET_BYTES",
    "AccessClaims",
    "AccessTokens",
    "InvalidToken",
    "IssuedAccessToken",
    "OidcAuthorization",
    "OidcClient",
    "OidcEmailUnverified",
    "OidcIdentity",
    "OidcRejected",
    "OidcUnavailable",
    "OidcVerifier",
    "PasswordHasher",
    "SecretPurpose",
    "SecretToken",
    "SessionRevocations",
    "TokenExpired",
    "secret_digest",
    "secret_matches",
]
