"""Events, ticket types, quotas (the inventory guards) and promo codes on MongoDB.

Quotas and promo codes are the counter documents every buyer of an on-sale writes: their
repositories are ``hot`` (ADR 0018), outside the unit's transaction in every mode, each
guard one conditional single-document update whose inverse is journalled, each free
checked when called and applied once the unit has committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import catalog as m
from tickex.adapters.mongo.mapping.common import Document, count, split_time, text, time_sort
from tickex.adapters.mongo.repositories.base import Gettable, Taken, Versioned, _Repo
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


def _fits(quantity: int) -> Document:
    """``sold + held + quantity <= size``, evaluated by the server on the stored document.
    ``quantity`` is a validated int: no caller value is ever read as a field path."""
    return {"$expr": {"$lte": [{"$add": ["$sold", "$held", quantity]}, "$size"]}}


_UNDER_CAP: Document = {"$or": [{"max_uses": None}, {"$expr": {"$lt": ["$uses", "$max_uses"]}}]}
_BY_START = [*time_sort("starts_at"), ("_id", 1)]


class MongoEventRepository(Versioned[Event], EventRepository):
    name = Collections.EVENTS
    kind = "event"
    spec = m.EVENT
    taken = Taken("the slug {slug!r} is taken", field="slug")

    def get_by_slug(self, slug: str) -> Event | None:
        return self._by("slug", slug, "slug")

    def list_by_organizer(self, organizer_id: str) -> list[Event]:
        return self._list_by("organizer_id", organizer_id, _BY_START)

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
        return self._page(query, _BY_START, limit, offset)


class MongoTicketTypeRepository(Versioned[TicketType], TicketTypeRepository):
    name = Collections.TICKET_TYPES
    kind = "ticket type"
    spec = m.TICKET_TYPE

    def list_by_event(self, event_id: str) -> list[TicketType]:
        return self._list_by("event_id", event_id, [("position", 1), ("_id", 1)])


class MongoQuotaRepository(Gettable[Quota], QuotaRepository):
    name = Collections.QUOTAS
    kind = "quota"
    spec = m.QUOTA
    hot = True

    def list_by_event(self, event_id: str) -> list[Quota]:
        return self._list_by("event_id", event_id, [("_id", 1)])

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

        Where writes are compensated (outside the transaction: always, for this hot
        collection) a decrement is checked now (as the reference does) and applied once
        the unit commits: undoing a free would take capacity back, which can fail once
        somebody bought the freed seat. ``convert`` changes no availability either way, so
        it applies at once."""
        key = text(quota_id, "quota_id")
        n = count(quantity, "quantity")
        inc = {field: d * n for field, d in deltas.items()}
        if not self._compensated or sum(inc.values()) == 0:
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


class MongoPromoCodeRepository(Gettable[PromoCode], PromoCodeRepository):
    name = Collections.PROMO_CODES
    kind = "promo code"
    spec = m.PROMO_CODE
    id_name = "promo_id"
    taken = Taken("the code {code!r} exists for this event", field="code")
    hot = True

    def get_by_code(self, event_id: str, code: str) -> PromoCode | None:
        wanted = normalize_code(text(code, "code"))
        return self._first({"event_id": text(event_id, "event_id"), "code": wanted})

    def list_by_event(self, event_id: str) -> list[PromoCode]:
        return self._list_by("event_id", event_id, [("code", 1), ("_id", 1)])

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
        """Checked now, applied once the unit commits (see ``_free`` on quotas)."""
        key = text(promo_id, "promo_id")
        if not self._compensated:
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
