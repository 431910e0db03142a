"""Catalog repositories: events, ticket types, and the inventory guards of quotas and
promo codes.

Every counter change is **one conditional statement** (``UPDATE quotas SET held = held +
:n WHERE id = :id AND sold + held + :n <= size``): the database evaluates the condition and
the write atomically under its row lock, and the row count says whether the guard held.
Only when a guard refuses does the repository look again, to tell "full" (False) from
"unknown id" (``ValidationFailed``, as the in-memory reference does).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Executable, Integer, bindparam, literal, or_, update

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping import catalog as mapping
from tickex.adapters.sql.repositories.base import Gettable, Unique, Versioned
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


class Events(Versioned[Event], EventRepository):
    table = s.events
    load = mapping.event_from_row
    dump = mapping.event_row
    unique = (Unique(("slug",), "the slug {slug!r} is taken", field="slug"),)

    def get_by_slug(self, slug: str) -> Event | None:
        return self._first(self.table.c.slug == slug)

    def list_by_organizer(self, organizer_id: str) -> list[Event]:
        c = self.table.c
        return self._list(c.organizer_id == organizer_id, order_by=(c.starts_at, c.id))

    def list_published(self, now: datetime, limit: int, offset: int) -> list[Event]:
        c = self.table.c
        return self._list(
            c.status == EventStatus.PUBLISHED.value,
            c.ends_at > now,
            order_by=(c.starts_at, c.id),
            limit=limit,
            offset=offset,
        )


class TicketTypes(Versioned[TicketType], TicketTypeRepository):
    table = s.ticket_types
    load = mapping.ticket_type_from_row
    dump = mapping.ticket_type_row
    conflict = "ticket type {id} already exists"

    def list_by_event(self, event_id: str) -> list[TicketType]:
        c = self.table.c
        return self._list(c.event_id == event_id, order_by=(c.position, c.id))


@cache
def _take_statement(column: str) -> Executable:
    """``UPDATE quotas SET <column> = <column> + :b_n WHERE id = :b_id AND sold + held +
    :b_n <= size`` (built once: the guard runs on every order)."""
    c, n = s.quotas.c, bindparam("b_n", type_=Integer)
    return (
        update(s.quotas)
        .where(c.id == bindparam("b_id"), c.sold + c.held + n <= c.size)
        .values({column: c[column] + n})
    )


@cache
def _change_statement() -> Executable:
    c = s.quotas.c
    ds, dh = bindparam("b_sold", type_=Integer), bindparam("b_held", type_=Integer)
    return (
        update(s.quotas)
        .where(
            c.id == bindparam("b_id"),
            c.sold + ds >= 0,
            c.held + dh >= 0,
            c.sold + ds + c.held + dh <= c.size,
        )
        .values(sold=c.sold + ds, held=c.held + dh)
    )


class Quotas(Gettable[Quota], QuotaRepository):
    """The inventory guard: every counter change is one conditional statement."""

    table = s.quotas
    load = mapping.quota_from_row
    dump = mapping.quota_row
    conflict = "quota {id} already exists"

    def list_by_event(self, event_id: str) -> list[Quota]:
        c = self.table.c
        return self._list(c.event_id == event_id, order_by=(c.id,))

    def _exists(self, quota_id: str) -> bool:
        """Asked only after a guard refused, to tell "full" from "unknown quota"."""
        return self._row_by("id", quota_id) is not None

    def _refused(self, quota_id: str) -> bool:
        if not self._exists(quota_id):
            raise ValidationFailed(f"unknown quota {quota_id}")
        return False

    def _changed(self, changed: bool, quota_id: str) -> None:
        if not changed:
            self._refused(quota_id)
            raise ValidationFailed("quota counters cannot go below zero or above the size")

    def rename(self, quota_id: str, name: str) -> None:
        stmt = update(self.table).where(self.table.c.id == quota_id).values(name=name)
        if self._uow.write(stmt).rowcount != 1:
            raise ValidationFailed(f"unknown quota {quota_id}")

    def _take(self, quota_id: str, quantity: int, column: str) -> bool:
        """``column += quantity WHERE sold + held + quantity <= size``: one statement."""
        if quantity < 0:
            return self._refused(quota_id)
        stmt = _take_statement(column)
        return self._uow.write(stmt, {"b_id": quota_id, "b_n": quantity}).rowcount == 1 or (
            self._refused(quota_id)
        )

    def _change(self, quota_id: str, sold: int = 0, held: int = 0) -> None:
        """Add the deltas if the result keeps ``sold, held >= 0`` and ``sold + held <= size``
        (what ``Quota.__post_init__`` checks in the reference); raise otherwise."""
        params = {"b_id": quota_id, "b_sold": sold, "b_held": held}
        self._changed(self._uow.write(_change_statement(), params).rowcount == 1, quota_id)

    def reserve(self, quota_id: str, quantity: int) -> bool:
        return self._take(quota_id, quantity, "held")

    def sell(self, quota_id: str, quantity: int) -> bool:
        return self._take(quota_id, quantity, "sold")

    def convert(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, sold=quantity, held=-quantity)

    def release(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, held=-quantity)

    def unsell(self, quota_id: str, quantity: int) -> None:
        self._change(quota_id, sold=-quantity)

    def resize(self, quota_id: str, size: int) -> bool:
        c = self.table.c
        n = literal(size)
        stmt = update(self.table).where(c.id == quota_id, c.sold + c.held <= n).values(size=n)
        return self._uow.write(stmt).rowcount == 1 or self._refused(quota_id)


class PromoCodes(Gettable[PromoCode], PromoCodeRepository):
    table = s.promo_codes
    load = mapping.promo_code_from_row
    dump = mapping.promo_code_row
    unique = (Unique(("event_id", "code"), "the code {code!r} exists for this event", "code"),)

    def get_by_code(self, event_id: str, code: str) -> PromoCode | None:
        c = self.table.c
        return self._first(c.event_id == event_id, c.code == normalize_code(code))

    def list_by_event(self, event_id: str) -> list[PromoCode]:
        c = self.table.c
        return self._list(c.event_id == event_id, order_by=(c.code,))

    def _refused(self, promo_id: str) -> bool:
        if self._row(self.table.c.id == promo_id) is None:
            raise ValidationFailed(f"unknown promo code {promo_id}")
        return False

    def try_use(self, promo_id: str) -> bool:
        """``uses += 1 WHERE max_uses IS NULL OR uses < max_uses``: one statement."""
        c = self.table.c
        stmt = (
            update(self.table)
            .where(c.id == promo_id, or_(c.max_uses.is_(None), c.uses < c.max_uses))
            .values(uses=c.uses + 1)
        )
        return self._uow.write(stmt).rowcount == 1 or self._refused(promo_id)

    def _released(self, released: bool, promo_id: str) -> None:
        if not released:
            self._refused(promo_id)
            raise ValidationFailed("promo code uses cannot go below zero")

    def release_use(self, promo_id: str) -> None:
        c = self.table.c
        stmt = update(self.table).where(c.id == promo_id, c.uses >= 1).values(uses=c.uses - 1)
        self._released(self._uow.write(stmt).rowcount == 1, promo_id)
