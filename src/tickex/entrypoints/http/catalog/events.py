"""``/v1/events``: the public catalogue and event pages."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from litestar import Controller, MediaType, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, Parameter

from tickex.application.catalog.get_event import GetEvent
from tickex.application.catalog.list_events import ListEvents
from tickex.application.command import SLUG_PATTERN
from tickex.entrypoints.http.catalog import schemas
from tickex.entrypoints.http.catalog.event_pages import EventPages, etags
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.problems import problem_responses
from tickex.entrypoints.http.routes import PageLimit, PageOffset, operation
from tickex.entrypoints.http.schemas import next_offset
from tickex.facade import TickEx

#: the ETag of the page the client has (``getEvent`` answers 304 while it is current)
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-None-Match",
        required=False,
        max_length=200,
        description="the ETag of the page the client has: 304 if it is still current",
    ),
]


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

    @get(
        "/{slug:str}", operation_id="getEvent",
        summary="An event with its ticket types, prices and what is left",
        description="Answered from a page rendered moments ago (`TICKEX_EVENT_PAGE_TTL`, a "
        "second by default: what is left may "
        "lag by that much; placing an order checks it exactly), with an `ETag` "
        "(`If-None-Match` answers 304) and a short public `Cache-Control`.",
        responses={
            200: ResponseSpec(schemas.EventOut, description="the event page",
                              generate_examples=False),
            304: ResponseSpec(None, description="not modified since the ETag given"),
            **problem_responses(404, 422),
        },
    )  # fmt: skip
    async def get_event(
        self,
        request: Request[Any, Any, Any],
        slug: Annotated[str, Parameter(min_length=3, max_length=80, pattern=SLUG_PATTERN)],
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        # The application and the pages come from the app's state, not from dependencies:
        # resolving those costs a task group per request, a good share of a cached read.
        state = request.app.state
        event_pages: EventPages = state.event_pages
        page, render = event_pages.get(slug)
        if render:  # the storage is asked in a worker thread, never on the loop
            try:
                body = await to_thread.run_sync(_render, state.tickex, slug)
            except BaseException:
                event_pages.forget(slug)
                raise
            page = event_pages.put(slug, body)
        assert page is not None  # rendered just now, or kept
        headers = {"ETag": page.etag, "Cache-Control": event_pages.cache_control}
        if if_none_match is not None and page.etag in etags(if_none_match):
            return Response(b"", status_code=304, headers=headers)
        return Response(page.body, media_type=MediaType.JSON, headers=headers)


def _render(tickex: TickEx, slug: str) -> bytes:
    return schemas.event_page(tickex.get_event(GetEvent(slug=slug))).model_dump_json().encode()
