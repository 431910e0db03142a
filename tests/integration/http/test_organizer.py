"""/v1/organizer: an organizer runs their events over HTTP, signed in with a bearer token;
the organizer acted for is always the signed-in user's."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tickex.application.finance.organizer_metrics import GetOrganizerMetrics
from tickex.application.identity.log_in import LogIn
from tickex.application.identity.register_user import RegisterUser
from tickex.entrypoints.http.finance import schemas
from tickex.facade import TickEx

PASSWORD = "organizer password"
Client = TestClient[Litestar]


@dataclasses.dataclass(frozen=True)
class Account:
    user_id: str
    organizer_id: str | None
    headers: dict[str, str]


def sign_up(tickex: TickEx, email: str, *, organizer: bool = True) -> Account:
    """An account (an organizer's, unless ``organizer=False``) and its bearer header."""
    allowed = TickEx(tickex.services.with_ports(organizer_self_serve=True))
    user = allowed.register_user(
        RegisterUser(email=email, password=PASSWORD, name=email.split("@")[0],
                     as_organizer=organizer)
    )  # fmt: skip
    token = tickex.log_in(LogIn(email=email, password=PASSWORD)).access_token
    return Account(user.id, user.organizer_id, {"Authorization": f"Bearer {token}"})


def event_body(tickex: TickEx, slug: str = "harbour-nights", **overrides: Any) -> dict[str, Any]:
    start = tickex.services.clock.now() + timedelta(days=30)
    body: dict[str, Any] = {
        "title": "Harbour nights",
        "slug": slug,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=4)).isoformat(),
        "venue": {"name": "Harbour Hall", "address": "1 Quay Street", "city": "Lisbon",
                  "country": "PT"},
        "settings": {"currency": "EUR"},
    }  # fmt: skip
    body.update(overrides)
    return body


def ticket_type_body(**overrides: Any) -> dict[str, Any]:
    return {"name": "General admission", "price_minor": 2500, "quantity_total": 10, **overrides}


def metrics(tickex: TickEx, account: Account) -> Any:
    assert account.organizer_id is not None
    return tickex.organizer_metrics(GetOrganizerMetrics(organizer_id=account.organizer_id))


@pytest.fixture
def ana(tickex: TickEx) -> Account:
    return sign_up(tickex, "ana@nightjar.example")


def test_an_organizer_runs_an_event_from_draft_to_refund(
    client: Client, tickex: TickEx, ana: Account
) -> None:
    created = client.post("/v1/organizer/events", json=event_body(tickex), headers=ana.headers)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["status"] == "draft"
    assert event["ticket_types"] == []
    assert created.headers["cache-control"] == "no-store"
    event_id = event["id"]
    base = f"/v1/organizer/events/{event_id}"

    added = client.post(f"{base}/ticket-types", json=ticket_type_body(), headers=ana.headers)
    assert added.status_code == 201, added.text
    ga = added.json()
    assert ga["price"] == {"amount_minor": 2500, "currency": "EUR"}
    vip = client.post(f"{base}/ticket-types", json=ticket_type_body(name="VIP", price_minor=6000,
                      quantity_total=2), headers=ana.headers).json()  # fmt: skip
    quota = client.post(f"{base}/quotas", json={"name": "Balcony", "size": 50},
                        headers=ana.headers)  # fmt: skip
    assert quota.status_code == 201, quota.text
    assert quota.json() == {"id": quota.json()["id"], "name": "Balcony", "size": 50, "sold": 0,
                            "held": 0}  # fmt: skip
    promo = client.post(f"{base}/promo-codes", headers=ana.headers,
                        json={"code": "FRIENDS", "kind": "fixed", "fixed_minor": 500})  # fmt: skip
    assert promo.status_code == 201, promo.text
    assert promo.json()["fixed"] == {"amount_minor": 500, "currency": "EUR"}
    changed = client.patch(f"/v1/organizer/ticket-types/{vip['id']}", headers=ana.headers,
                           json={"price_minor": 7000, "quantity_total": 3})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["price"]["amount_minor"] == 7000
    renamed = client.patch(base, json={"title": "Harbour nights II"}, headers=ana.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "Harbour nights II"
    assert renamed.json()["starts_at"] == event["starts_at"]  # what was not given stays

    published = client.post(f"{base}/publish", headers=ana.headers)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    listed = client.get("/v1/organizer/events", headers=ana.headers).json()["items"]
    assert [e["id"] for e in listed] == [event_id]

    # a buyer orders and pays through the public routes
    placed = client.post("/v1/orders", json={
        "event_slug": "harbour-nights", "customer_email": "bo@example.com",
        "items": [{"ticket_type_id": ga["id"], "quantity": 2}],
    })  # fmt: skip
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    paid = client.post("/pay/" + placed.json()["payment_url"].rsplit("/pay/", 1)[1])
    assert paid.status_code == 200
    seen = client.get("/v1/organizer/metrics", headers=ana.headers).json()
    sold = {t["name"]: t["sold"] for t in seen["events"][0]["ticket_types"]}
    assert sold == {"General admission": 2, "VIP": 0}
    total = placed.json()["totals"]["total"]["amount_minor"]  # 2 x 2500 and the fee
    assert seen["money"][0]["sales"]["amount_minor"] == total > 5000

    refunded = client.post(f"/v1/organizer/orders/{order_id}/refund", headers=ana.headers,
                           json={"reason": "asked nicely"})  # fmt: skip
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "refunded"
    assert (
        refunded.json()["refunded"]["amount_minor"]
        == refunded.json()["totals"]["total"]["amount_minor"]
    )
    after = client.get("/v1/organizer/metrics", headers=ana.headers).json()
    assert after["events"][0]["tickets_revoked"] == 2
    assert after["events"][0]["ticket_types"][0]["sold"] == 0
    assert after["money"][0]["refunds"]["amount_minor"] == total
    assert after == schemas_of(tickex, ana)

    cancelled = client.post(f"{base}/cancel", headers=ana.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["event"]["status"] == "cancelled"


def schemas_of(tickex: TickEx, account: Account) -> dict[str, Any]:
    return schemas.organizer_metrics(metrics(tickex, account)).model_dump(mode="json")


def test_the_routes_need_a_token_and_an_organizer(client: Client, tickex: TickEx) -> None:
    customer = sign_up(tickex, "cy@example.com", organizer=False)
    for method, path in [("GET", "/v1/organizer/events"), ("GET", "/v1/organizer/metrics"),
                         ("POST", "/v1/organizer/events")]:  # fmt: skip
        anonymous = client.request(method, path, json=event_body(tickex))
        assert_problem(anonymous, 401, "invalid_token")
        assert anonymous.headers["www-authenticate"].startswith("Bearer ")
        denied = client.request(method, path, json=event_body(tickex), headers=customer.headers)
        assert_problem(denied, 403, "forbidden")
    assert tickex.services.read(lambda uow: uow.events.get_by_slug("harbour-nights")) is None


@pytest.mark.parametrize(
    "extra",
    [{"organizer_id": "id-000001"}, {"status": "published"}, {"price": 100}, {"sold": 5},
     {"id": "mine"}],
)  # fmt: skip
def test_bodies_refuse_fields_they_do_not_know(
    client: Client, tickex: TickEx, ana: Account, extra: dict[str, Any]
) -> None:
    mallory = sign_up(tickex, "mallory@example.com")
    created = client.post("/v1/organizer/events", json=event_body(tickex, **extra),
                          headers=mallory.headers)  # fmt: skip
    assert_problem(created, 422, "validation_failed")
    assert client.get("/v1/organizer/events", headers=mallory.headers).json()["items"] == []

    event_id = client.post("/v1/organizer/events", json=event_body(tickex),
                           headers=ana.headers).json()["id"]  # fmt: skip
    base = f"/v1/organizer/events/{event_id}"
    tt = client.post(f"{base}/ticket-types", json=ticket_type_body(), headers=ana.headers).json()
    before = client.get(base, headers=ana.headers).json()
    before_metrics = metrics(tickex, ana)
    refused = [
        client.patch(base, json={"title": "x", **extra}, headers=ana.headers),
        client.post(f"{base}/ticket-types", json=ticket_type_body(**extra), headers=ana.headers),
        client.patch(f"/v1/organizer/ticket-types/{tt['id']}", json={"name": "y", **extra},
                     headers=ana.headers),
        client.post(f"{base}/quotas", json={"name": "Q", "size": 1, **extra},
                    headers=ana.headers),
        client.post(f"{base}/promo-codes", json={"code": "ABC", "kind": "percent", **extra},
                    headers=ana.headers),
        client.post("/v1/organizer/orders/nope/refund", json=extra, headers=ana.headers),
    ]  # fmt: skip
    for response in refused:
        problem = assert_problem(response, 422, "validation_failed")
        assert any(e["field"] == next(iter(extra)) for e in problem["errors"]), problem
    assert client.get(base, headers=ana.headers).json() == before
    assert metrics(tickex, ana) == before_metrics


def test_refusals_from_the_use_cases_are_problems(
    client: Client, tickex: TickEx, ana: Account
) -> None:
    base = (
        "/v1/organizer/events/"
        + client.post("/v1/organizer/events", json=event_body(tickex), headers=ana.headers).json()[
            "id"
        ]
    )
    assert_problem(client.post(f"{base}/publish", headers=ana.headers), 409, "invalid_transition")
    taken = client.post("/v1/organizer/events", json=event_body(tickex), headers=ana.headers)
    assert_problem(taken, 409, "conflict")
    an_hour_early = tickex.services.clock.now() + timedelta(days=30, hours=-1)
    backwards = event_body(tickex, slug="backwards", ends_at=an_hour_early.isoformat())
    assert_problem(client.post("/v1/organizer/events", json=backwards, headers=ana.headers),
                   422, "validation_failed")  # fmt: skip
    both = client.post("/v1/organizer/orders/x/refund", headers=ana.headers,
                       json={"ticket_ids": ["t"], "amount_minor": 5})  # fmt: skip
    assert_problem(both, 422, "validation_failed")
    text = client.post(f"{base}/quotas", content=b'{"name": "Q", "size": 1}', headers=ana.headers)
    assert_problem(text, 415, "unsupported_media_type")
    assert_problem(client.get("/v1/organizer/events/nope", headers=ana.headers), 404, "not_found")


def test_the_document_says_bodies_are_strict_and_routes_need_a_bearer(client: Client) -> None:
    document = client.get("/schema/openapi.json").json()
    components = document["components"]["schemas"]
    for name in ("CreateEventInput", "UpdateEventInput", "VenueBody", "EventSettingsBody",
                 "CreateTicketTypeInput", "UpdateTicketTypeInput", "CreateQuotaInput",
                 "CreatePromoCodeInput", "RefundOrderInput", "IssueStaffCredentialInput",
                 "ScanInput", "CreateApiKeyInput"):  # fmt: skip
        assert components[name]["additionalProperties"] is False, name
        assert "organizer_id" not in components[name]["properties"], name
    organizer = [op for path, item in document["paths"].items() for op in item.values()
                 if path.startswith("/v1/organizer")]  # fmt: skip
    assert len(organizer) == 20
    assert all(op["security"][0] == {"bearerAuth": []} for op in organizer)  # or an API key
    assert all({"401", "403"} <= set(op["responses"]) for op in organizer)
