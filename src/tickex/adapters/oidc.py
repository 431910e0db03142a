"""OpenID Connect sign-in over HTTP (httpx): authorization code flow with PKCE (S256),
``state`` and ``nonce``; id_tokens verified against the provider's JWKS (PyJWT).

- Discovery (``/.well-known/openid-configuration``) is fetched once and cached for a day;
  its ``issuer`` must be the configured one. Endpoints must be https (loopback excepted).
- The JWKS is cached for the provider's ``Cache-Control: max-age`` (bounded). A token whose
  ``kid`` is unknown triggers one refetch (key rotation); such forced refetches happen at
  most once per ``jwks_min_refresh``, so a flood of tokens with made-up kids cannot make us
  hammer the provider.
- Every HTTP call has a timeout and a response size cap; no redirects are followed.
- Nothing here logs a code, a token or a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from tickex.adapters.jwt_decoding import REASONS, decode_jwt
from tickex.adapters.loopback import is_loopback
from tickex.ports.clock import Clock
from tickex.ports.identity import (
    OidcAuthorization,
    OidcClient,
    OidcEmailUnverified,
    OidcIdentity,
    OidcRejected,
    OidcUnavailable,
)

logger = logging.getLogger(__name__)

GOOGLE_ISSUER = "https://accounts.google.com"
MAX_RESPONSE_BYTES = 1 << 20
MAX_ID_TOKEN_LENGTH = 16 * 1024
MAX_JWKS_KEYS = 50
MIN_RSA_BITS = 2048
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url(SHA-256(verifier)), no padding."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def _check_endpoint(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return url
    raise OidcRejected("provider", "provider endpoints must be https")


def _max_age(cache_control: str | None) -> int | None:
    match = re.search(r"max-age=(\d+)", cache_control or "")
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


class HttpOidcClient(OidcClient):
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        clock: Clock,
        http: httpx.Client | None = None,
        scopes: Iterable[str] = ("openid", "email", "profile"),
        accepted_issuers: Iterable[str] = (),
        algorithms: Iterable[str] = ("RS256",),
        leeway: timedelta = timedelta(seconds=60),
        flow_ttl: timedelta = timedelta(minutes=10),
        jwks_min_refresh: timedelta = timedelta(minutes=1),
        jwks_default_ttl: timedelta = timedelta(hours=1),
        jwks_max_ttl: timedelta = timedelta(hours=24),
        metadata_ttl: timedelta = timedelta(hours=24),
        timeout: float = 5.0,
    ) -> None:
        if not client_id:
            raise ValueError("client_id is required")
        try:
            self._issuer = _check_endpoint(issuer.rstrip("/"))
        except OidcRejected:
            raise ValueError("the issuer must be https (http only on loopback)") from None
        self._issuers = [self._issuer, *accepted_issuers]
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._scopes = " ".join(scopes)
        if "openid" not in self._scopes.split():
            raise ValueError("scopes must include openid")
        self._algorithms = tuple(algorithms)
        if not self._algorithms or not all(a.startswith(("RS", "PS")) for a in self._algorithms):
            raise ValueError("only RSA algorithms (RS256, PS256, ...) are supported")
        self._leeway = leeway.total_seconds()
        self._flow_ttl = flow_ttl
        self._jwks_min_refresh = jwks_min_refresh
        self._jwks_default_ttl = jwks_default_ttl
        self._jwks_max_ttl = jwks_max_ttl
        self._metadata_ttl = metadata_ttl
        self._owns_http = http is None
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._metadata_until: datetime | None = None
        self._keys: dict[str, RSAPublicKey] = {}
        self._last_forced: datetime | None = None
        self._keys_until: datetime | None = None

    @classmethod
    def google(
        cls, *, client_id: str, client_secret: str | None, clock: Clock, **kwargs: Any
    ) -> HttpOidcClient:
        """Google's id_tokens say ``iss`` ``https://accounts.google.com`` or, for some
        clients, ``accounts.google.com``: both are accepted and reported as the former."""
        return cls(
            issuer=GOOGLE_ISSUER,
            client_id=client_id,
            client_secret=client_secret,
            clock=clock,
            accepted_issuers=("accounts.google.com",),
            **kwargs,
        )

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- the flow -------------------------------------------------------------------------
    def begin(self, redirect_uri: str) -> OidcAuthorization:
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
            raise ValueError("redirect_uri must be an absolute http(s) URL without fragment")
        metadata = self.metadata()
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters, RFC 7636 allows 43-128
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": redirect_uri,
                "scope": self._scopes,
                "state": state,
                "nonce": nonce,
                "code_challenge": pkce_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if urlsplit(metadata.authorization_endpoint).query else "?"
        return OidcAuthorization(
            url=f"{metadata.authorization_endpoint}{separator}{query}",
            redirect_uri=redirect_uri,
            expires_at=self._clock.now() + self._flow_ttl,
            state=state,
            nonce=nonce,
            code_verifier=verifier,
        )

    def complete(self, pending: OidcAuthorization, *, code: str, state: str) -> OidcIdentity:
        if not isinstance(state, str) or not hmac.compare_digest(
            state.encode(), pending.state.encode()
        ):
            raise OidcRejected("state", "the state does not match this sign-in")
        if self._clock.now() >= pending.expires_at:
            raise OidcRejected("flow_expired", "the sign-in took too long; start again")
        if not isinstance(code, str) or not 0 < len(code) <= 2048:
            raise OidcRejected("malformed", "no authorization code")
        metadata = self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending.redirect_uri,
            "client_id": self._client_id,
            "code_verifier": pending.code_verifier,
        }
        if self._client_secret is not None:
            form["client_secret"] = self._client_secret  # client_secret_post
        status, body = self._request("POST", metadata.token_endpoint, data=form)
        if status != 200:
            error = body.get("error") if isinstance(body, dict) else None
            error = error if isinstance(error, str) and _ERROR_CODE.match(error) else "unknown"
            raise OidcRejected("exchange", f"the provider refused the code ({error})")
        id_token = body.get("id_token") if isinstance(body, dict) else None
        if not isinstance(id_token, str):
            raise OidcRejected("malformed", "the token response has no id_token")
        return self.verify_id_token(id_token, nonce=pending.nonce)

    # -- id_token verification -------------------------------------------------------------
    def verify_id_token(self, id_token: str, *, nonce: str | None) -> OidcIdentity:
        if not isinstance(id_token, str) or not 0 < len(id_token) <= MAX_ID_TOKEN_LENGTH:
            raise OidcRejected("malformed")
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise OidcRejected("malformed") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in self._algorithms:
            raise OidcRejected("algorithm", "unexpected signing algorithm")
        if not isinstance(kid, str) or not kid:
            raise OidcRejected("malformed", "the id_token names no key")
        key = self._key(kid)
        claims = decode_jwt(
            id_token,
            key,
            algorithm=algorithm,
            audience=self._client_id,
            issuer=self._issuers,
            require=("iss", "aud", "sub", "exp", "iat"),
            refuse=OidcRejected,
            # The header's algorithm was checked above: any other algorithm failure (one
            # PyJWT does not support) stays "malformed", as it always was here.
            reasons=[r for r in REASONS if r[0] is not jwt.InvalidAlgorithmError],
        )
        self._check_claims(claims, nonce)
        email, name, hd = claims.get("email"), claims.get("name"), claims.get("hd")
        if not isinstance(email, str) or "@" not in email:
            raise OidcRejected("claims", "the id_token has no email")
        if claims.get("email_verified") not in (True, "true"):
            raise OidcEmailUnverified()
        return OidcIdentity(
            issuer=self._issuer,
            subject=claims["sub"],
            email=email,
            email_verified=True,
            name=name if isinstance(name, str) and name else None,
            hosted_domain=hd if isinstance(hd, str) and hd else None,  # Google Workspace
        )

    def _check_claims(self, claims: Mapping[str, Any], nonce: str | None) -> None:
        audience = claims["aud"]
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp") != self._client_id:  # OIDC Core 3.1.3.7 (4, 5)
            raise OidcRejected("audience", "azp is not this client")
        exp, iat, sub = claims["exp"], claims["iat"], claims["sub"]
        if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in (exp, iat)):
            raise OidcRejected("claims", "exp and iat must be numbers")
        if not isinstance(sub, str) or not sub:
            raise OidcRejected("claims", "no subject")
        now = self._clock.now().timestamp()
        if now >= exp + self._leeway:
            raise OidcRejected("expired", "the id_token has expired")
        if iat > now + self._leeway:
            raise OidcRejected("not_yet_valid", "the id_token was issued in the future")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf > now + self._leeway:
            raise OidcRejected("not_yet_valid")
        if nonce is not None:
            token_nonce = claims.get("nonce")
            if not isinstance(token_nonce, str) or not hmac.compare_digest(
                token_nonce.encode(), nonce.encode()
            ):
                raise OidcRejected("nonce", "the id_token was not issued for this sign-in")

    # -- provider documents, cached ---------------------------------------------------------
    def metadata(self) -> ProviderMetadata:
        with self._lock:
            now = self._clock.now()
            if self._metadata and self._metadata_until and now < self._metadata_until:
                return self._metadata
            url = f"{self._issuer}/.well-known/openid-configuration"
            status, body = self._request("GET", url)
            if status != 200 or not isinstance(body, dict):
                raise OidcUnavailable(f"discovery failed with status {status}")
            fields = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
            values = [body.get(name) for name in fields]
            if not all(isinstance(v, str) and v for v in values):
                raise OidcRejected("provider", "the discovery document is incomplete")
            metadata = ProviderMetadata(*(str(v) for v in values))
            if metadata.issuer.rstrip("/") != self._issuer:
                raise OidcRejected("provider", "the discovery document names another issuer")
            for endpoint in values[1:]:
                _check_endpoint(str(endpoint))
            self._metadata, self._metadata_until = metadata, now + self._metadata_ttl
            return metadata

    def _key(self, kid: str) -> RSAPublicKey:
        metadata = self.metadata()
        with self._lock:
            now = self._clock.now()
            fresh = self._keys_until is not None and now < self._keys_until
            if fresh and kid in self._keys:
                return self._keys[kid]
            if not fresh:  # first use, or past the provider's max-age
                self._fetch_keys(metadata.jwks_uri, now)
            elif self._last_forced is None or now - self._last_forced >= self._jwks_min_refresh:
                self._last_forced = now  # an unknown kid: the provider may have rotated
                self._fetch_keys(metadata.jwks_uri, now)
            key = self._keys.get(kid)
        if key is None:
            raise OidcRejected("unknown_key", "the id_token is signed by an unknown key")
        return key

    def _fetch_keys(self, jwks_uri: str, now: datetime) -> None:
        try:
            status, body, cache_control = self._request_with_headers("GET", jwks_uri)
        except OidcUnavailable:
            status, body, cache_control = 0, None, None
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            if self._keys:  # the provider is down: keep the keys we have a little longer
                self._keys_until = now + self._jwks_min_refresh
                logger.warning("oidc keys could not be refreshed", extra={"status": status})
                return
            raise OidcUnavailable(f"the provider's keys could not be fetched ({status})")
        keys: dict[str, RSAPublicKey] = {}
        for jwk in body["keys"][:MAX_JWKS_KEYS]:
            key = self._parse_jwk(jwk)
            if key is not None:
                keys[jwk["kid"]] = key
        max_age = _max_age(cache_control)
        ttl = timedelta(seconds=max_age) if max_age is not None else self._jwks_default_ttl
        ttl = max(self._jwks_min_refresh, min(ttl, self._jwks_max_ttl))
        self._keys, self._keys_until = keys, now + ttl
        logger.info("oidc keys refreshed", extra={"issuer": self._issuer, "keys": len(keys)})

    def _parse_jwk(self, jwk: object) -> RSAPublicKey | None:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            return None
        if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
            return None
        if jwk.get("alg") is not None and jwk.get("alg") not in self._algorithms:
            return None
        if "d" in jwk:  # a private key published by mistake: refuse to touch it
            return None
        try:
            key = jwt.PyJWK(jwk).key
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        if not isinstance(key, RSAPublicKey) or key.key_size < MIN_RSA_BITS:
            return None
        return key

    # -- HTTP -------------------------------------------------------------------------------
    def _request(self, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
        status, body, _ = self._request_with_headers(method, url, **kwargs)
        return status, body

    def _request_with_headers(
        self, method: str, url: str, **kwargs: Any
    ) -> tuple[int, Any, str | None]:
        _check_endpoint(url)
        try:
            with self._http.stream(method, url, **kwargs) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        raise OidcUnavailable("the provider's response is too large")
                    chunks.append(chunk)
                status, cache_control = response.status_code, response.headers.get("cache-control")
        except httpx.HTTPError as exc:
            raise OidcUnavailable(
                f"the provider could not be reached ({type(exc).__name__})"
            ) from None
        if status >= 500:
            raise OidcUnavailable(f"the provider answered {status}")
        try:
            body = json.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError):
            body = None
        return status, body, cache_control
