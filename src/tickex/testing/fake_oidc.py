"""A local fake OpenID provider for tests: a real HTTP server on 127.0.0.1 in a thread.

It signs real RS256 id_tokens with ``cryptography`` directly (not with PyJWT, which the
client under test uses to verify), checks PKCE S256, single-use codes, the client secret
and the exact redirect URI, and it can misbehave on request::

    with FakeOidcProvider(redirect_uris=["http://127.0.0.1/cb"]) as provider:
        provider.user = FakeUser(subject="g-1", email="ada@example.com")
        provider.id_token_overrides = {"aud": "someone-else"}   # next tokens say so
        provider.sign_with = provider.new_key("rogue")          # a key not in the JWKS
        provider.rotate_key()                                   # publish and use a new key

Endpoints: ``/.well-known/openid-configuration``, ``/jwks``, ``/authorize`` (the user in
``provider.user`` consents at once: 302 back with ``code`` and ``state``), ``/token``.
Counters (``jwks_requests``, ``token_requests``) let tests prove caching.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tickex.ports.clock import Clock
from tickex.testing.loopback_server import LoopbackHandler, LoopbackServer

REMOVE = object()  # in ``id_token_overrides``: leave the claim out


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64_int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class FakeUser:
    subject: str = "fake-user-1"
    email: str = "ada@example.com"
    email_verified: Any = True
    name: str | None = "Ada Lovelace"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, str]:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _b64_int(numbers.n),
            "e": _b64_int(numbers.e),
        }


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    user: FakeUser
    created_at: datetime


def sign_rs256(
    claims: dict[str, Any], key: SigningKey, header: dict[str, Any] | None = None
) -> str:
    """A compact JWS, RS256 (RSASSA-PKCS1-v1_5 with SHA-256), made without PyJWT."""
    head = {"alg": "RS256", "typ": "JWT", "kid": key.kid, **(header or {})}
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (head, claims)
    )
    signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


class FakeOidcProvider(LoopbackServer):
    def __init__(
        self,
        *,
        client_id: str = "tickex-web",
        client_secret: str = "fake-client-secret",  # noqa: S107 - a fake
        redirect_uris: Iterable[str] = ("http://127.0.0.1:8000/v1/auth/google/callback",),
        clock: Clock | None = None,
        code_ttl: timedelta = timedelta(minutes=1),
        id_token_ttl: timedelta = timedelta(hours=1),
        jwks_max_age: int = 3600,
    ) -> None:
        super().__init__(_Handler, name="fake-oidc")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = tuple(redirect_uris)
        self._clock = clock
        self.code_ttl = code_ttl
        self.id_token_ttl = id_token_ttl
        self.jwks_max_age = jwks_max_age
        self.user = FakeUser()
        self.id_token_overrides: dict[str, Any] = {}
        self.sign_with: SigningKey | None = None
        self.replay_id_token: str | None = None
        self.published: list[SigningKey] = [self.new_key("key-1")]
        self.signing = self.published[0]
        self.issued_id_tokens: list[str] = []
        self.jwks_requests = 0
        self.jwks_status = 200  # e.g. 503: the key endpoint is down
        self.token_requests = 0
        self.authorize_requests = 0
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    @property
    def issuer(self) -> str:
        return self.url

    # -- keys and tokens -------------------------------------------------------------------
    @staticmethod
    def new_key(kid: str) -> SigningKey:
        return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def rotate_key(self, kid: str | None = None) -> SigningKey:
        """Publish a new key and sign with it from now on (old keys stay published)."""
        with self._lock:
            key = self.new_key(kid or f"key-{len(self.published) + 1}")
            self.published.append(key)
            self.signing = key
            return key

    def retire_key(self, kid: str) -> None:
        with self._lock:
            self.published = [k for k in self.published if k.kid != kid]

    def now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    def id_token_for(
        self, user: FakeUser, *, nonce: str | None, audience: str | None = None
    ) -> str:
        """A signed id_token as /token would issue it (overrides and ``sign_with`` apply)."""
        now = int(self.now().timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience or self.client_id,
            "azp": audience or self.client_id,
            "sub": user.subject,
            "email": user.email,
            "email_verified": user.email_verified,
            "iat": now,
            "exp": now + int(self.id_token_ttl.total_seconds()),
        }
        if user.name is not None:
            claims["name"] = user.name
        if nonce is not None:
            claims["nonce"] = nonce
        for name, value in self.id_token_overrides.items():
            if value is REMOVE:
                claims.pop(name, None)
            else:
                claims[name] = value
        token = sign_rs256(claims, self.sign_with or self.signing)
        self.issued_id_tokens.append(token)
        return token

    # -- endpoint logic (called from the handler threads) -----------------------------------
    def _discovery(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def _jwks(self) -> dict[str, Any]:
        with self._lock:
            self.jwks_requests += 1
            return {"keys": [key.jwk() for key in self.published]}

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.authorize_requests += 1
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or redirect_uri not in self.redirect_uris:
            return 400, {}, b"unknown client or redirect_uri"  # never redirect then
        error = None
        if query.get("response_type") != "code":
            error = "unsupported_response_type"
        elif "openid" not in query.get("scope", "").split():
            error = "invalid_scope"
        elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            error = "invalid_request"
        params: dict[str, str]
        if error:
            params = {"error": error}
        else:
            code = secrets.token_urlsafe(24)
            grant = _Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                challenge=query["code_challenge"],
                nonce=query.get("nonce"),
                user=replace(self.user),
                created_at=self.now(),
            )
            with self._lock:
                self._grants[code] = grant
            params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        return 302, {"Location": f"{redirect_uri}?{urlencode(params)}"}, b""

    def _token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.token_requests += 1
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        if client_id != self.client_id or not hmac.compare_digest(
            (secret or "").encode(), self.client_secret.encode()
        ):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # single use
        if grant is None or self.now() - grant.created_at > self.code_ttl:
            return 400, {"error": "invalid_grant"}
        if grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = _b64(hashlib.sha256(verifier.encode()).digest())
        if not 43 <= len(verifier) <= 128 or not hmac.compare_digest(challenge, grant.challenge):
            return 400, {"error": "invalid_grant"}
        id_token = self.replay_id_token or self.id_token_for(grant.user, nonce=grant.nonce)
        return 200, {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 3599,
            "scope": "openid email profile",
            "id_token": id_token,
        }


class _Handler(LoopbackHandler):
    fake: FakeOidcProvider
    server_version = "FakeOIDC/1"

    def _json(self, status: int, payload: object, **headers: str) -> None:
        body = json.dumps(payload).encode()
        self.send(status, body, {"Content-Type": "application/json", **headers})

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's hook names
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, self.fake._discovery())
        elif parts.path == "/jwks":
            max_age = f"public, max-age={self.fake.jwks_max_age}"
            keys = self.fake._jwks()
            if self.fake.jwks_status != 200:
                self._json(self.fake.jwks_status, {"error": "unavailable"})
            else:
                self._json(200, keys, **{"Cache-Control": max_age})
        elif parts.path == "/authorize":
            status, headers, body = self.fake._authorize(query)
            self.send(status, body, headers)
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 64 * 1024)).decode()
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        if urlsplit(self.path).path == "/token":
            status, payload = self.fake._token(form, self.headers.get("Authorization"))
            self._json(status, payload, **{"Cache-Control": "no-store"})
        else:
            self._json(404, {"error": "not_found"})
