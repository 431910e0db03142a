"""organizer_metrics: live sales from the quota counters and money from the ledger."""

from __future__ import annotations

from dataclasses import dataclass

from tickex.application.command import Command, Id
from tickex.application.services import Services
from tickex.domain.errors import NotFound
from tickex.domain.event import EventStatus
from tickex.domain.ledger import TransactionKind, organizer_payable
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
class MoneyMetrics:
    """From the organizer's payable account; all amounts positive, per currency."""

    currency: str
    sales: Money
    platform_fees: Money
    refunds: Money
    payouts: Money
    balance: Money  # sales - fees - refunds - payouts: what is still owed


@dataclass(frozen=True, slots=True)
class OrganizerMetrics:
    organizer_id: str
    events: tuple[EventMetrics, ...]
    money: tuple[MoneyMetrics, ...]


def organizer_metrics(services: Services, command: GetOrganizerMetrics) -> OrganizerMetrics:
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
        totals = uow.ledger.account_totals(organizer_payable(command.organizer_id))
        money = []
        for currency in sorted({c for _, c in totals}):

            def kind(k: TransactionKind, c: str = currency) -> int:
                return totals.get((k, c), 0)

            # The payable account is credit-normal: credits (negative) are owed to the
            # organizer. Fee entries can go both ways (charged, then returned on refunds).
            sales = -kind(TransactionKind.SALE)
            fees = kind(TransactionKind.FEE)
            refunds = kind(TransactionKind.REFUND)
            payouts = kind(TransactionKind.PAYOUT)
            other = -(kind(TransactionKind.DISPUTE) + kind(TransactionKind.ADJUSTMENT))
            money.append(
                MoneyMetrics(
                    currency, Money(sales, currency), Money(fees, currency),
                    Money(refunds, currency), Money(payouts, currency),
                    Money(sales - fees - refunds - payouts + other, currency),
                )
            )  # fmt: skip
        return OrganizerMetrics(command.organizer_id, tuple(events), tuple(money))

    return services.read(work)
