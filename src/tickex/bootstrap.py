"""The composition root: settings -> adapters -> services. Nothing is built at import
time; tests and hosts override any provider (``container.mailer.override(...)``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dependency_injector import containers, providers

from tickex.adapters.aes_gcm_box import AesGcmSecretBox
from tickex.adapters.argon2_hasher import Argon2PasswordHasher
from tickex.adapters.ed25519_signer import Ed25519TicketSigner
from tickex.adapters.file_mail import FileMailer
from tickex.adapters.jwt_tokens import JwtAccessTokens
from tickex.adapters.memory.clock import FixedClock, SeededSecretGenerator, SequentialIdGenerator
from tickex.adapters.memory.identity import InMemoryAccessTokens, InMemoryPasswordHasher
from tickex.adapters.memory.mail import InMemoryMailer, InMemoryMessenger
from tickex.adapters.memory.media import InMemoryMediaStore
from tickex.adapters.memory.payment import InMemoryPaymentGateway
from tickex.adapters.memory.rate_limit import InMemoryRateLimiter
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.adapters.oidc import GOOGLE_ISSUER, HttpOidcClient
from tickex.adapters.qr_code import QrcodePngRenderer
from tickex.adapters.session_revocations import StoredSessionRevocations
from tickex.adapters.smtp_mail import SmtpMailer
from tickex.adapters.system import SystemClock, SystemSecretGenerator, UuidIdGenerator
from tickex.application.services import (
    CatalogPorts,
    DeliveryPorts,
    IdentityPorts,
    SalesPorts,
    Services,
)
from tickex.domain.pricing import PlatformFee
from tickex.ports.clock import Clock
from tickex.ports.identity import AccessTokens, OidcClient, SessionRevocations
from tickex.ports.links import Links
from tickex.ports.mail import Mailer
from tickex.ports.payment import PaymentGateway
from tickex.ports.rate_limit import RateLimiter
from tickex.ports.secret_box import SecretBox
from tickex.ports.signer import TicketSigner
from tickex.ports.unit_of_work import Storage
from tickex.settings import Settings, decode_seed


def build_storage(settings: Settings) -> Storage:
    """The engine named by ``TICKEX_DATABASE_URL``; drivers are imported only when used
    (they are optional extras: ``tickex[sql]``, ``tickex[mongo]``)."""
    url = settings.database_url
    if url.startswith("memory://"):
        return InMemoryStorage()
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from tickex.adapters.mongo import MongoStorage

        return MongoStorage.from_url(url)
    from tickex.adapters.sql import SqlStorage

    return SqlStorage(url, pool_size=settings.database_pool_size)


def build_signer(settings: Settings) -> TicketSigner:
    if settings.signing_key is None:
        return Ed25519TicketSigner.generate()  # development: a key per process
    return Ed25519TicketSigner.from_seed(decode_seed(settings.signing_key))


def build_platform_fee(settings: Settings) -> PlatformFee:
    return PlatformFee(settings.platform_fee_percent_bp, settings.platform_fee_fixed_minor)


def build_payments(settings: Settings, clock: Clock) -> PaymentGateway:
    """The local provider (the embedded default), Stripe (``tickex[stripe]``), or Stripe's
    local fake started in this process (``stripe-fake``: development, offline)."""
    if settings.payment_provider == "local":
        base_url = settings.public_url.rstrip("/") + "/pay"
        return InMemoryPaymentGateway(base_url, random_references=settings.environment != "test")
    from tickex.adapters.stripe_payments import StripePaymentGateway

    if settings.payment_provider == "stripe-fake":
        return start_fake_stripe(settings, clock)
    assert settings.stripe_secret_key is not None, "settings require the key for stripe"
    return StripePaymentGateway(
        settings.stripe_secret_key.get_secret_value(),
        webhook_secrets=settings.stripe_webhook_secrets(),
        clock=clock,
        base_url=settings.stripe_base_url,
    )


#: the fake's signing secret unless TICKEX_STRIPE_WEBHOOK_SECRET says otherwise: the same
#: in every process, so any API worker verifies what the fake sends (development only)
FAKE_STRIPE_WEBHOOK_SECRET = "whsec_tickex_fake_stripe_development_only"


def start_fake_stripe(settings: Settings, clock: Clock) -> PaymentGateway:
    """Start ``tickex.testing.fake_stripe`` in this process (a thread on 127.0.0.1), send
    its webhooks to this API's ``/webhooks/stripe``, and return the Stripe gateway pointed
    at it: ``make run`` shows the whole Stripe flow without a network."""
    from tickex.adapters.stripe_payments import StripePaymentGateway
    from tickex.entrypoints.http.links import STRIPE_WEBHOOK_PATH
    from tickex.testing.fake_stripe import FakeStripe

    secret = (settings.stripe_webhook_secrets() or (FAKE_STRIPE_WEBHOOK_SECRET,))[-1]
    fake = FakeStripe(
        clock=clock, auto_deliver=True, delivery_delay=0.5, instant_onboarding=True
    ).start()
    fake.add_endpoint(settings.public_url.rstrip("/") + STRIPE_WEBHOOK_PATH, secret)
    return StripePaymentGateway(
        fake.secret_key, webhook_secrets=[secret], clock=clock, base_url=fake.url
    )


def build_mailer(settings: Settings, clock: Clock) -> Mailer:
    """``.eml`` files in ``TICKEX_MAIL_DIR`` (the embedded default), in memory, an SMTP
    server (``TICKEX_SMTP_URL``) or Resend (``TICKEX_RESEND_API_KEY``; httpx comes with the
    ``tickex[resend]`` extra)."""
    transport = settings.mail_transport()
    if transport == "memory":
        return InMemoryMailer()
    if transport == "smtp":
        endpoint = settings.smtp_endpoint()
        assert endpoint is not None, "settings require TICKEX_SMTP_URL for smtp"
        return SmtpMailer(
            endpoint.host, endpoint.port, clock=clock, security=endpoint.security,
            username=endpoint.username, password=endpoint.password, sender=settings.mail_from,
            timeout=settings.smtp_timeout_seconds, ca_file=settings.smtp_ca_file,
        )  # fmt: skip
    if transport == "resend":
        from tickex.adapters.resend_mail import ResendMailer

        assert settings.resend_api_key is not None, "settings require the key for resend"
        return ResendMailer(
            settings.resend_api_key.get_secret_value(), sender=settings.mail_from,
            base_url=settings.resend_base_url,
        )  # fmt: skip
    return FileMailer(settings.mail_dir, clock, sender=settings.mail_from)


def build_rate_limiter(settings: Settings, clock: Clock) -> RateLimiter:
    """Redis when ``TICKEX_REDIS_URL`` is set (shared by every worker; the optional extra
    ``tickex[redis]``), else in memory on the application's clock (one process)."""
    if settings.redis_url is None:
        return InMemoryRateLimiter(clock)
    from tickex.adapters.redis import RedisRateLimiter

    return RedisRateLimiter(settings.redis_url.get_secret_value())


ACCESS_TOKEN_AUDIENCE = "tickex-api"


def build_access_tokens(settings: Settings, clock: Clock) -> AccessTokens:
    """EdDSA JWTs signed with ``TICKEX_ACCESS_TOKEN_KEY`` (a key per process when unset:
    development only, the settings refuse that in production); issuer: the public URL."""
    key = settings.access_token_key
    signing_key = (
        Ed25519PrivateKey.generate()
        if key is None
        else Ed25519PrivateKey.from_private_bytes(decode_seed(key))
    )
    return JwtAccessTokens(
        signing_key,
        clock=clock,
        issuer=settings.public_url,
        audience=ACCESS_TOKEN_AUDIENCE,
        ttl=timedelta(seconds=settings.access_token_ttl_seconds),
    )


def build_session_revocations(
    settings: Settings, storage: Storage, clock: Clock, access_tokens: AccessTokens
) -> SessionRevocations:
    """Each worker's copy of the sessions revoked within an access token's life, reloaded
    from storage every ``TICKEX_SESSION_REVOCATION_REFRESH`` seconds (ADR 0025)."""
    return StoredSessionRevocations(
        storage,
        clock,
        window=access_tokens.max_lifetime,
        refresh_every=timedelta(seconds=settings.session_revocation_refresh),
    )


def build_secret_box(settings: Settings) -> SecretBox:
    """AES-256-GCM with a key derived (HKDF-SHA256) from ``TICKEX_ACCESS_TOKEN_KEY``'s
    seed: nothing new to manage, and every worker that verifies our access tokens opens our
    flow tokens. Unset (development): a key per process, like the access tokens' -- and
    ``tickex serve --workers N`` then sets one seed for all of them
    (``serve.shared_development_keys``), so both stay shared."""
    key = settings.access_token_key
    if key is None:
        return AesGcmSecretBox.generate()
    return AesGcmSecretBox.derived_from(decode_seed(key))


def build_oidc(settings: Settings, clock: Clock) -> OidcClient | None:
    """The OpenID client for Google sign-in, or None when it is off (no client id and
    secret). Google's own issuer also accepts its scheme-less spelling in id_tokens."""
    if settings.google_client_id is None or settings.google_client_secret is None:
        return None
    secret = settings.google_client_secret.get_secret_value()
    if settings.google_issuer == GOOGLE_ISSUER:
        return HttpOidcClient.google(
            client_id=settings.google_client_id, client_secret=secret, clock=clock
        )
    return HttpOidcClient(
        issuer=settings.google_issuer,
        client_id=settings.google_client_id,
        client_secret=secret,
        clock=clock,
    )


def build_links(settings: Settings) -> Links:
    """The pages of the HTTP API under ``TICKEX_PUBLIC_URL``; ``TickEx.in_memory()`` links
    the same pages, so its emails are those of a served instance. Imported here, not at the
    top: ``tickex.entrypoints.http``'s app imports the facade, which imports this module."""
    from tickex.entrypoints.http.links import HttpLinks

    return HttpLinks(settings.public_url)


def memory_access_tokens(clock: Clock, settings: Settings | None = None) -> AccessTokens:
    """Fast fake access tokens on ``clock`` (for ``TickEx.in_memory()``)."""
    ttl = timedelta(seconds=settings.access_token_ttl_seconds if settings else 900)
    issuer = settings.public_url if settings else "http://127.0.0.1:8000"
    return InMemoryAccessTokens(clock=clock, issuer=issuer, audience=ACCESS_TOKEN_AUDIENCE, ttl=ttl)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidIdGenerator)
    secrets = providers.Singleton(SystemSecretGenerator)
    signer = providers.Singleton(build_signer, settings)
    storage = providers.Singleton(build_storage, settings)
    payments = providers.Singleton(build_payments, settings, clock)
    mailer = providers.Singleton(build_mailer, settings, clock)
    messenger = providers.Singleton(InMemoryMessenger)
    media = providers.Singleton(InMemoryMediaStore)
    platform_fee = providers.Singleton(build_platform_fee, settings)
    rate_limiter = providers.Singleton(build_rate_limiter, settings, clock)
    passwords = providers.Singleton(Argon2PasswordHasher)
    access_tokens = providers.Singleton(build_access_tokens, settings, clock)
    revocations = providers.Singleton(
        build_session_revocations, settings, storage, clock, access_tokens
    )
    secret_box = providers.Singleton(build_secret_box, settings)
    oidc = providers.Singleton(build_oidc, settings, clock)
    qr = providers.Singleton(QrcodePngRenderer)
    links = providers.Singleton(build_links, settings)

    # the ports of each area, then the core with them (application/services.py)
    sales_ports = providers.Singleton(SalesPorts, payments=payments, platform_fee=platform_fee)
    delivery_ports = providers.Singleton(
        DeliveryPorts, mailer=mailer, messenger=messenger, qr=qr, links=links
    )
    identity_ports = providers.Singleton(
        IdentityPorts,
        passwords=passwords,
        access_tokens=access_tokens,
        rate_limiter=rate_limiter,
        revocations=revocations,
        refresh_token_ttl=providers.Factory(
            lambda days: timedelta(days=days), settings.provided.refresh_token_ttl_days
        ),
        organizer_self_serve=settings.provided.organizer_self_serve,
        oidc=oidc,
        secret_box=secret_box,
        google_redirect_uris=settings.provided.google_redirect_uris,
    )
    catalog_ports = providers.Singleton(CatalogPorts, media=media)
    services = providers.Singleton(
        Services,
        storage=storage,
        clock=clock,
        ids=ids,
        secrets=secrets,
        signer=signer,
        sales=sales_ports,
        delivery=delivery_ports,
        identity=identity_ports,
        catalog=catalog_ports,
    )


#: the container's providers that are not adapters (``TickEx.from_settings`` refuses them)
NOT_ADAPTERS = frozenset(
    {"settings", "services", "sales_ports", "delivery_ports", "identity_ports", "catalog_ports"}
)


def build_container(settings: Settings | None = None) -> Container:
    return Container(settings=settings or Settings.load())


def services_on(storage: Storage, clock: Clock | None = None) -> Services:
    """The use cases' services on ``storage`` (the system clock unless given), in-memory
    adapters for the rest and a fresh signing key: for callers that race use cases against
    one database without a facade (the SQL concurrency harness, the flash-sale benchmark)."""
    clock = clock or SystemClock()
    access_tokens = InMemoryAccessTokens(clock=clock)
    return Services(
        storage=storage,
        clock=clock,
        ids=UuidIdGenerator(),
        secrets=SystemSecretGenerator(),
        signer=Ed25519TicketSigner.generate(),
        sales=SalesPorts(payments=InMemoryPaymentGateway()),
        delivery=DeliveryPorts(
            mailer=InMemoryMailer(),
            messenger=InMemoryMessenger(),
            qr=QrcodePngRenderer(),
            links=build_links(Settings.load(environment="test")),
        ),
        identity=IdentityPorts(
            passwords=InMemoryPasswordHasher(),
            access_tokens=access_tokens,
            rate_limiter=InMemoryRateLimiter(clock),
            revocations=StoredSessionRevocations(storage, clock, window=access_tokens.max_lifetime),
        ),
        catalog=CatalogPorts(media=InMemoryMediaStore()),
    )


def deterministic_adapters(start: datetime | None = None) -> dict[str, object]:
    """In-memory storage, fixed clock, sequential ids, seeded secrets, a fixed signing key,
    a fast password hasher. (Access tokens need the clock: ``TickEx.in_memory`` adds them.)"""
    return {
        "storage": InMemoryStorage(),
        "clock": FixedClock(start),
        "passwords": InMemoryPasswordHasher(),
        "ids": SequentialIdGenerator(),
        "secrets": SeededSecretGenerator(),
        "signer": Ed25519TicketSigner.from_seed(bytes(range(32))),
    }
