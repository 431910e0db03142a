"""What the use cases run on: the core (units of work, clock, ids, secrets, signer) and
the ports of each area in small groups. Built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from tickex.domain.errors import ConcurrencyConflict, NotFound
from tickex.domain.event import Event
from tickex.domain.pricing import PlatformFee
from tickex.ports.clock import Clock, IdGenerator, SecretGenerator
from tickex.ports.identity import AccessTokens, OidcClient, PasswordHasher, SessionRevocations
from tickex.ports.links import Links
from tickex.ports.mail import Mailer, Messenger
from tickex.ports.media import MediaStore
from tickex.ports.payment import PaymentGateway
from tickex.ports.qr import QrCodeRenderer
from tickex.ports.rate_limit import RateLimiter
from tickex.ports.secret_box import SecretBox
from tickex.ports.signer import TicketSigner
from tickex.ports.unit_of_work import Storage, UnitOfWork

T = TypeVar("T")

MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class SalesPorts:
    """Selling: the payment provider and the platform's fee (place_order, process_outbox's
    refunds)."""

    payments: PaymentGateway
    platform_fee: PlatformFee = field(default_factory=PlatformFee)


@dataclass(frozen=True, slots=True)
class DeliveryPorts:
    """Reaching people: mail, text messages, the QR codes of the ticket email, and the
    pages the emails link (identity and organizer emails use them too)."""

    mailer: Mailer
    messenger: Messenger
    qr: QrCodeRenderer
    links: Links


@dataclass(frozen=True, slots=True)
class IdentityPorts:
    """Accounts and sessions: passwords, access tokens and the sessions revoked before
    their access tokens expire, the log-in rate limit, and Google sign-in (off while
    ``oidc`` is None)."""

    passwords: PasswordHasher
    access_tokens: AccessTokens
    rate_limiter: RateLimiter
    revocations: SessionRevocations
    refresh_token_ttl: timedelta = timedelta(days=30)
    organizer_self_serve: bool = False
    oidc: OidcClient | None = None
    secret_box: SecretBox | None = None  # seals the pending sign-in into the flow token
    google_redirect_uris: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogPorts:
    """Events: where their images are stored."""

    media: MediaStore


class Core(Protocol):
    """What a use case asks for when it needs no area's ports: units of work on
    ``storage``, the clock, ids and secrets, the ticket signer. ``Services`` is every view;
    a use case that needs an area's ports asks for that area's view (``NeedsSales``...),
    or for several (``class _Needs(NeedsDelivery, NeedsSales, Protocol)``), so that mypy
    holds it to what it declared."""

    @property
    def storage(self) -> Storage: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def ids(self) -> IdGenerator: ...
    @property
    def secrets(self) -> SecretGenerator: ...
    @property
    def signer(self) -> TicketSigner: ...
    def transaction(self, work: Callable[[UnitOfWork], T], attempts: int = ...) -> T: ...
    def read(self, query: Callable[[UnitOfWork], T]) -> T: ...


class NeedsSales(Core, Protocol):
    @property
    def sales(self) -> SalesPorts: ...


class NeedsDelivery(Core, Protocol):
    @property
    def delivery(self) -> DeliveryPorts: ...


class NeedsIdentity(Core, Protocol):
    @property
    def identity(self) -> IdentityPorts: ...


class NeedsCatalog(Core, Protocol):
    @property
    def catalog(self) -> CatalogPorts: ...


class NeedsIdentityDelivery(NeedsIdentity, NeedsDelivery, Protocol):
    """Identity use cases that email the user (verification, reset, sign-up)."""


@dataclass(frozen=True, slots=True)
class Services:
    """The core every use case runs on -- units of work on ``storage``, the clock, ids and
    secrets, the ticket signer (sales, the door and delivery all read signed tickets) --
    and each area's ports in a group of their own (``services.identity.passwords``,
    ``services.delivery.mailer``): a use case names the area whose ports it uses, and an
    area's ports are read in one place. The composition root builds every group
    (``bootstrap.Container``); adapters are still overridden one by one."""

    storage: Storage
    clock: Clock
    ids: IdGenerator
    secrets: SecretGenerator
    signer: TicketSigner
    sales: SalesPorts
    delivery: DeliveryPorts
    identity: IdentityPorts
    catalog: CatalogPorts

    def with_ports(self, **ports: Any) -> Services:
        """A copy with the named ports replaced, whichever group holds them
        (``services.with_ports(mailer=m, organizer_self_serve=True)``)."""
        core: dict[str, Any] = {}
        groups: dict[str, dict[str, Any]] = {}
        for name, port in ports.items():
            group = next((g for g in _GROUPS if name in _names(getattr(self, g))), None)
            if group is not None:
                groups.setdefault(group, {})[name] = port
            elif name in _names(self) and name not in _GROUPS:
                core[name] = port
            else:
                raise TypeError(f"unknown port {name!r}")
        changed = {g: replace(getattr(self, g), **changes) for g, changes in groups.items()}
        return replace(self, **core, **changed)

    def transaction(self, work: Callable[[UnitOfWork], T], attempts: int = MAX_ATTEMPTS) -> T:
        """Run ``work`` in a new unit of work, committing when it returns; retry the whole
        unit when a concurrent change was detected (optimistic concurrency)."""
        for attempt in range(1, attempts + 1):
            try:
                with self.storage.unit_of_work() as uow:
                    result = work(uow)
                    uow.commit()
                    return result
            except ConcurrencyConflict:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, query: Callable[[UnitOfWork], T]) -> T:
        """Run ``query`` in a read-only unit of work: a consistent snapshot that takes no
        write locks (SQLite readers then never wait for the single writer)."""
        with self.storage.unit_of_work(read_only=True) as uow:
            return query(uow)


_GROUPS = ("sales", "delivery", "identity", "catalog")


def _names(instance: object) -> set[str]:
    return {f.name for f in fields(instance)}  # type: ignore[arg-type]


def owned_event(uow: UnitOfWork, event_id: str, organizer_id: str) -> Event:
    """The event if ``organizer_id`` owns it; a foreign event is indistinguishable from a
    missing one."""
    event = uow.events.get(event_id)
    if event is None or event.organizer_id != organizer_id:
        raise NotFound("event not found", event_id=event_id)
    return event
