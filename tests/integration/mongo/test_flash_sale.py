"""A flash sale over HTTP on a real wire server (``TICKEX_TEST_MONGODB_URI``; skipped
without one, failed in CI): every buyer is given an order or told ``sold_out`` /
``promo_code_exhausted``, and every order placed can be paid, all at once -- never a
``409 concurrency_conflict`` (ADR 0018). Runs in both modes: transactions on a replica
set, compensation on a standalone server.

The negative control runs the same harness with the counters back inside the
transactions (the design before ADR 0018): on a replica set it must end in at least one
``concurrency_conflict``, or the harness does not race and proves nothing.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from litestar.testing import TestClient

from tests.integration.mongo.counters_in_transaction import counters_in_transactions
from tests.mongo_server import require_replica_set
from tickex.adapters.mongo import MongoStorage
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_promo_code import CreatePromoCode
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.domain.promo_code import DiscountKind
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx
from tickex.settings import Settings

BUYERS = 60
SEATS = 10

Outcome = tuple[int, str]  # (status, problem code or "")


def with_database(url: str, name: str) -> str:
    """``url`` with ``name`` as its path (the database TickEx uses)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def tickex(server_url: str) -> Iterator[TickEx]:
    url = with_database(server_url, f"tickex_test_{uuid.uuid4().hex[:16]}")
    app = TickEx.from_settings(Settings.load(environment="test", database_url=url))
    app.migrate_storage()
    storage = app.services.storage
    assert isinstance(storage, MongoStorage)
    yield app
    storage.client.drop_database(storage.database.name)
    app.close()


@pytest.fixture
def client(tickex: TickEx) -> Iterator[TestClient[Any]]:
    # Rate limits are not under test: 60 buyers share the test client's address.
    with TestClient(create_app(tickex, rate_policies={})) as c:
        yield c


@dataclass(frozen=True)
class Sale:
    slug: str
    type_ids: tuple[str, ...]
    quota_id: str  # the contended quota: the type's own, or the venue capacity
    promo_code: str | None = None


def open_sale(
    tickex: TickEx,
    *,
    types: int = 1,
    seats_per_type: int = SEATS,
    venue_capacity: int | None = None,
    promo_uses: int | None = None,
) -> Sale:
    now = tickex.services.clock.now()
    org = tickex.create_organizer(CreateOrganizer(name="Flash", email="flash@example.com"))
    slug = f"flash-{uuid.uuid4().hex[:8]}"
    event = tickex.create_event(
        CreateEvent(
            organizer_id=org.id, title="Flash sale", slug=slug,
            starts_at=now + timedelta(days=7), ends_at=now + timedelta(days=7, hours=3),
            venue=VenueInput(name="Hall", address="1 Quay St"), capacity=venue_capacity,
        )
    )  # fmt: skip
    type_ids = []
    for n in range(types):
        tt = tickex.create_ticket_type(
            CreateTicketType(organizer_id=org.id, event_id=event.id, name=f"Type {n}",
                             price_minor=2500, quantity_total=seats_per_type)
        )  # fmt: skip
        type_ids.append(tt.id)
    code = None
    if promo_uses is not None:
        code = "ONCE"
        tickex.create_promo_code(
            CreatePromoCode(organizer_id=org.id, event_id=event.id, code=code,
                            kind=DiscountKind.PERCENT, percent_bp=1000, max_uses=promo_uses)
        )  # fmt: skip
    tickex.publish_event(PublishEvent(organizer_id=org.id, event_id=event.id))
    contended = (
        event.capacity_quota_id
        or tickex.services.read(lambda uow: uow.ticket_types.get(type_ids[0])).quota_id
    )  # type: ignore[union-attr]
    return Sale(slug, tuple(type_ids), contended, code)


def at_once(count: int, call: Callable[[int], Any]) -> list[Any]:
    """``call(0..count-1)``, each on a thread of its own, released together."""
    start = threading.Barrier(count)

    def run(n: int) -> Any:
        start.wait(timeout=60)
        return call(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def email(n: int) -> str:
    return f"buyer{n}@example.com"


def outcome(response: Any) -> Outcome:
    if response.status_code == 201:
        return 201, ""
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return response.status_code, str(response.json()["code"])


def buy(client: TestClient[Any], sale: Sale, buyers: int) -> tuple[Counter[Outcome], list[Any]]:
    """``buyers`` buyers at once, one ticket each (alternating over the sale's types)."""

    def order(n: int) -> Any:
        body: dict[str, Any] = {
            "event_slug": sale.slug, "customer_email": email(n),
            "items": [{"ticket_type_id": sale.type_ids[n % len(sale.type_ids)], "quantity": 1}],
        }  # fmt: skip
        if sale.promo_code is not None:
            body["promo_code"] = sale.promo_code
        return client.post("/v1/orders", json=body)

    responses = at_once(buyers, order)
    placed = [(n, r.json()) for n, r in enumerate(responses) if r.status_code == 201]
    return Counter(outcome(r) for r in responses), placed


def pay(client: TestClient[Any], placed: Sequence[tuple[int, Any]]) -> Counter[str]:
    """Every placed order paid at once, through the local provider's checkout page; then
    each order as its buyer reads it: its status and how many tickets it holds."""

    def checkout(i: int) -> str:
        reference = placed[i][1]["payment_url"].rsplit("/pay/", 1)[1]
        response = client.post(f"/pay/{reference}")
        assert response.status_code == 200, response.text
        return "paid" if "Payment received" in response.text else response.text

    paid = Counter(at_once(len(placed), checkout))
    assert paid == Counter({"paid": len(placed)}), paid
    tickets = Counter()
    for n, order in placed:
        read = client.get(f"/v1/orders/{order['order_id']}", params={"email": email(n)}).json()
        tickets[f"{read['status']} with {len(read['tickets'])} ticket(s)"] += 1
    return tickets


def counters(tickex: TickEx, quota_id: str) -> tuple[int, int, int]:
    """(sold, held, size) of a quota as stored."""
    quota = tickex.services.read(lambda uow: uow.quotas.get(quota_id))
    assert quota is not None
    return quota.sold, quota.held, quota.size


def test_sixty_buyers_for_the_last_ten_seats(client: TestClient[Any], tickex: TickEx) -> None:
    sale = open_sale(tickex)
    outcomes, placed = buy(client, sale, BUYERS)
    assert outcomes == Counter({(201, ""): SEATS, (409, "sold_out"): BUYERS - SEATS})
    assert pay(client, placed) == Counter({"paid with 1 ticket(s)": SEATS})
    assert counters(tickex, sale.quota_id) == (SEATS, 0, SEATS)


def test_sixty_buyers_of_two_ticket_types_sharing_ten_seats(
    client: TestClient[Any], tickex: TickEx
) -> None:
    sale = open_sale(tickex, types=2, seats_per_type=BUYERS, venue_capacity=SEATS)
    outcomes, placed = buy(client, sale, BUYERS)
    assert outcomes == Counter({(201, ""): SEATS, (409, "sold_out"): BUYERS - SEATS})
    assert pay(client, placed) == Counter({"paid with 1 ticket(s)": SEATS})
    assert counters(tickex, sale.quota_id) == (SEATS, 0, SEATS)
    own = [tickex.services.read(lambda uow, t=t: uow.ticket_types.get(t)) for t in sale.type_ids]
    assert sum(counters(tickex, tt.quota_id)[0] for tt in own if tt) == SEATS


def test_sixty_buyers_for_a_promo_code_used_once(client: TestClient[Any], tickex: TickEx) -> None:
    sale = open_sale(tickex, seats_per_type=BUYERS, promo_uses=1)
    outcomes, placed = buy(client, sale, BUYERS)
    assert outcomes == Counter({(201, ""): 1, (409, "promo_code_exhausted"): BUYERS - 1})
    assert pay(client, placed) == Counter({"paid with 1 ticket(s)": 1})
    assert counters(tickex, sale.quota_id) == (1, 0, BUYERS)
    (promo,) = tickex.services.read(
        lambda uow: uow.promo_codes.list_by_event(
            uow.events.get_by_slug(sale.slug).id  # type: ignore[union-attr]
        )
    )
    assert promo.uses == 1


def test_negative_control_counters_inside_the_transactions_conflict(
    client: TestClient[Any], tickex: TickEx
) -> None:
    require_replica_set()
    seen: Counter[Outcome] = Counter()
    with counters_in_transactions():
        for _ in range(3):
            sale = open_sale(tickex, types=2, seats_per_type=BUYERS, venue_capacity=SEATS)
            outcomes, _ = buy(client, sale, BUYERS)
            seen += outcomes
            if seen[(409, "concurrency_conflict")]:
                break
    assert seen[(409, "concurrency_conflict")] > 0, f"the harness never raced: {seen}"
