"""Events, ticket types, quotas and promo codes in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from tickex.adapters.memory.repositories.base import Unique, _Gettable, _Repo, _Versioned
from tickex.domain.errors import ValidationFailed
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


def _by_start(e: Event) -> tuple[datetime, str]:
    return (e.starts_at, e.id)


class _Events(_Versioned[Event], EventRepository):
    table = "events"
    unique = (Unique(("slug",), "the slug {slug!r} is taken", field="slug"),)

    def get_by_slug(self, slug: str) -> Event | None:
        return self._get_by("slug", slug)

    def list_by_organizer(self, organizer_id: str) -> list[Event]:
        return self._sorted(lambda e: e.organizer_id == organizer_id, _by_start)

    def list_published(self, now: datetime, limit: int, offset: int) -> list[Event]:
        found = self._sorted(
            lambda e: e.status is EventStatus.PUBLISHED and e.ends_at > now, _by_start
        )
        return found[offset : offset + limit]


class _TicketTypes(_Versioned[TicketType], TicketTypeRepository):
    table = "ticket_types"

    def list_by_event(self, event_id: str) -> list[TicketType]:
        return self._sorted(lambda t: t.event_id == event_id, lambda t: (t.position, t.id))


class _Quotas(_Gettable[Quota], QuotaRepository):
    table = "quotas"

    def list_by_event(self, event_id: str) -> list[Quota]:
        return self._sorted(lambda q: q.event_id == event_id, lambda q: q.id)

    def _change(self, quota_id: str, sold: int = 0, held: int = 0, size: int = 0) -> None:
        """Add the deltas; ``Quota.__post_init__`` re-checks the inventory rule."""
        q = self._known(quota_id)
        updated = replace(q, sold=q.sold + sold, held=q.held + held, size=q.size + size)
        self._uow.write(self.table, quota_id, updated)

    def _known(self, quota_id: str) -> Quota:
        stored = self._stored(quota_id)
        if stored is None:
            raise ValidationFailed(f"unknown quota {quota_id}")
        return stored

    def rename(self, quota_id: str, name: str) -> None:
        self._uow.write(self.table, quota_id, replace(self._known(quota_id), name=name))

    def _take(self, quota_id: str, quantity: int, counter: str) -> bool:
        if not self._known(quota_id).can_take(quantity):
            return False
        self._change(quota_id, **{counter: quantity})
        return True

    def reserve(self, quota_id: str, quantity: int) -> bool:
        return self._take(quota_id, quantity, "held")

    def sell(self, quota_id: str, quantity: int) -> bool:
        return self._take(quota_id, quantity, "sold")

    def convert(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, held=-quantity, sold=quantity)

    def release(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, held=-quantity)

    def unsell(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, sold=-quantity)

    def resize(self, quota_id: str, size: int) -> bool:
        q = self._known(quota_id)
        if size < q.sold + q.held:
            return False
        self._change(quota_id, size=size - q.size)
        return True


class _PromoCodes(_Gettable[PromoCode], PromoCodeRepository):
    table = "promo_codes"
    # ``PromoCode`` normalizes its code when built, so equal values are the clash.
    unique = (Unique(("event_id", "code"), "the code {code!r} exists for this event", "code"),)

    def get_by_code(self, event_id: str, code: str) -> PromoCode | None:
        wanted = normalize_code(code)
        return self._first(lambda p: p.event_id == event_id and p.code == wanted)

    def list_by_event(self, event_id: str) -> list[PromoCode]:
        return self._sorted(lambda p: p.event_id == event_id, lambda p: p.code)

    def _known(self, promo_id: str) -> PromoCode:
        stored = self._stored(promo_id)
        if stored is None:
            raise ValidationFailed(f"unknown promo code {promo_id}")
        return stored

    def try_use(self, promo_id: str) -> bool:
        stored = self._known(promo_id)
        if stored.max_uses is not None and stored.uses >= stored.max_uses:
            return False
        self._uow.write(self.table, promo_id, replace(stored, uses=stored.uses + 1))
        return True

    def release_use(self, promo_id: str) -> None:
        stored = self._known(promo_id)
        if stored.uses < 1:
            raise ValidationFailed("promo code uses cannot go below zero")
        self._uow.write(self.table, promo_id, replace(stored, uses=stored.uses - 1))


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "events": _Events,
    "ticket_types": _TicketTypes,
    "quotas": _Quotas,
    "promo_codes": _PromoCodes,
}
