"""What the purchase reads, one query a step: ``placeOrder`` the event (by id or by slug)
joined with its ticket types and its organizer (``UnitOfWork.event_for_sale``), and
confirming the payment the order (by id or by payment reference) joined with its hold and
its event (``UnitOfWork.order_for_payment``); their references read them one by one. The
statements are built once; each table's columns come back under a prefix of their own
and are handed to that table's mapping as its row."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Executable, Table, bindparam, select

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.catalog import event_from_row, ticket_type_from_row
from tickex.adapters.sql.mapping.common import AnyRow
from tickex.adapters.sql.mapping.organizers import organizer_from_row
from tickex.adapters.sql.mapping.sales import hold_from_row, order_from_row
from tickex.ports.unit_of_work import EventForSale, OrderForPayment

if TYPE_CHECKING:
    from tickex.adapters.sql.unit_of_work import SqlUnitOfWork

_SALE: tuple[tuple[str, Table], ...] = (
    ("e_", s.events), ("t_", s.ticket_types), ("o_", s.organizers),
)  # fmt: skip
_PAYMENT: tuple[tuple[str, Table], ...] = (("r_", s.orders), ("h_", s.holds), ("e_", s.events))


class _Columns:
    """One table's columns of a joined row, read as the mappings read a row of it (by
    attribute, or all at once with ``_asdict``)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def _asdict(self) -> dict[str, Any]:
        return dict(self._values)


def _labelled(tables: tuple[tuple[str, Table], ...]) -> list[Any]:
    return [c.label(prefix + c.name) for prefix, table in tables for c in table.c]


@cache
def _sale_statement(by: str) -> Executable:
    e, t, o = s.events, s.ticket_types, s.organizers
    columns = _labelled(_SALE)
    joined = e.outerjoin(t, t.c.event_id == e.c.id).outerjoin(o, o.c.id == e.c.organizer_id)
    return (
        select(*columns)
        .select_from(joined)
        .where(e.c[by] == bindparam("b_value"))
        .order_by(t.c.position, t.c.id)
    )


def _part(row: Mapping[Any, Any], prefix: str, table: Table) -> AnyRow:
    return cast(AnyRow, _Columns({c.name: row[prefix + c.name] for c in table.c}))


def event_for_sale(
    uow: SqlUnitOfWork, event_id: str | None, slug: str | None
) -> EventForSale | None:
    if event_id is None and slug is None:
        return None
    by, value = ("id", event_id) if event_id is not None else ("slug", slug)
    rows = [r._mapping for r in uow.read(_sale_statement(by), {"b_value": value})]
    if not rows:
        return None
    first = rows[0]
    event = event_from_row(_part(first, "e_", s.events))
    types = tuple(ticket_type_from_row(_part(r, "t_", s.ticket_types))
                  for r in rows if r["t_id"] is not None)  # fmt: skip
    organizer = None
    if first["o_id"] is not None:
        organizer = organizer_from_row(_part(first, "o_", s.organizers))
    return EventForSale(event, types, organizer)


@cache
def _payment_statement(by: str) -> Executable:
    r, h, e = s.orders, s.holds, s.events
    joined = r.outerjoin(h, h.c.id == r.c.hold_id).outerjoin(e, e.c.id == r.c.event_id)
    where = r.c[by] == bindparam("b_value")
    # by reference: the first order with it, as ``get_by_payment_reference`` reads it
    return select(*_labelled(_PAYMENT)).select_from(joined).where(where).order_by(
        r.c.created_at, r.c.id).limit(1)  # fmt: skip


def order_for_payment(
    uow: SqlUnitOfWork, order_id: str | None, reference: str | None
) -> OrderForPayment | None:
    if order_id is None and reference is None:
        return None
    by, value = ("id", order_id) if order_id is not None else ("payment_reference", reference)
    rows = uow.read(_payment_statement(by), {"b_value": value})
    if not rows:
        return None
    row = rows[0]._mapping
    hold = hold_from_row(_part(row, "h_", s.holds)) if row["h_id"] is not None else None
    event = event_from_row(_part(row, "e_", s.events)) if row["e_id"] is not None else None
    return OrderForPayment(order_from_row(_part(row, "r_", s.orders)), hold, event)
