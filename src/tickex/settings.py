"""Settings from environment variables (prefix ``TICKEX_``), validated at start-up.

Every missing or invalid variable is reported at once, by name, with what is expected.
Secrets are ``SecretStr`` so they never appear in logs or reprs.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DATABASE_SCHEMES = (
    "sqlite://",
    "sqlite+pysqlite://",
    "postgresql://",
    "postgres://",
    "postgresql+psycopg://",
    "mongodb://",
    "mongodb+srv://",
    "memory://",
)


SmtpSecurity = Literal["starttls", "tls", "plain"]
DEV_WORKER_INTERVAL = 5.0
GOOGLE_ISSUER = "https://accounts.google.com"
RESEND_BASE_URL = "https://api.resend.com"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
SMTP_SCHEMES: dict[str, tuple[SmtpSecurity, int]] = {
    "smtp": ("starttls", 587),
    "smtps": ("tls", 465),
    "smtp+insecure": ("plain", 25),
}
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


@dataclass(frozen=True)
class SmtpEndpoint:
    """``TICKEX_SMTP_URL`` taken apart."""

    security: SmtpSecurity
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpEndpoint:
    """Raise ``ValueError`` (naming the URL with its password redacted) unless the URL is
    ``smtp://``, ``smtps://`` or ``smtp+insecure://`` (to a loopback host) with a host."""
    scheme, sep, _ = url.partition("://")
    if (
        not sep or scheme.lower() not in SMTP_SCHEMES
    ):  # the URL is not repeated: it may hold a password
        given = f"{scheme}://" if sep and len(scheme) <= 20 else "something else"
        raise ValueError(
            f"expected a URL starting with smtp:// (STARTTLS), smtps:// (implicit TLS) or "
            f"smtp+insecure:// (loopback only), not {given}"
        )
    shown = redact_url(url)
    parts = urlsplit(url)
    security, default_port = SMTP_SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError(f"the port of {shown} is not a number from 1 to 65535") from None
    host = parts.hostname
    if not host:
        raise ValueError(f"no host in {shown}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"expected no path, query or fragment in {shown}")
    if (parts.username is None) != (parts.password is None):
        raise ValueError(f"expected both a user and a password, or neither, in {shown}")
    if security == "plain" and host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"smtp+insecure:// sends in the clear: only to 127.0.0.1, ::1 or localhost, not "
            f"{host} (use smtp:// for STARTTLS or smtps://)"
        )
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpEndpoint(security, host, port, username, password)


def _network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True


def _web_url(url: str) -> bool:
    """An absolute https URL, or http on a loopback host (development and tests)."""
    parts = urlsplit(url)
    if not parts.hostname or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


# The list settings: what each entry must be, and how the error names it.
_LISTS: dict[str, tuple[Callable[[str], object], str]] = {
    "cors_origins": (_ORIGIN.match, "origins like https://shop.example"),
    "trusted_proxies": (_network, "IP addresses or CIDR networks like 10.0.0.0/8"),
    "google_redirect_uris": (
        lambda uri: _web_url(uri) and "#" not in uri and len(uri) <= 2048,
        "absolute https URLs (http only on loopback) without a fragment",
    ),
}


class SettingsError(Exception):
    """Configuration is invalid; the message lists every problem."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKEX_", extra="forbid", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/tickex.db"
    public_url: str = "http://127.0.0.1:8000"
    payment_provider: Literal["local", "stripe", "stripe-fake"] = Field(
        default="local",
        description="local: checkout sessions kept in-process (the embedded default); "
        "stripe: Stripe Checkout with TICKEX_STRIPE_SECRET_KEY; stripe-fake: a local fake "
        "of Stripe started in-process (development: the whole Stripe flow offline)",
    )
    signing_key: SecretStr | None = Field(
        default=None, description="base64url Ed25519 seed (32 bytes) for ticket QR codes"
    )
    # accounts (docs/adr/0006-identity-primitives.md, docs/adr/0007-account-sessions.md)
    access_token_key: SecretStr | None = Field(
        default=None,
        description="base64url Ed25519 seed (32 bytes) that signs access tokens; unset: a key "
        "per process (development and tests only)",
    )
    access_token_ttl_seconds: Annotated[int, Field(ge=60, le=3600)] = 900
    refresh_token_ttl_days: Annotated[int, Field(ge=1, le=365)] = 30
    session_revocation_refresh: Annotated[float, Field(ge=0, le=60)] = Field(
        default=1.0,
        description="seconds a worker answers 'is this session revoked?' from its own copy "
        "of the revoked sessions before reading storage again: how late a logout or a "
        "refresh-token reuse seen by another worker stops that session's access tokens; "
        "0 reads storage on every request",
    )
    organizer_self_serve: bool = Field(
        default=False,
        description="let anyone register as an organizer (else an admin grants the role)",
    )
    # email (docs/adapters/mail.md)
    mailer: Literal["file", "memory", "smtp", "resend"] | None = Field(
        default=None,
        description="file: one .eml file per email in TICKEX_MAIL_DIR; memory: kept in the "
        "process (tests); smtp: through TICKEX_SMTP_URL; resend: Resend's API with "
        "TICKEX_RESEND_API_KEY; default: file, memory in the test environment",
    )
    mail_dir: Annotated[str, Field(min_length=1, max_length=1024)] = "var/mail"
    mail_from: Annotated[str, Field(min_length=3, max_length=320)] = (
        "TickEx <no-reply@tickex.localhost>"
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="smtp://user:password@host:587 (STARTTLS required), "
        "smtps://user:password@host:465 (implicit TLS), or smtp+insecure://127.0.0.1:1025 "
        "(no encryption: loopback only, never in production); user and password "
        "percent-encoded",
    )
    smtp_timeout_seconds: Annotated[float, Field(ge=1, le=120)] = 10.0
    smtp_ca_file: Annotated[str, Field(min_length=1, max_length=1024)] | None = Field(
        default=None,
        description="PEM file of the CA(s) to trust for the SMTP server's certificate "
        "instead of the system's (a private CA)",
    )
    resend_api_key: SecretStr | None = None
    resend_base_url: str = Field(
        default=RESEND_BASE_URL,
        description="Resend's API (https; http only on loopback, for a local fake)",
    )
    # Google sign-in (docs/adr/0009-google-sign-in.md): on when the client id and secret are set
    google_client_id: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    google_client_secret: SecretStr | None = None
    google_issuer: str = Field(
        default=GOOGLE_ISSUER,
        description="the OpenID provider (https; http only on loopback, for tests; "
        "Google's in production)",
    )
    google_redirect_uris: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="comma-separated front-end URLs the provider may send the browser back "
        "to (exactly as registered with Google); startGoogleSignIn refuses any other",
    )
    # Stripe (docs/adapters/payments.md)
    stripe_secret_key: SecretStr | None = Field(
        default=None, description="Stripe secret key (sk_live_..., sk_test_... or rk_...)"
    )
    stripe_webhook_secret: SecretStr | None = Field(
        default=None,
        description="the webhook endpoint's signing secret(s), whsec_..., comma-separated "
        "while one is being rolled",
    )
    stripe_base_url: str | None = Field(
        default=None,
        description="Stripe's API (https; http only on loopback, for a local fake); unset: "
        "Stripe's own",
    )
    platform_fee_percent_bp: Annotated[int, Field(ge=0, le=10_000)] = 300
    platform_fee_fixed_minor: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    database_pool_size: Annotated[int, Field(ge=1, le=100)] = 5
    # the HTTP server (tickex serve)
    host: Annotated[str, Field(min_length=1, max_length=255)] = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65_535)] = 8000
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    redis_url: SecretStr | None = Field(
        default=None,
        description="redis://, rediss:// or unix:// URL of the rate-limit store shared by "
        "every worker; unset: in memory (one process)",
    )
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="comma-separated addresses or CIDR networks of the reverse proxies "
        "whose X-Forwarded-For is believed",
    )
    event_page_ttl: Annotated[float, Field(ge=0, le=60)] = Field(
        default=1.0,
        description="seconds a rendered public event page is served from each worker's "
        "memory (and may be cached by a CDN); 0 turns it off",
    )
    worker_interval: Annotated[float, Field(ge=0, le=3600)] | None = Field(
        default=None,
        description="seconds between in-process worker rounds; 0 turns it off "
        "(default: 5 outside production, off in production)",
    )

    # The list variables are comma-separated in the environment (NoDecode keeps them raw).
    @field_validator(*_LISTS, mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator(*_LISTS)
    @classmethod
    def _every_entry(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """The list unchanged, or a ``ValueError`` naming every entry unfit for it (``_LISTS``)."""
        ok, expected = _LISTS[info.field_name or ""]
        bad = [entry for entry in value if not ok(entry)]
        if bad:
            raise ValueError(f"expected {expected}, not {bad}")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_smtp_url(value.get_secret_value())
        return value

    @field_validator("smtp_ca_file")
    @classmethod
    def _ca_file(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not Path(value).is_file():
            raise ValueError(f"no such file: {value}")
        try:
            ssl.create_default_context(cafile=value)
        except ssl.SSLError:
            raise ValueError(f"expected PEM certificates in {value}") from None
        return value

    @field_validator("resend_base_url", "google_issuer")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not _web_url(value) or urlsplit(value).query or "#" in value:
            raise ValueError("expected an https URL (http only on 127.0.0.1 or localhost)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _mail_transport_complete(self) -> Settings:
        transport = self.mail_transport()
        if transport == "smtp" and self.smtp_url is None:
            raise ValueError("TICKEX_SMTP_URL is required when TICKEX_MAILER=smtp")
        if transport == "resend" and self.resend_api_key is None:
            raise ValueError("TICKEX_RESEND_API_KEY is required when TICKEX_MAILER=resend")
        endpoint = self.smtp_endpoint()
        if endpoint and endpoint.security == "plain" and self.environment == "production":
            raise ValueError(
                "TICKEX_SMTP_URL: smtp+insecure:// sends in the clear and is refused in "
                "production; use smtp:// (STARTTLS) or smtps:// (implicit TLS)"
            )
        return self

    def smtp_endpoint(self) -> SmtpEndpoint | None:
        """``TICKEX_SMTP_URL`` taken apart (validated at start-up), or None when unset."""
        if self.smtp_url is None:
            return None
        return parse_smtp_url(self.smtp_url.get_secret_value())

    @field_validator("google_client_secret", "resend_api_key")
    @classmethod
    def _not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _google_complete(self) -> Settings:
        client_id, secret = self.google_client_id, self.google_client_secret
        if (client_id is None) != (secret is None):
            missing = "TICKEX_GOOGLE_CLIENT_SECRET" if secret is None else "TICKEX_GOOGLE_CLIENT_ID"
            raise ValueError(
                f"{missing} is required with the other one (Google sign-in needs both, "
                "or neither to leave it off)"
            )
        if client_id is not None and not self.google_redirect_uris:
            raise ValueError("TICKEX_GOOGLE_REDIRECT_URIS is required for Google sign-in")
        if (
            client_id is not None
            and self.environment == "production"
            and self.google_issuer != GOOGLE_ISSUER
        ):
            raise ValueError(
                f"TICKEX_GOOGLE_ISSUER must be {GOOGLE_ISSUER} in production: accounts keep "
                "the subjects of Google's accounts, another provider's could collide"
            )
        return self

    @property
    def google_sign_in(self) -> bool:
        """Google sign-in is on (client id and secret are set)."""
        return self.google_client_id is not None and self.google_client_secret is not None

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError("expected a URL starting with redis://, rediss:// or unix://")
        return value

    def mail_transport(self) -> Literal["file", "memory", "smtp", "resend"]:
        """Where emails go: ``TICKEX_MAILER``, else files (in memory for tests)."""
        if self.mailer is not None:
            return self.mailer
        return "memory" if self.environment == "test" else "file"

    def mail_warning(self) -> str | None:
        """What an operator must hear at start-up: in production, emails that nobody
        receives (tickets, sign-in links) are an outage, not a default."""
        transport = self.mail_transport()
        if self.environment != "production" or transport in ("smtp", "resend"):
            return None
        return (
            f"TICKEX_MAILER is {transport}: emails (tickets, sign-in and reset links) are not "
            "delivered to anyone; set TICKEX_MAILER=smtp or resend"
        )

    def in_process_worker_interval(self) -> float | None:
        """Seconds between the API process's own worker rounds, or None for none."""
        interval = self.worker_interval
        if interval is None:
            interval = 0 if self.environment == "production" else DEV_WORKER_INTERVAL
        return interval or None

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not value.startswith(DATABASE_SCHEMES):
            raise ValueError(f"expected a URL starting with one of {', '.join(DATABASE_SCHEMES)}")
        return value

    @field_validator("signing_key", "access_token_key")
    @classmethod
    def _seed(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(decode_seed(value)) != 32:
            raise ValueError("expected 32 bytes, base64url-encoded")
        return value

    @field_validator("stripe_base_url")
    @classmethod
    def _stripe_base_url(cls, value: str | None) -> str | None:
        return None if value is None else cls._base_url(value)

    @field_validator("stripe_secret_key")
    @classmethod
    def _stripe_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("sk_", "rk_")):
            raise ValueError("expected a secret key, sk_... (or a restricted key, rk_...)")
        return value

    @field_validator("stripe_webhook_secret")
    @classmethod
    def _webhook_secrets(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parts = value.get_secret_value().split(",")
            if not all(part.strip().startswith("whsec_") for part in parts):
                raise ValueError("expected signing secrets whsec_..., comma-separated")
        return value

    @model_validator(mode="after")
    def _stripe_complete(self) -> Settings:
        if self.payment_provider == "stripe":
            needed = (("TICKEX_STRIPE_SECRET_KEY", self.stripe_secret_key),
                      ("TICKEX_STRIPE_WEBHOOK_SECRET", self.stripe_webhook_secret))  # fmt: skip
            missing = [name for name, value in needed if value is None]
            if missing:
                raise ValueError(f"{' and '.join(missing)} required when "
                                 "TICKEX_PAYMENT_PROVIDER=stripe")  # fmt: skip
        if self.payment_provider == "stripe-fake" and self.environment == "production":
            raise ValueError(
                "TICKEX_PAYMENT_PROVIDER=stripe-fake takes no money: not in production"
            )
        return self

    def stripe_webhook_secrets(self) -> tuple[str, ...]:
        """``TICKEX_STRIPE_WEBHOOK_SECRET`` split at its commas (none when unset)."""
        if self.stripe_webhook_secret is None:
            return ()
        parts = self.stripe_webhook_secret.get_secret_value().split(",")
        return tuple(part.strip() for part in parts if part.strip())

    @model_validator(mode="after")
    def _production_needs_keys(self) -> Settings:
        if self.environment == "production":
            missing = [
                name
                for name, value in (
                    ("TICKEX_SIGNING_KEY", self.signing_key),
                    ("TICKEX_ACCESS_TOKEN_KEY", self.access_token_key),
                )
                if value is None
            ]
            if missing:
                verb = "is" if len(missing) == 1 else "are"
                raise ValueError(f"{' and '.join(missing)} {verb} required in production")
        return self

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Read the environment; raise ``SettingsError`` listing every problem."""
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = "_".join(str(p) for p in err["loc"]).upper()
                name = f"TICKEX_{loc}" if loc else "settings"
                problems.append(f"  {name}: {err['msg']}")
            raise SettingsError("invalid configuration:\n" + "\n".join(problems)) from None


def decode_seed(value: SecretStr) -> bytes:
    text = value.get_secret_value()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return b""


def redact_url(url: str) -> str:
    """The URL with any password replaced, for logs and messages."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
