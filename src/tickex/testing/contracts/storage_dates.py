"""The storage contract on datetimes: every moment the schemas allow (aware, years 1 to
9999 in UTC, to the microsecond; ``tickex.application.date_bounds.Moment``) is stored and
read back exactly, by every lookup that reads it, and time order is kept at the edges of
the range (SQLite keeps datetimes as text: a year below 1000 must be zero-padded)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tickex.domain.hold import HoldStatus
from tickex.ports.unit_of_work import Storage, UnitOfWork
from tickex.testing import builders as b
from tickex.testing.contracts.support import StorageFixture, in_uow, stored

FIRST = datetime.min.replace(tzinfo=UTC)
LAST = datetime.max.replace(tzinfo=UTC)
_DAY = timedelta(days=1)
_OFFSETS = st.builds(
    timezone, st.timedeltas(-_DAY + timedelta(minutes=1), _DAY - timedelta(minutes=1))
)
#: the moments the schemas allow: UTC over the whole range, and any offset a day inside it
#: (hypothesis takes naive bounds)
moments = st.datetimes(
    FIRST.replace(tzinfo=None), LAST.replace(tzinfo=None), timezones=st.just(UTC)
) | st.datetimes((FIRST + _DAY).replace(tzinfo=None), (LAST - _DAY).replace(tzinfo=None),
                 timezones=_OFFSETS)  # fmt: skip
_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    # one storage for every example (ids are unique), and one test for every engine
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.differing_executors,
        HealthCheck.too_slow,
    ],
)


def _window(a: datetime, b_: datetime) -> tuple[datetime, datetime]:
    """Two distinct moments, earlier first (a moment at the very edge gets a neighbour)."""
    if a == b_:
        b_ = a - timedelta(microseconds=1) if a == LAST else a + timedelta(microseconds=1)
    return (a, b_) if a < b_ else (b_, a)


_EDGES = (
    (FIRST, LAST),
    (datetime(127, 3, 4, 5, 6, 7, 8, UTC), datetime(999, 1, 1, tzinfo=UTC)),
    (datetime(999, 12, 31, 23, 59, 59, 999_999, UTC), datetime(1000, 1, 1, tzinfo=UTC)),
    (LAST - timedelta(microseconds=1), LAST),
    (FIRST, FIRST + timedelta(microseconds=1)),
)


def _at_the_edges(test: Callable[..., None]) -> Callable[..., None]:
    """Hypothesis over two allowed moments, the edges of the range given as examples."""
    for first, second in _EDGES:
        test = example(first=first, second=second)(test)
    return _SETTINGS(given(first=moments, second=moments)(test))


class DateStorageContract(StorageFixture):
    """Datetimes at the edges of the range the schemas allow."""

    @_at_the_edges
    def test_every_allowed_moment_is_stored_and_read_back(
        self, storage: Storage, first: datetime, second: datetime
    ) -> None:
        start, end = _window(first, second)
        evt = b.event(starts_at=start, ends_at=end, created_at=start)
        tt = b.ticket_type(event_id=evt.id, sales_start=start, sales_end=end)
        promo = b.promo_code(event_id=evt.id, valid_from=start, valid_until=end)
        hold = b.hold(event_id=evt.id, expires_at=start)

        def add(uow: UnitOfWork) -> None:
            uow.events.add(evt)
            uow.ticket_types.add(tt)
            uow.promo_codes.add(promo)
            uow.holds.add(hold)

        in_uow(storage, add)
        back = stored(storage, lambda uow: uow.events.get(evt.id))
        assert (back.starts_at, back.ends_at, back.created_at) == (start, end, start)
        assert stored(storage, lambda uow: uow.events.get_by_slug(evt.slug)) == back
        assert back in in_uow(storage, lambda uow: uow.events.list_by_organizer(evt.organizer_id))
        types = in_uow(storage, lambda uow: uow.ticket_types.list_by_event(evt.id))
        assert [(t.sales_start, t.sales_end) for t in types] == [(start, end)]
        promos = in_uow(storage, lambda uow: uow.promo_codes.list_by_event(evt.id))
        assert [(p.valid_from, p.valid_until) for p in promos] == [(start, end)]
        assert stored(storage, lambda uow: uow.holds.get(hold.id)).expires_at == start

    @_at_the_edges
    def test_time_order_holds_at_the_edges_of_the_range(
        self, storage: Storage, first: datetime, second: datetime
    ) -> None:
        start, end = _window(first, second)
        early, late = b.hold(expires_at=start), b.hold(expires_at=end)
        in_uow(storage, lambda uow: uow.holds.add_all([late, early]))
        ours = {early.id, late.id}

        def expired(now: datetime) -> list[str]:
            found = in_uow(storage, lambda uow: uow.holds.list_expired(now, 1000))
            return [h.id for h in found if h.id in ours]

        assert expired(start) == [early.id]
        assert expired(end) == [early.id, late.id]

        def tidy(uow: UnitOfWork) -> None:  # the listing is storage-wide
            for hold in (early, late):
                uow.holds.end(hold.id, HoldStatus.RELEASED)

        in_uow(storage, tidy)
