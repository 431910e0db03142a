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
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

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
