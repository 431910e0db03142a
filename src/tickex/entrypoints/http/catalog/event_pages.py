"""The public event page, rendered once a second per worker: what an on-sale's crowd reads
over and over (``GET /v1/events/{slug}``) answered from memory, with an ``ETag`` and a
short ``Cache-Control`` so that browsers revalidate for nothing and a CDN in front can
serve it.

- A rendered page (the JSON bytes of ``EventOut`` and their ETag) is kept for ``ttl``
  seconds (``TICKEX_EVENT_PAGE_TTL``, 1 s by default; 0 turns the cache off). What is left
  of each ticket type may therefore lag by that much: ``placeOrder`` checks the
  inventory again, exactly, and a buyer never gets a seat the page showed but that is gone.
- The organizer's changes made through this worker forget every page at once
  (``OrganizerController.after_response``); other workers see them within ``ttl``.
- When a page is due, one request renders it again while the others are answered the
  page it replaces (no stampede of renders, and no wait, each time a page expires under
  load); a render that fails (the event is gone) forgets the page.
- Only found pages are kept (a 404 is always asked of the storage), at most
  ``MAX_PAGES`` of them (the oldest go first).
- ``If-None-Match`` with the current ETag answers 304 without a body.
- A fresh page is answered before routing (``KeptPageShortcut``): the request skips
  Litestar's routing, parameter parsing and middleware, not the ``before_send`` hook (request
  id, security headers, metrics, access log). Anything the shortcut does not answer
  exactly as the route would (a query string, a CORS request, a due page, an odd header) goes
  to the route.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from litestar._asgi.utils import is_valid_host
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from tickex.entrypoints.http.observability import request_context

MAX_PAGES = 2048
DEFAULT_TTL_S = 1.0
#: a CDN or browser may keep it as long as this worker does, and serve it a little stale
#: while it asks again
CACHE_CONTROL = "public, max-age={ttl}, stale-while-revalidate={stale}"


@dataclass(frozen=True, slots=True)
class RenderedPage:
    body: bytes
    etag: str  # a strong validator: the body's digest, quoted
    expires: float  # on the monotonic clock


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


class EventPages:
    """Rendered event pages by slug, for ``ttl`` seconds (thread-safe: pages are rendered
    in worker threads and read on the event loop)."""

    def __init__(
        self, ttl: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = max(0.0, ttl)
        self._clock = clock
        self._pages: OrderedDict[str, RenderedPage] = OrderedDict()
        self._refreshing: set[str] = set()
        self._lock = threading.Lock()
        seconds = max(1, round(self.ttl))
        self.cache_control = CACHE_CONTROL.format(ttl=seconds, stale=4 * seconds)

    def get(self, slug: str) -> tuple[RenderedPage | None, bool]:
        """The page to answer with (None: there is none yet) and whether the caller is to
        render it afresh (then ``put`` it, or ``forget`` it if that fails): a fresh page
        needs nothing; of the requests that find it due, the first renders it and the
        others answer the page it replaces."""
        page = self._pages.get(slug)
        if page is None:
            return None, True
        if page.expires > self._clock():
            return page, False
        with self._lock:
            if slug in self._refreshing:
                return page, False
            self._refreshing.add(slug)
        return page, True

    def fresh(self, slug: str) -> RenderedPage | None:
        """The page if it is kept and not yet due (nothing to render)."""
        page = self._pages.get(slug)
        return page if page is not None and page.expires > self._clock() else None

    def put(self, slug: str, body: bytes) -> RenderedPage:
        page = RenderedPage(body, etag_of(body), self._clock() + self.ttl)
        with self._lock:
            self._refreshing.discard(slug)
            if self.ttl <= 0:
                return page
            self._pages[slug] = page
            self._pages.move_to_end(slug)
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        return page

    def forget(self, slug: str) -> None:
        """The page could not be rendered (the event is gone, or the storage failed)."""
        with self._lock:
            self._refreshing.discard(slug)
            self._pages.pop(slug, None)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._refreshing.clear()


#: the route the shortcut stands in for, as Litestar names it in ``path_template``
ROUTE_TEMPLATE = "/v1/events/{slug}"
_PREFIX = "/v1/events/"
_MAX_IF_NONE_MATCH = 200  # as getEvent's header parameter


class KeptPageShortcut:
    """ASGI: answer ``GET /v1/events/{slug}`` from a fresh kept page before Litestar routes
    it, with the route's status, headers and bytes; everything else goes to ``app``.

    It sits inside ``Litestar.__call__`` (as its ``asgi_handler``), so the response still
    passes the application's ``before_send`` hook. Off with ``cors`` when an ``Origin``
    header asks for CORS headers (the CORS middleware is inside ``app``).
    """

    __slots__ = ("_cache_control", "app", "cors", "pages")

    def __init__(self, app: ASGIApp, pages: EventPages, *, cors: bool) -> None:
        self.app = app
        self.pages = pages
        self.cors = cors
        self._cache_control = pages.cache_control.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = self._page(scope)
        if page is None:
            await self.app(scope, receive, send)
            return
        if_none_match: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if if_none_match is not None or len(value) > _MAX_IF_NONE_MATCH:
                    await self.app(scope, receive, send)  # as the route would judge it
                    return
                if_none_match = value
            elif (name == b"origin" and self.cors) or (
                name == b"host" and not is_valid_host(value)
            ):
                await self.app(scope, receive, send)
                return
        request_context(scope)  # the request's clock and id, as the route's middleware does
        scope["path_template"] = ROUTE_TEMPLATE
        etag = page.etag.encode("latin-1")
        if if_none_match is not None and page.etag in etags(if_none_match.decode("latin-1")):
            headers = [(b"etag", etag), (b"cache-control", self._cache_control)]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        headers = [
            (b"etag", etag),
            (b"cache-control", self._cache_control),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(page.body)).encode("latin-1")),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": page.body, "more_body": False})

    def _page(self, scope: Scope) -> RenderedPage | None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "GET" or scope["query_string"]:
            return None
        path: str = scope["path"]
        if not path.startswith(_PREFIX) or scope.get("root_path"):
            return None
        return self.pages.fresh(path[len(_PREFIX) :])


def etags(header: str) -> set[str]:
    """The entity tags of an ``If-None-Match`` header (weak ones compare as strong)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
