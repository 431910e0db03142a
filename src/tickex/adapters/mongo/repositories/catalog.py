"""Events, ticket types, quotas (the inventory guards) and promo codes on MongoDB."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import catalog as m
from tickex.adapters.mongo.mapping.common import Document, count, split_time, text, time_sort
from tickex.adapters.mongo.repositories.base import Session, _Repo
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


def _fits(quantity: int) -> Document:
    """``sold + held + quantity <= size``, evaluated by the server on the stored document.
    ``quantity`` is a validated int: no caller value is ever read as a field path."""
    return {"$expr": {"$lte": [{"$add": ["$sold", "$held", quantity]}, "$size"]}}


_UNDER_CAP: Document = {"$or": [{"max_uses": None}, {"$expr": {"$lt": ["$uses", "$max_uses"]}}]}


class MongoEventRepository(_Repo[Event], EventRepository):
    name = Collections.EVENTS
    kind = "event"
    _load = staticmethod(m.event)

    def add(self, event: Event) -> None:
        self._add(m.event_doc(event), Conflict(f"the slug {event.slug!r} is taken", field="slug"))

    def get(self, event_id: str) -> Event | None:
        return self._by("_id", event_id, "event_id")

    def get_by_slug(self, slug: str) -> Event | None:
        return self._by("slug", slug, "slug")

    def save(self, event: Event) -> None:
        self._save_versioned(event, m.event_doc(event))

    def list_by_organizer(self, organizer_id: str) -> list[Event]:
        return self._list(
            {"organizer_id": text(organizer_id, "organizer_id")},
            [*time_sort("starts_at"), ("_id", 1)],
        )

    def list_published(self, now: datetime, limit: int, offset: int) -> list[Event]:
        # exact ``ends_at > now`` over the millisecond date and its microsecond remainder
        cutoff, micros = split_time(now, "now")
        query: Document = {
            "status": EventStatus.PUBLISHED.value,
            "$or": [
                {"ends_at": {"$gt": cutoff}},
                {"ends_at": cutoff, "ends_at_us": {"$gt": micros}},
            ],
        }
        sort = [*time_sort("starts_at"), ("_id", 1)]

        def run(s: Session) -> list[Document]:
            return list(self._c.find(query, sort=sort, skip=offset, limit=limit, session=s))

        return [m.event(d) for d in self._w.read(run)]


class MongoTicketTypeRepository(_Repo[TicketType], TicketTypeRepository):
    name = Collections.TICKET_TYPES
    kind = "ticket type"
    _load = staticmethod(m.ticket_type)

    def add(self, ticket_type: TicketType) -> None:
        self._add(m.ticket_type_doc(ticket_type))

    def get(self, ticket_type_id: str) -> TicketType | None:
        return self._by("_id", ticket_type_id, "ticket_type_id")

    def list_by_event(self, event_id: str) -> list[TicketType]:
        return self._list({"event_id": text(event_id, "event_id")}, [("position", 1), ("_id", 1)])

    def save(self, ticket_type: TicketType) -> None:
        self._save_versioned(ticket_type, m.ticket_type_doc(ticket_type))


class MongoQuotaRepository(_Repo[Quota], QuotaRepository):
    name = Collections.QUOTAS
    kind = "quota"

    def add(self, quota: Quota) -> None:
        self._add(m.quota_doc(quota))

    def _load(self, doc: Mapping[str, Any]) -> Quota:
        return m.quota(self._w.overlay(self.name, dict(doc)))

    def get(self, quota_id: str) -> Quota | None:
        return self._by("_id", quota_id, "quota_id")

    def list_by_event(self, event_id: str) -> list[Quota]:
        return self._list({"event_id": text(event_id, "event_id")}, [("_id", 1)])

    def _require(self, key: str) -> None:
        if not self._exists(key):
            raise ValidationFailed(f"unknown quota {key}")

    def rename(self, quota_id: str, name: str) -> None:
        key, new = text(quota_id, "quota_id"), text(name, "name")
        before = self._update({"_id": key}, {"$set": {"name": new}})
        if before is None:
            raise ValidationFailed(f"unknown quota {key}")
        self._undo(
            f"rename of quota {key!r}",
            {"_id": key, "name": new},
            {"$set": {"name": before["name"]}},
        )

    def _take(self, quota_id: str, quantity: int, counter: str) -> bool:
        """The inventory guard: one conditional ``$inc``. Its inverse frees what it took,
        which can never break the inventory rule."""
        key = text(quota_id, "quota_id")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationFailed("quantity must be an integer", field="quantity")
        if quantity < 0:  # as Quota.can_take: a negative quantity is never taken
            self._require(key)
            return False
        count(quantity, "quantity")  # fits int64
        if self._update({"_id": key, **_fits(quantity)}, {"$inc": {counter: quantity}}) is None:
            self._require(key)
            return False
        self._undo(
            f"{counter} += {quantity} on quota {key!r}",
            {"_id": key, counter: {"$gte": quantity}},
            {"$inc": {counter: -quantity}},
        )
        return True

    def _free(self, quota_id: str, quantity: int, deltas: dict[str, int]) -> None:
        """Decrement (for ``convert``: move) counters, never below zero.

        In compensating mode a decrement is checked now (as the reference does) and
        applied at commit: undoing a free would take capacity back, which can fail once
        somebody bought the freed seat. ``convert`` changes no availability either way, so
        it applies at once."""
        key = text(quota_id, "quota_id")
        n = count(quantity, "quantity")
        inc = {field: d * n for field, d in deltas.items()}
        if self._w.transactional or sum(inc.values()) == 0:
            self._apply_free(key, inc)
            return
        doc = self._one({"_id": key})
        if doc is None:
            raise ValidationFailed(f"unknown quota {key}")
        seen = self._w.overlay(self.name, doc)
        if any(seen[field] + v < 0 for field, v in inc.items()):
            raise ValidationFailed("quota counters cannot be negative")
        self._w.defer(self.name, key, inc, lambda: self._apply_free(key, inc))

    def _apply_free(self, key: str, inc: dict[str, int]) -> None:
        floors = {field: {"$gte": -v} for field, v in inc.items() if v < 0}
        if self._update({"_id": key, **floors}, {"$inc": inc}) is None:
            self._require(key)
            raise ValidationFailed("quota counters cannot be negative")
        undo_query: Document = {"_id": key}
        undo_query |= {field: {"$gte": v} for field, v in inc.items() if v > 0}
        freed = -sum(inc.values())  # capacity made available; undoing takes it back
        if freed > 0:
            undo_query |= _fits(freed)
        self._undo(f"{inc} on quota {key!r}", undo_query, {"$inc": {f: -v for f, v in inc.items()}})

    def reserve(self, quota_id: str, quantity: int) -> bool:
        return self._take(quota_id, quantity, "held")

    def sell(self, quota_id: str, quantity: int) -> bool:
        return self._take(quota_id, quantity, "sold")

    def convert(self, quota_id: str, quantity: int) -> None:
        self._free(quota_id, quantity, {"held": -1, "sold": 1})

    def release(self, quota_id: str, quantity: int) -> None:
        self._free(quota_id, quantity, {"held": -1})

    def unsell(self, quota_id: str, quantity: int) -> None:
        self._free(quota_id, quantity, {"sold": -1})

    def resize(self, quota_id: str, size: int) -> bool:
        key = text(quota_id, "quota_id")
        if isinstance(size, bool) or not isinstance(size, int):
            raise ValidationFailed("size must be an integer", field="size")
        if size < 0:  # below any sold + held, as the reference answers
            self._require(key)
            return False
        before = self._update(
            {"_id": key, "$expr": {"$lte": [{"$add": ["$sold", "$held"]}, size]}},
            {"$set": {"size": size}},
        )
        if before is None:
            self._require(key)
            return False
        old = int(before["size"])
        self._undo(
            f"resize of quota {key!r} from {old} to {size}",
            {"_id": key, "size": size, "$expr": {"$lte": [{"$add": ["$sold", "$held"]}, old]}},
            {"$set": {"size": old}},
        )
        return True


class MongoPromoCodeRepository(_Repo[PromoCode], PromoCodeRepository):
    name = Collections.PROMO_CODES
    kind = "promo code"

    def add(self, promo: PromoCode) -> None:
        self._add(
            m.promo_code_doc(promo),
            Conflict(f"the code {promo.code!r} exists for this event", field="code"),
        )

    def _load(self, doc: Mapping[str, Any]) -> PromoCode:
        return m.promo_code(self._w.overlay(self.name, dict(doc)))

    def get(self, promo_id: str) -> PromoCode | None:
        return self._by("_id", promo_id, "promo_id")

    def get_by_code(self, event_id: str, code: str) -> PromoCode | None:
        wanted = normalize_code(text(code, "code"))
        return self._first({"event_id": text(event_id, "event_id"), "code": wanted})

    def list_by_event(self, event_id: str) -> list[PromoCode]:
        return self._list({"event_id": text(event_id, "event_id")}, [("code", 1), ("_id", 1)])

    def _require(self, key: str) -> None:
        if not self._exists(key):
            raise ValidationFailed(f"unknown promo code {key}")

    def try_use(self, promo_id: str) -> bool:
        key = text(promo_id, "promo_id")
        if self._update({"_id": key, **_UNDER_CAP}, {"$inc": {"uses": 1}}) is None:
            self._require(key)
            return False
        self._undo(
            f"use of promo code {key!r}",
            {"_id": key, "uses": {"$gte": 1}},
            {"$inc": {"uses": -1}},
        )
        return True

    def release_use(self, promo_id: str) -> None:
        """Checked now, applied at commit in compensating mode (see ``_free`` on quotas)."""
        key = text(promo_id, "promo_id")
        if self._w.transactional:
            self._apply_release(key)
            return
        doc = self._one({"_id": key})
        if doc is None:
            raise ValidationFailed(f"unknown promo code {key}")
        if self._w.overlay(self.name, doc)["uses"] < 1:
            raise ValidationFailed("promo code uses cannot go below zero")
        self._w.defer(self.name, key, {"uses": -1}, lambda: self._apply_release(key))

    def _apply_release(self, key: str) -> None:
        if self._update({"_id": key, "uses": {"$gte": 1}}, {"$inc": {"uses": -1}}) is None:
            self._require(key)
            raise ValidationFailed("promo code uses cannot go below zero")
        self._undo(
            f"release of a use of promo code {key!r}",
            {"_id": key, **_UNDER_CAP},
            {"$inc": {"uses": 1}},
        )


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "events": MongoEventRepository,
    "ticket_types": MongoTicketTypeRepository,
    "quotas": MongoQuotaRepository,
    "promo_codes": MongoPromoCodeRepository,
}
