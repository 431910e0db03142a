"""The composition root: settings -> adapters -> services. Nothing is built at import
time; tests and hosts override any provider (``container.mailer.override(...)``)."""

from __future__ import annotations

from datetime import datetime

from dependency_injector import containers, providers

from tickex.adapters.ed25519_signer import Ed25519TicketSigner
from tickex.adapters.memory.clock import FixedClock, SeededSecretGenerator, SequentialIdGenerator
from tickex.adapters.memory.mail import InMemoryMailer, InMemoryMessenger
from tickex.adapters.memory.media import InMemoryMediaStore
from tickex.adapters.memory.payment import InMemoryPaymentGateway
from tickex.adapters.memory.rate_limit import InMemoryRateLimiter
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.adapters.system import SystemClock, SystemSecretGenerator, UuidIdGenerator
from tickex.application.services import Services
from tickex.domain.pricing import PlatformFee
from tickex.ports.clock import Clock
from tickex.ports.payment import PaymentGateway
from tickex.ports.rate_limit import RateLimiter
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


def build_payments(settings: Settings) -> PaymentGateway:
    base_url = settings.public_url.rstrip("/") + "/pay"
    return InMemoryPaymentGateway(base_url, random_references=settings.environment != "test")


def build_rate_limiter(settings: Settings, clock: Clock) -> RateLimiter:
    """Redis when ``TICKEX_REDIS_URL`` is set (shared by every worker; the optional extra
    ``tickex[redis]``), else in memory on the application's clock (one process)."""
    if settings.redis_url is None:
        return InMemoryRateLimiter(clock)
    from tickex.adapters.redis import RedisRateLimiter

    return RedisRateLimiter(settings.redis_url.get_secret_value())


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidIdGenerator)
    secrets = providers.Singleton(SystemSecretGenerator)
    signer = providers.Singleton(build_signer, settings)
    storage = providers.Singleton(build_storage, settings)
    payments = providers.Singleton(build_payments, settings)
    mailer = providers.Singleton(InMemoryMailer)
    messenger = providers.Singleton(InMemoryMessenger)
    media = providers.Singleton(InMemoryMediaStore)
    platform_fee = providers.Singleton(build_platform_fee, settings)
    rate_limiter = providers.Singleton(build_rate_limiter, settings, clock)

    services = providers.Singleton(
        Services,
        storage=storage,
        clock=clock,
        ids=ids,
        secrets=secrets,
        signer=signer,
        payments=payments,
        mailer=mailer,
        messenger=messenger,
        media=media,
        rate_limiter=rate_limiter,
        platform_fee=platform_fee,
        public_url=settings.provided.public_url,
    )


def build_container(settings: Settings | None = None) -> Container:
    return Container(settings=settings or Settings.load())


def deterministic_adapters(start: datetime | None = None) -> dict[str, object]:
    """In-memory storage, fixed clock, sequential ids, seeded secrets, a fixed signing key."""
    return {
        "storage": InMemoryStorage(),
        "clock": FixedClock(start),
        "ids": SequentialIdGenerator(),
        "secrets": SeededSecretGenerator(),
        "signer": Ed25519TicketSigner.from_seed(bytes(range(32))),
    }
