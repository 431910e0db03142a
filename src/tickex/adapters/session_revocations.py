"""Revoked sessions as a per-process set, refreshed from storage at most every
``refresh_every`` (ADR 0025).

An access token names its session (the refresh family) and is not stored, so refusing it
before it expires means asking, on every authenticated request, whether its session was
revoked. Asking storage every time would add a query to every request; instead each
process keeps the families revoked within the last ``window`` (an access token's longest
life, plus a margin for clocks), and reloads them when its copy is older than
``refresh_every``. So a revocation made by another worker is refused at most
``refresh_every`` later; one made by this process is refused at once (``note_revoked``).
``refresh_every = 0`` reads storage on every check.

Revocations are never undone, so a reload only adds: what this process noted while a
reload was reading is kept, and entries leave only once older than ``window`` (their
tokens have expired by then). Thread-safe: one reload at a time, the others answer from
the current copy meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from tickex.ports.clock import Clock
from tickex.ports.identity import SessionRevocations
from tickex.ports.unit_of_work import Storage

#: added to the access tokens' longest life: clocks of hosts that issue and verify differ
CLOCK_MARGIN = timedelta(minutes=1)


class StoredSessionRevocations(SessionRevocations):
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        *,
        window: timedelta,
        refresh_every: timedelta = timedelta(seconds=1),
    ) -> None:
        if window <= timedelta(0) or refresh_every < timedelta(0):
            raise ValueError("window must be positive and refresh_every not negative")
        self._storage = storage
        self._clock = clock
        self._window = window + CLOCK_MARGIN
        self._refresh_every = refresh_every
        self._revoked: dict[str, datetime] = {}  # family -> when it was revoked
        self._loaded_at: datetime | None = None
        self._reloading = threading.Lock()

    @property
    def refresh_every(self) -> timedelta:
        """The staleness bound: how late a revocation by another process is seen."""
        return self._refresh_every

    def is_revoked(self, session_id: str) -> bool:
        now = self._clock.now()
        loaded = self._loaded_at
        if loaded is None or now - loaded >= self._refresh_every:
            self._reload(now)
        return session_id in self._revoked

    def note_revoked(self, session_ids: Iterable[str]) -> None:
        now = self._clock.now()
        with self._reloading:
            self._revoked = {**self._revoked, **dict.fromkeys(session_ids, now)}

    def _reload(self, now: datetime) -> None:
        strict = self._loaded_at is None or not self._refresh_every
        if not self._reloading.acquire(blocking=strict):
            return  # another thread is reloading: the current copy is at most one reload old
        try:
            cutoff = now - self._window
            with self._storage.unit_of_work(read_only=True) as uow:
                stored = uow.sessions.revoked_families(cutoff)
            kept = {f: at for f, at in self._revoked.items() if at > cutoff}
            self._revoked = {**kept, **stored}  # replaced whole: readers never see a half
            self._loaded_at = now
        finally:
            self._reloading.release()
