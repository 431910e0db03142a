"""list_events: the public catalogue -- published events that have not ended yet, soonest
first, one page at a time.

It needs one query the repository port does not declare yet,
``EventRepository.list_published(now, limit, offset)``. Until every storage adapter has
it, a storage without it answers ``CatalogUnavailable`` instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Protocol, runtime_checkable

from pydantic import Field

from tickex.application.command import Command
from tickex.application.services import Services
from tickex.domain.errors import DomainError
from tickex.domain.event import Event
from tickex.ports.unit_of_work import UnitOfWork

MAX_PAGE = 100
MAX_OFFSET = 10_000


class CatalogUnavailable(DomainError):
    """The storage engine cannot list published events (it lacks ``list_published``)."""

    code = "catalog_unavailable"


@runtime_checkable
class PublishedEvents(Protocol):
    """The query ``list_events`` needs from the event repository."""

    def list_published(self, now: datetime, limit: int, offset: int) -> list[Event]:
        """Published events with ``ends_at > now``, sorted by ``(starts_at, id)``."""
        ...


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
        repository = uow.events
        if not isinstance(repository, PublishedEvents):
            raise CatalogUnavailable("this storage engine cannot list events yet")
        # one more than asked tells whether another page follows
        found = repository.list_published(services.clock.now(), command.limit + 1,
                                          command.offset)  # fmt: skip
        return EventList(
            tuple(found[: command.limit]), command.limit, command.offset,
            len(found) > command.limit,
        )  # fmt: skip

    return services.transaction(work)
