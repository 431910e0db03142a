"""list_events: the public catalogue -- published events that have not ended yet, soonest
first, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from tickex.application.command import Command
from tickex.application.services import Services
from tickex.domain.event import Event
from tickex.ports.unit_of_work import UnitOfWork

MAX_PAGE = 100
MAX_OFFSET = 10_000


class ListEvents(Command):
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 20
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


@dataclass(frozen=True, slots=True)
class EventList:
    events: tuple[Event, ...]
    limit: int
    offset: int
    has_more: bool


def list_events(services: Services, command: ListEvents) -> EventList:
    def work(uow: UnitOfWork) -> EventList:
        # one more than asked tells whether another page follows
        found = uow.events.list_published(services.clock.now(), command.limit + 1,
                                          command.offset)  # fmt: skip
        return EventList(
            tuple(found[: command.limit]), command.limit, command.offset,
            len(found) > command.limit,
        )  # fmt: skip

    return services.read(work)
