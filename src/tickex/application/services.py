"""What every use case may use: the ports, bundled. Built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from tickex.domain.errors import ConcurrencyConflict, NotFound
from tickex.domain.event import Event
from tickex.domain.pricing import PlatformFee
from tickex.ports.clock import Clock, IdGenerator, SecretGenerator
from tickex.ports.identity import AccessTokens, OidcClient, PasswordHasher
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
class Services:
    storage: Storage
    clock: Clock
    ids: IdGenerator
    secrets: SecretGenerator
    signer: TicketSigner
    payments: PaymentGateway
    mailer: Mailer
    messenger: Messenger
    media: MediaStore
    rate_limiter: RateLimiter
    passwords: PasswordHasher
    access_tokens: AccessTokens
    qr: QrCodeRenderer  # the QR codes of the ticket email (process_outbox)
    links: Links  # the pages the emails point at
    platform_fee: PlatformFee = field(default_factory=PlatformFee)
    refresh_token_ttl: timedelta = timedelta(days=30)
    organizer_self_serve: bool = False
    # Google sign-in (application/identity/google_sign_in.py): off while ``oidc`` is None
    oidc: OidcClient | None = None
    secret_box: SecretBox | None = None  # seals the pending sign-in into the flow token
    google_redirect_uris: tuple[str, ...] = ()

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


def owned_event(uow: UnitOfWork, event_id: str, organizer_id: str) -> Event:
    """The event if ``organizer_id`` owns it; a foreign event is indistinguishable from a
    missing one."""
    event = uow.events.get(event_id)
    if event is None or event.organizer_id != organizer_id:
        raise NotFound("event not found", event_id=event_id)
    return event
