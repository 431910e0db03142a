"""The HTTP API against ``TickEx.in_memory()``: a shop with one published event (general
admission, VIP, a hidden crew ticket unlocked by a promo code), a second published event
later on, and a draft.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.sql.support import postgres_storage, sqlite_storage
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_promo_code import CreatePromoCode
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import SettingsInput, VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.identity.create_admin import CreateAdmin
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.domain.promo_code import DiscountKind
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage


class UnreadyStorage(InMemoryStorage):
    def ping(self) -> bool:
        return False


@dataclass(frozen=True)
class Shop:
    organizer_id: str
    event_id: str
    slug: str
    ga: str  # 2500 EUR minor, 5 tickets
    vip: str  # 6000, 1 ticket
    crew: str  # hidden, 1000, unlocked by promo code CREW
    later_event_id: str
    later_slug: str
    draft_slug: str
    free_slug: str
    free_type: str


def open_shop(app: TickEx) -> Shop:
    now = app.services.clock.now()
    org = app.create_organizer(CreateOrganizer(name="Nightjar", email="hello@nightjar.example"))

    def event(slug: str, title: str, days: int) -> str:
        return app.create_event(
            CreateEvent(
                organizer_id=org.id, title=title, slug=slug,
                starts_at=now + timedelta(days=days), ends_at=now + timedelta(days=days, hours=4),
                venue=VenueInput(name="Harbour Hall", address="1 Quay Street", city="Lisbon",
                                 country="PT"),
                settings=SettingsInput(currency="EUR"),
            )
        ).id  # fmt: skip

    def ticket_type(event_id: str, name: str, price: int, size: int, **kw: Any) -> str:
        return app.create_ticket_type(
            CreateTicketType(organizer_id=org.id, event_id=event_id, name=name,
                             price_minor=price, quantity_total=size, **kw)
        ).id  # fmt: skip

    main = event("nightjar-live", "Nightjar <Live> & friends", 30)
    ga = ticket_type(main, "General admission", 2500, 5)
    vip = ticket_type(main, "VIP", 6000, 1)
    crew = ticket_type(main, "Crew", 1000, 1, hidden=True)
    app.create_promo_code(
        CreatePromoCode(organizer_id=org.id, event_id=main, code="CREW",
                        kind=DiscountKind.PERCENT, percent_bp=1000, ticket_type_ids=[crew],
                        unlocks_hidden=True)
    )  # fmt: skip
    app.publish_event(PublishEvent(organizer_id=org.id, event_id=main))
    later = event("autumn-fair", "Autumn fair", 60)
    ticket_type(later, "Entry", 1500, 100)
    app.publish_event(PublishEvent(organizer_id=org.id, event_id=later))
    free = event("open-day", "Open day", 45)
    free_type = ticket_type(free, "Free entry", 0, 10)
    app.publish_event(PublishEvent(organizer_id=org.id, event_id=free))
    draft = event("secret-gig", "Secret gig", 20)
    ticket_type(draft, "Entry", 1000, 10)
    return Shop(org.id, main, "nightjar-live", ga, vip, crew, later, "autumn-fair",
                "secret-gig", "open-day", free_type)  # fmt: skip


@pytest.fixture
def tickex() -> TickEx:
    return TickEx.in_memory()


@pytest.fixture
def shop(tickex: TickEx) -> Shop:
    return open_shop(tickex)


@pytest.fixture
def api(tickex: TickEx) -> Litestar:
    return create_app(tickex)


@pytest.fixture
def client(api: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(api) as test_client:
        yield test_client


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.requires_postgres)]
)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """Each engine in turn, for a module whose ``tickex`` is built on ``storage``."""
    if request.param == "memory":
        yield InMemoryStorage()
    elif request.param == "sqlite":
        with sqlite_storage(tmp_path) as sql:
            yield sql
    else:
        with postgres_storage() as sql:
            yield sql


ACCOUNT_PASSWORD = "correct horse battery"


def login(client: TestClient[Litestar], email: str) -> dict[str, str]:
    """The bearer header of the account ``email`` (its password: ``ACCOUNT_PASSWORD``)."""
    response = client.post("/v1/auth/login", json={"email": email, "password": ACCOUNT_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def admin(client: TestClient[Litestar], tickex: TickEx) -> dict[str, str]:
    """An admin's bearer header."""
    tickex.create_admin(CreateAdmin(email="boss@tickex.example", name="Boss",
                                    password=ACCOUNT_PASSWORD))  # fmt: skip
    return login(client, "boss@tickex.example")


def order_body(shop: Shop, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_slug": shop.slug,
        "items": [{"ticket_type_id": shop.ga, "quantity": 2}],
        "customer_email": "ana@example.com",
        "customer_name": "Ana",
    }
    body.update(overrides)
    return body


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with TickEx's fields."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:tickex:problem:{code}"
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body
