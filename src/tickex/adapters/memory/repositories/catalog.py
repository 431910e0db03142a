"""Events, ticket types, quotas and promo codes in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tickex.adapters.memory.repositories.base import _Repo
from tickex.domain.errors import Conflict, ValidationFailed
from tickex.domain.event import Event, EventStatus
from tickex.domain.promo_code import PromoCode, normalize_code
from tickex.domain.quota import Quota
from tickex.domain.ticket_type import TicketType
from tickex.ports.repository import (
    EventRepository,
    PromoCodeRepository,
    QuotaRepository,
    TicketTypeRepository,
)


class _Events(_Repo, EventRepository):
    table = "events"

    def add(self, event: Event) -> None:
        if any(e.slug == event.slug for e in self._uow.scan(self.table)):
            raise Conflict(f"the slug {event.slug!r} is taken", field="slug")
        self._insert(event.id, event)

    def get(self, event_id: str) -> Event | None:
        return self._get(event_id)  # type: ignore[no-any-return]

    def get_by_slug(self, slug: str) -> Event | None:
        found = self._find(lambda e: e.slug == slug)
        return found[0] if found else None

    def save(self, event: Event) -> None:
        self._save_versioned(event)

    def list_by_organizer(self, organizer_id: str) -> list[Event]:
        found = self._find(lambda e: e.organizer_id == organizer_id)
        return sorted(found, key=lambda e: (e.starts_at, e.id))

    def list_published(self, now: datetime, limit: int, offset: int) -> list[Event]:
        found = self._find(lambda e: e.status is EventStatus.PUBLISHED and e.ends_at > now)
        return sorted(found, key=lambda e: (e.starts_at, e.id))[offset : offset + limit]


class _TicketTypes(_Repo, TicketTypeRepository):
    table = "ticket_types"

    def add(self, ticket_type: TicketType) -> None:
        self._insert(ticket_type.id, ticket_type)

    def get(self, ticket_type_id: str) -> TicketType | None:
        return self._get(ticket_type_id)  # type: ignore[no-any-return]

    def list_by_event(self, event_id: str) -> list[TicketType]:
        found = self._find(lambda t: t.event_id == event_id)
        return sorted(found, key=lambda t: (t.position, t.id))

    def save(self, ticket_type: TicketType) -> None:
        self._save_versioned(ticket_type)


class _Quotas(_Repo, QuotaRepository):
    table = "quotas"

    def add(self, quota: Quota) -> None:
        self._insert(quota.id, quota)

    def get(self, quota_id: str) -> Quota | None:
        return self._get(quota_id)  # type: ignore[no-any-return]

    def list_by_event(self, event_id: str) -> list[Quota]:
        return sorted(self._find(lambda q: q.event_id == event_id), key=lambda q: q.id)

    def _change(self, quota_id: str, sold: int = 0, held: int = 0, size: int = 0) -> None:
        """Add the deltas; ``Quota.__post_init__`` re-checks the inventory rule."""
        q = self._stored(quota_id)
        updated = replace(q, sold=q.sold + sold, held=q.held + held, size=q.size + size)
        self._uow.write(self.table, quota_id, updated)

    def _stored(self, quota_id: str) -> Quota:
        stored: Quota | None = self._uow.read(self.table, quota_id)
        if stored is None:
            raise ValidationFailed(f"unknown quota {quota_id}")
        return stored

    def rename(self, quota_id: str, name: str) -> None:
        self._uow.write(self.table, quota_id, replace(self._stored(quota_id), name=name))

    def reserve(self, quota_id: str, quantity: int) -> bool:
        q = self._stored(quota_id)
        if not q.can_take(quantity):
            return False
        self._change(quota_id, held=quantity)
        return True

    def sell(self, quota_id: str, quantity: int) -> bool:
        q = self._stored(quota_id)
        if not q.can_take(quantity):
            return False
        self._change(quota_id, sold=quantity)
        return True

    def convert(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, held=-quantity, sold=quantity)

    def release(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, held=-quantity)

    def unsell(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, sold=-quantity)

    def resize(self, quota_id: str, size: int) -> bool:
        q = self._stored(quota_id)
        if size < q.sold + q.held:
            return False
        self._change(quota_id, size=size - q.size)
        return True


class _PromoCodes(_Repo, PromoCodeRepository):
    table = "promo_codes"

    def add(self, promo: PromoCode) -> None:
        if self.get_by_code(promo.event_id, promo.code) is not None:
            raise Conflict(f"the code {promo.code!r} exists for this event", field="code")
        self._insert(promo.id, promo)

    def get(self, promo_id: str) -> PromoCode | None:
        return self._get(promo_id)  # type: ignore[no-any-return]

    def get_by_code(self, event_id: str, code: str) -> PromoCode | None:
        wanted = normalize_code(code)
        found = self._find(lambda p: p.event_id == event_id and p.code == wanted)
        return found[0] if found else None

    def list_by_event(self, event_id: str) -> list[PromoCode]:
        return sorted(self._find(lambda p: p.event_id == event_id), key=lambda p: p.code)

    def try_use(self, promo_id: str) -> bool:
        stored: PromoCode | None = self._uow.read(self.table, promo_id)
        if stored is None:
            raise ValidationFailed(f"unknown promo code {promo_id}")
        if stored.max_uses is not None and stored.uses >= stored.max_uses:
            return False
        self._uow.write(self.table, promo_id, replace(stored, uses=stored.uses + 1))
        return True

    def release_use(self, promo_id: str) -> None:
        stored: PromoCode | None = self._uow.read(self.table, promo_id)
        if stored is None:
            raise ValidationFailed(f"unknown promo code {promo_id}")
        if stored.uses < 1:
            raise ValidationFailed("promo code uses cannot go below zero")
        self._uow.write(self.table, promo_id, replace(stored, uses=stored.uses - 1))


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo]] = {
    "events": _Events,
    "ticket_types": _TicketTypes,
    "quotas": _Quotas,
    "promo_codes": _PromoCodes,
}
