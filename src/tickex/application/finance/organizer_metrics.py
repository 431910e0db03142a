"""organizer_metrics: live sales from the quota counters and money from the ledger."""

from __future__ import annotations

from dataclasses import dataclass

from tickex.application.command import Command, Id
from tickex.application.finance.balances import MoneyMetrics, payable_accounts
from tickex.application.services import Core
from tickex.domain.errors import NotFound
from tickex.domain.event import EventStatus
from tickex.domain.money import Money
from tickex.domain.quota import AvailabilityState, combined_availability
from tickex.domain.ticket import TicketStatus
from tickex.ports.unit_of_work import UnitOfWork


class GetOrganizerMetrics(Command):
    organizer_id: Id


@dataclass(frozen=True, slots=True)
class TicketTypeMetrics:
    ticket_type_id: str
    name: str
    price: Money
    size: int
    sold: int
    held: int
    available: int
    availability: AvailabilityState


@dataclass(frozen=True, slots=True)
class EventMetrics:
    event_id: str
    title: str
    status: EventStatus
    ticket_types: tuple[TicketTypeMetrics, ...]
    tickets_valid: int
    tickets_checked_in: int
    tickets_revoked: int


@dataclass(frozen=True, slots=True)
class OrganizerMetrics:
    organizer_id: str
    events: tuple[EventMetrics, ...]
    money: tuple[MoneyMetrics, ...]


def organizer_metrics(services: Core, command: GetOrganizerMetrics) -> OrganizerMetrics:
    def work(uow: UnitOfWork) -> OrganizerMetrics:
        if uow.organizers.get(command.organizer_id) is None:
            raise NotFound("organizer not found")
        events = []
        for event in uow.events.list_by_organizer(command.organizer_id):
            quotas = {q.id: q for q in uow.quotas.list_by_event(event.id)}
            types = []
            for tt in uow.ticket_types.list_by_event(event.id):
                own = quotas[tt.quota_id]
                avail = combined_availability(quotas[q] for q in tt.quota_ids)
                types.append(TicketTypeMetrics(tt.id, tt.name, tt.price, own.size, own.sold,
                                               own.held, avail.left, avail.state))  # fmt: skip
            counts = uow.tickets.count_by_status(event.id)
            events.append(
                EventMetrics(
                    event.id, event.title, event.status, tuple(types),
                    counts[TicketStatus.ACTIVE] + counts[TicketStatus.CHECKED_IN],
                    counts[TicketStatus.CHECKED_IN], counts[TicketStatus.REVOKED],
                )
            )  # fmt: skip
        money = payable_accounts(uow, command.organizer_id)
        return OrganizerMetrics(command.organizer_id, tuple(events), money)

    return services.read(work)
