"""The inventory guard as the use cases apply it.

Every quota (and promo code) an operation makes less available is guarded with one atomic
conditional operation, in sorted id order, inside the unit of work. A failed guard raises
and the unit of work rolls back, so nothing is taken partially. Freeing needs no guard.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from tickex.domain.errors import PromoCodeExhausted, SoldOut
from tickex.domain.hold import Hold, HoldItem, HoldStatus
from tickex.domain.ticket import Ticket
from tickex.domain.ticket_type import TicketType
from tickex.ports.unit_of_work import UnitOfWork


def quota_demand(
    types: Mapping[str, TicketType], quantities: Mapping[str, int]
) -> tuple[HoldItem, ...]:
    """How many units each quota must give, summed over ticket types, sorted by quota id."""
    demand: dict[str, int] = {}
    for type_id, quantity in quantities.items():
        for quota_id in types[type_id].quota_ids:
            demand[quota_id] = demand.get(quota_id, 0) + quantity
    return tuple(HoldItem(q, n) for q, n in sorted(demand.items()) if n > 0)


def reserve(
    uow: UnitOfWork,
    items: Iterable[HoldItem],
    promo_code_id: str | None,
    types: Collection[TicketType] = (),
) -> None:
    """Hold every item, then use the promo code; raise (and roll back) on the first refusal.
    ``types``: the ticket types asked for, in the order's order (a refusal names one)."""
    for item in sorted(items, key=lambda i: i.quota_id):
        if not uow.quotas.reserve(item.quota_id, item.quantity):
            raise sold_out(types, item.quota_id)
    if promo_code_id is not None and not uow.promo_codes.try_use(promo_code_id):
        raise PromoCodeExhausted("this promo code has been used up")


def sold_out(types: Collection[TicketType], quota_id: str) -> SoldOut:
    """The refusal of quota ``quota_id``, naming the first ticket type asked for that draws
    on it (its name and id). How many are left is not said: the guard answers yes or no,
    and the event's public page says it (``left``) without a read here."""
    tt = next((tt for tt in types if quota_id in tt.quota_ids), None)
    if tt is None:  # no ticket type given that draws on it
        return SoldOut("not enough tickets left", quota_id=quota_id)
    return SoldOut(
        f"not enough {tt.name} tickets left for this order: ask for fewer, or choose "
        "another ticket type",
        quota_id=quota_id, ticket_type_id=tt.id, ticket_type_name=tt.name,
    )  # fmt: skip


def reacquire(uow: UnitOfWork, items: Iterable[HoldItem], promo_code_id: str | None) -> bool:
    """Take again what an ended hold had (a late payment): every quota and the promo-code
    use, or nothing -- compensating in the same unit of work when a later guard refuses."""
    taken: list[HoldItem] = []
    for item in sorted(items, key=lambda i: i.quota_id):
        if not uow.quotas.sell(item.quota_id, item.quantity):
            break
        taken.append(item)
    else:
        if promo_code_id is None or uow.promo_codes.try_use(promo_code_id):
            return True
    for done in taken:
        uow.quotas.unsell(done.quota_id, done.quantity)
    return False


def _end_hold(
    uow: UnitOfWork, hold: Hold, status: HoldStatus, settle: Callable[[str, int], object]
) -> bool:
    """End an active hold as ``status``, settling each of its items on its quota; False
    (and nothing settled) when it already ended."""
    if not uow.holds.end(hold.id, status):
        return False
    for item in hold.items:
        settle(item.quota_id, item.quantity)
    return True


def release_hold(uow: UnitOfWork, hold: Hold) -> bool:
    """End an active hold and give its inventory back; a no-op if it already ended."""
    if not _end_hold(uow, hold, HoldStatus.RELEASED, uow.quotas.release):
        return False
    if hold.promo_code_id is not None:
        uow.promo_codes.release_use(hold.promo_code_id)
    return True


def convert_hold(uow: UnitOfWork, hold: Hold) -> bool:
    """End an active hold by selling what it held; False if it already ended."""
    return _end_hold(uow, hold, HoldStatus.CONVERTED, uow.quotas.convert)


def revoke_tickets(uow: UnitOfWork, tickets: Sequence[Ticket]) -> None:
    """Revoke the tickets (refunded, or their payment lost to a dispute); their seats go
    back on sale."""
    for ticket in tickets:
        ticket.revoke()
        uow.tickets.save(ticket)
    types = {tid: uow.ticket_types.get(tid) for tid in {t.ticket_type_id for t in tickets}}
    return_to_sale(uow, [tt for t in tickets if (tt := types[t.ticket_type_id])])


def return_to_sale(uow: UnitOfWork, ticket_types: Iterable[TicketType]) -> None:
    """Refunded admissions free their capacity (one per ticket type given)."""
    for tt in ticket_types:
        for quota_id in tt.quota_ids:
            uow.quotas.unsell(quota_id, 1)
