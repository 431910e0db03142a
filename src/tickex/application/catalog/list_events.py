"""list_events: the public catalogue -- published events that have not ended yet, soonest
first, one page at a time."""

from __future__ import annotations

from tickex.application.command import Command
from tickex.application.paging import Limit, Offset, Page, fetch_page
from tickex.application.services import Core
from tickex.domain.event import Event
from tickex.ports.unit_of_work import UnitOfWork


class ListEvents(Command):
    limit: Limit = 20
    offset: Offset = 0


EventList = Page[Event]


def list_events(services: Core, command: ListEvents) -> EventList:
    def work(uow: UnitOfWork) -> EventList:
        now = services.clock.now()
        return fetch_page(
            lambda count, offset: uow.events.list_published(now, count, offset),
            command.limit, command.offset,
        )  # fmt: skip

    return services.read(work)
