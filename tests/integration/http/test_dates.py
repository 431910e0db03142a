"""Date fields over HTTP on the reference storage, SQLite and PostgreSQL: every moment an
organizer gives (event dates, ticket type sales windows, promo code validity) is refused
with a 422 naming the field, or stored and read back; never a 500, and never a stored
value that breaks a later read (``GET /v1/events``, ``listOrganizerEvents``,
``getOrganizerMetrics``, ``getEvent``). The bounds are ``tickex.application.date_bounds``:
a start from a day ago to five years ahead, an end at most 366 days further (and an
event at most 366 days long), checked against the application's clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tests.integration.http.test_organizer import PASSWORD, Account, event_body, sign_up
from tests.integration.http.test_scanning import issue, paid_ticket_token
from tickex.adapters.memory.clock import FixedClock
from tickex.application.date_bounds import GRACE, HORIZON, MAX_SPAN
from tickex.application.door.check_in import MAX_OFFLINE_AGE
from tickex.application.identity.log_in import LogIn
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage

Client = TestClient[Litestar]

#: what Python cannot hold once in UTC: refused by the schema (validation_failed)
OVERFLOWING = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"]
#: valid date-times far outside the bounds: refused by the use case (date_out_of_range)
FAR = [
    "0001-01-01T00:00:00Z",
    "0127-01-01T00:00:00Z",
    "0500-06-01T12:00:00+02:00",
    "0999-01-01T00:00:00Z",
    "1999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:00:00+05:00",
]


@pytest.fixture
def tickex(storage: Storage) -> TickEx:  # conftest's ``client`` serves it
    return TickEx.in_memory(storage=storage)


@pytest.fixture
def ana(tickex: TickEx) -> Account:
    return sign_up(tickex, "ana@nightjar.example")


def _clock(tickex: TickEx) -> FixedClock:
    clock = tickex.services.clock
    assert isinstance(clock, FixedClock)
    return clock


def _at(moment: datetime) -> str:
    return moment.isoformat()


def _parsed(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _reads_still_answer(client: Client, ana: Account, slug: str) -> None:
    """The reads a bad stored value used to break."""
    for path, headers in [("/v1/events", {}), (f"/v1/events/{slug}", {}),
                          ("/v1/organizer/events", ana.headers),
                          ("/v1/organizer/metrics", ana.headers)]:  # fmt: skip
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)


def _refused(response: Any, name: str, given: str) -> None:
    """A 422 that names the field: the schema's (``errors``) or the bounds' (``context``)."""
    if given in OVERFLOWING:
        body = assert_problem(response, 422, "validation_failed")
        assert [e["field"] for e in body["errors"]] == [name], body
    else:
        body = assert_problem(response, 422, "date_out_of_range")
        assert body["context"] == {"field": name}, body


@pytest.fixture
def published(client: Client, tickex: TickEx, ana: Account) -> dict[str, str]:
    """A published event with a ticket type and a promo code: the ids the changes name."""
    event = client.post("/v1/organizer/events", json=event_body(tickex), headers=ana.headers)
    assert event.status_code == 201, event.text
    base = f"/v1/organizer/events/{event.json()['id']}"
    tt = client.post(f"{base}/ticket-types", headers=ana.headers,
                     json={"name": "GA", "price_minor": 2500, "quantity_total": 10})  # fmt: skip
    assert tt.status_code == 201, tt.text
    assert client.post(f"{base}/publish", headers=ana.headers).status_code == 200
    return {"base": base, "slug": event.json()["slug"], "ticket_type": tt.json()["id"]}


def test_extreme_dates_on_every_field_are_refused_and_change_nothing(
    client: Client, tickex: TickEx, ana: Account, published: dict[str, str]
) -> None:
    base, ticket_type = published["base"], published["ticket_type"]
    before = client.get(base, headers=ana.headers).json()
    for given in OVERFLOWING + FAR:
        for name in ("starts_at", "ends_at"):
            _refused(client.post("/v1/organizer/events", headers=ana.headers,
                                 json=event_body(tickex, slug="far-away", **{name: given})),
                     name, given)  # fmt: skip
            _refused(client.patch(base, json={name: given}, headers=ana.headers), name, given)
        for name in ("sales_start", "sales_end"):
            body = {"name": "Far", "price_minor": 100, "quantity_total": 1, name: given}
            _refused(client.post(f"{base}/ticket-types", json=body, headers=ana.headers),
                     name, given)  # fmt: skip
            changed = client.patch(f"/v1/organizer/ticket-types/{ticket_type}",
                                   json={name: given}, headers=ana.headers)  # fmt: skip
            _refused(changed, name, given)
        for name in ("valid_from", "valid_until"):
            body = {"code": "FAR", "kind": "percent", "percent_bp": 1000, name: given}
            _refused(client.post(f"{base}/promo-codes", json=body, headers=ana.headers),
                     name, given)  # fmt: skip
    assert client.get(base, headers=ana.headers).json() == before
    listed = client.get("/v1/organizer/events", headers=ana.headers).json()["items"]
    assert [e["slug"] for e in listed] == [published["slug"]]
    _reads_still_answer(client, ana, published["slug"])


def test_moments_at_the_bounds_are_stored_and_read_back(
    client: Client, tickex: TickEx, ana: Account, published: dict[str, str]
) -> None:
    now = _clock(tickex).now()
    earliest, latest = now - GRACE, now + HORIZON
    last_end = latest + MAX_SPAN
    event = client.post("/v1/organizer/events", headers=ana.headers, json=event_body(
        tickex, slug="far-ahead", starts_at=_at(latest), ends_at=_at(last_end)))  # fmt: skip
    assert event.status_code == 201, event.text
    assert (_parsed(event.json()["starts_at"]), _parsed(event.json()["ends_at"])) == (
        latest, last_end)  # fmt: skip
    base = f"/v1/organizer/events/{event.json()['id']}"
    window = {"sales_start": _at(earliest), "sales_end": _at(last_end)}
    body = {"name": "GA", "price_minor": 0, "quantity_total": 5, **window}
    tt = client.post(f"{base}/ticket-types", json=body, headers=ana.headers)
    assert tt.status_code == 201, tt.text
    promo = client.post(f"{base}/promo-codes", headers=ana.headers, json={
        "code": "EDGE", "kind": "percent", "percent_bp": 1000,
        "valid_from": _at(latest), "valid_until": _at(last_end)})  # fmt: skip
    assert promo.status_code == 201, promo.text
    assert client.post(f"{base}/publish", headers=ana.headers).status_code == 200
    back = client.get(base, headers=ana.headers).json()
    assert (_parsed(back["starts_at"]), _parsed(back["ends_at"])) == (latest, last_end)
    [kept] = back["ticket_types"]
    assert (_parsed(kept["sales_start"]), _parsed(kept["sales_end"])) == (earliest, last_end)
    [code] = back["promo_codes"]
    assert (_parsed(code["valid_from"]), _parsed(code["valid_until"])) == (latest, last_end)
    _reads_still_answer(client, ana, "far-ahead")


def test_each_bound_is_a_422_naming_its_field_one_microsecond_beyond(
    client: Client, tickex: TickEx, ana: Account, published: dict[str, str]
) -> None:
    now, tick = _clock(tickex).now(), timedelta(microseconds=1)
    start = now + timedelta(days=30)
    cases = [
        ({"starts_at": _at(now - GRACE - tick), "ends_at": _at(start)}, "starts_at"),
        ({"starts_at": _at(now + HORIZON + tick), "ends_at": _at(now + HORIZON + GRACE)},
         "starts_at"),
        ({"starts_at": _at(start), "ends_at": _at(start + MAX_SPAN + tick)}, "ends_at"),
    ]  # fmt: skip
    for dates, name in cases:
        response = client.post("/v1/organizer/events", headers=ana.headers,
                               json=event_body(tickex, slug="off-by-one", **dates))  # fmt: skip
        _refused(response, name, "")
    base = published["base"]
    for name, moment in [("sales_start", now - GRACE - tick),
                         ("sales_end", now + HORIZON + MAX_SPAN + tick),
                         ("sales_start", now + HORIZON + tick)]:  # fmt: skip
        body = {"name": "Edge", "price_minor": 100, "quantity_total": 1, name: _at(moment)}
        _refused(client.post(f"{base}/ticket-types", json=body, headers=ana.headers), name, "")
    # an event made longer than the longest event
    start = _parsed(client.get(base, headers=ana.headers).json()["starts_at"])
    _refused(client.patch(base, json={"ends_at": _at(start + MAX_SPAN + tick)},
                          headers=ana.headers), "ends_at", "")  # fmt: skip


def test_a_change_that_gives_no_date_is_not_held_to_the_bounds(
    client: Client, tickex: TickEx, ana: Account, published: dict[str, str]
) -> None:
    """Once an event has started, its start lies in the past: changing its title, or a
    ticket type's price, still works; moving the start to the past does not."""
    started = _clock(tickex).advance(timedelta(days=32))
    token = tickex.log_in(LogIn(email="ana@nightjar.example", password=PASSWORD))
    headers = {"Authorization": f"Bearer {token.access_token}"}
    base = published["base"]
    changed = client.patch(base, json={"title": "Harbour nights, live"}, headers=headers)
    assert changed.status_code == 200, changed.text
    tt = client.patch(f"/v1/organizer/ticket-types/{published['ticket_type']}",
                      json={"price_minor": 3000}, headers=headers)  # fmt: skip
    assert tt.status_code == 200, tt.text
    moved = client.patch(base, json={"starts_at": _at(started - timedelta(days=3))},
                         headers=headers)  # fmt: skip
    _refused(moved, "starts_at", "")


def test_an_offline_scan_at_the_edge_of_the_range_is_a_422_or_recorded(
    client: Client, tickex: TickEx, ana: Account, published: dict[str, str]
) -> None:
    """``scanned_at`` is a date-time a scanner gives: one UTC cannot hold is refused by the
    schema, one older than a scanner may keep its offline scans by the use case; the
    oldest it may keep is recorded (and reads back) like any past scan."""
    event_id = published["base"].rsplit("/", 1)[1]
    ticket = paid_ticket_token(client, event_id, published["ticket_type"])
    staff = {"Authorization": f"Bearer {issue(client, ana, event_id)['token']}"}
    for n, given in enumerate(FAR[:4] + OVERFLOWING):
        response = client.post("/v1/scan", headers=staff, json={
            "token": ticket, "nonce": f"nonce-edge-{n}", "scanned_at": given})  # fmt: skip
        _refused(response, "scanned_at", given)
    oldest = _clock(tickex).now() - MAX_OFFLINE_AGE
    first = client.post("/v1/scan", headers=staff, json={
        "token": ticket, "nonce": "nonce-first", "scanned_at": oldest.isoformat()})  # fmt: skip
    assert first.status_code == 200, first.text
    assert first.json()["result"] == "accepted", first.text
    kept = tickex.services.read(lambda uow: uow.check_ins.get_by_nonce(event_id, "nonce-first"))
    assert kept.scanned_at == oldest
    _reads_still_answer(client, ana, published["slug"])
