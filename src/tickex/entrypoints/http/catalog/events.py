"""``/v1/events``: the public catalogue and event pages."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from tickex.application.catalog.get_event import GetEvent
from tickex.application.catalog.list_events import ListEvents
from tickex.entrypoints.http.catalog import schemas
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.routes import PageLimit, PageOffset, operation
from tickex.entrypoints.http.schemas import next_offset

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class EventController(Controller):
    path = "/v1/events"
    tags = ["events"]

    @operation(get, "/", "listEvents", "Published events that have not ended, soonest first", 422)
    def list_events(
        self,
        tickex: App,
        limit: PageLimit = 20,
        offset: PageOffset = 0,
    ) -> schemas.EventListOut:
        found = tickex.list_events(ListEvents(limit=limit, offset=offset))
        return schemas.EventListOut(
            items=[schemas.event_summary(event) for event in found.items],
            limit=found.limit,
            offset=found.offset,
            next_offset=next_offset(found.offset, found.limit, found.has_more),
        )

    @operation(
        get, "/{slug:str}", "getEvent", "An event with its ticket types, prices and what is left",
        404, 422,
    )  # fmt: skip
    def get_event(
        self,
        tickex: App,
        slug: Annotated[str, Parameter(min_length=3, max_length=80, pattern=SLUG_PATTERN)],
    ) -> schemas.EventOut:
        return schemas.event_page(tickex.get_event(GetEvent(slug=slug)))
