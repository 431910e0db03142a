"""The access-control matrix, generated from the OpenAPI document: every operation with a
path parameter (organizer, buyer and admin routes alike) is called by a second organizer,
by the second organizer's API key (holding every scope) and by a customer with ids of the
first organizer's data. Each answers 404 (or 403) --
a foreign id exactly like an unknown one -- and nothing of the first organizer changes.

A new route with a path id fails here until ``CASES`` says how to call it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tests.integration.http.test_organizer import Account, event_body, metrics, sign_up
from tickex.application.catalog.create_promo_code import CreatePromoCode
from tickex.application.catalog.create_quota import CreateQuota
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.door.issue_staff_credential import IssueStaffCredential
from tickex.application.identity.authenticate import Authenticate
from tickex.application.identity.issue_api_key import IssueApiKey
from tickex.application.organizers.request_organizer_role import RequestOrganizerRole
from tickex.application.sales.confirm_payment import ConfirmPayment
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.domain.identity import ApiScope
from tickex.domain.promo_code import DiscountKind
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx

Client = TestClient[Litestar]
UNKNOWN = "zz-unknown-id"
BUYER = "buyer@example.com"
RIVAL_KEY = "second organizer's API key"


@dataclass(frozen=True)
class World:
    """The first organizer's data, and who tries to reach it."""

    owner: Account
    draft_event: str  # has a ticket type: publishing it would succeed
    draft_slug: str
    event: str  # published, with a paid and a pending order
    ticket_type: str
    paid_order: str
    pending_order: str
    actors: dict[str, tuple[Account, str]] = field(default_factory=dict)  # name -> (acct, email)
    staff_credential: str = ""  # a door-scanner credential of the published event
    organizer_request: str = ""  # a customer's pending request for the organizer role
    api_key: str = ""  # the id of an API key of the first organizer


def build_world(tickex: TickEx, client: Client) -> World:
    owner = sign_up(tickex, "owner@nightjar.example")
    org = owner.organizer_id
    assert org is not None
    draft = client.post("/v1/organizer/events", headers=owner.headers,
                        json=event_body(tickex, slug="owners-draft")).json()["id"]  # fmt: skip
    event = client.post("/v1/organizer/events", headers=owner.headers,
                        json=event_body(tickex, slug="owners-show")).json()["id"]  # fmt: skip
    for event_id in (draft, event):
        tt = tickex.create_ticket_type(
            CreateTicketType(organizer_id=org, event_id=event_id, name="Entry",
                             price_minor=2000, quantity_total=20)
        ).id  # fmt: skip
    tickex.create_quota(CreateQuota(organizer_id=org, event_id=event, name="Balcony", size=5))
    tickex.create_promo_code(
        CreatePromoCode(organizer_id=org, event_id=event, code="OWN", kind=DiscountKind.PERCENT,
                        percent_bp=500)
    )  # fmt: skip
    tickex.publish_event(PublishEvent(organizer_id=org, event_id=event))

    def order() -> Any:
        return tickex.place_order(
            PlaceOrder(event_id=event, items=[OrderItem(ticket_type_id=tt, quantity=2)],
                       customer_email=BUYER, customer_name="Buyer")
        )  # fmt: skip

    paid = order()
    reference = tickex.services.read(lambda uow: uow.orders.get(paid.order_id)).payment_reference
    tickex.confirm_payment(
        ConfirmPayment(provider="local", provider_event_id="evt-1", payment_reference=reference,
                       amount_minor=paid.totals.total.amount_minor, currency="EUR")
    )  # fmt: skip
    pending = order()
    rival = sign_up(tickex, "rival@other.example")
    assert rival.organizer_id is not None
    rival_key = tickex.issue_api_key(
        IssueApiKey(organizer_id=rival.organizer_id, name="Rival sync", scopes=frozenset(ApiScope))
    ).secret
    actors = {
        "second organizer": (rival, "rival@other.example"),
        RIVAL_KEY: (Account(rival.user_id, rival.organizer_id,
                            {"Authorization": f"Bearer {rival_key}"}), "rival@other.example"),
        "customer": (sign_up(tickex, "cy@example.com", organizer=False), "cy@example.com"),
    }  # fmt: skip
    staff = tickex.issue_staff_credential(
        IssueStaffCredential(organizer_id=org, event_id=event, label="North gate")
    ).credential.id
    applicant = sign_up(tickex, "applicant@example.com", organizer=False)
    asked = tickex.request_organizer_role(
        RequestOrganizerRole(actor=tickex.authenticate(Authenticate(
            access_token=applicant.headers["Authorization"].removeprefix("Bearer "))))
    ).id  # fmt: skip
    key = tickex.issue_api_key(
        IssueApiKey(organizer_id=org, name="Owner's sync", scopes={ApiScope.EVENTS_READ})
    ).key.id
    return World(owner, draft, "owners-draft", event, tt, paid.order_id, pending.order_id,
                 actors, staff, asked, key)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """How to call one operation at the first organizer's data: its path parameters, a body
    that is valid (so a refusal comes from access control, not from validation), a query,
    and the status each actor gets."""

    path: Callable[[World], dict[str, str]]
    body: Callable[[World, str], dict[str, Any] | None] = lambda w, email: None
    query: Callable[[World, str], dict[str, str]] = lambda w, email: {}
    expect: dict[str, int] = field(
        default_factory=lambda: {"second organizer": 404, RIVAL_KEY: 404, "customer": 403}
    )


ADMIN_ONLY = {"second organizer": 403, RIVAL_KEY: 403, "customer": 403}
BY_EMAIL = {"second organizer": 404, RIVAL_KEY: 404, "customer": 404}  # the email is the key
USER_TOKEN_ONLY = {"second organizer": 404, RIVAL_KEY: 403, "customer": 403}  # key management

CASES: dict[str, Case] = {
    # organizer routes: another organizer's id is unknown to them; a customer has no role
    "getOrganizerEvent": Case(lambda w: {"event_id": w.event}),
    "updateEvent": Case(lambda w: {"event_id": w.event}, body=lambda w, e: {"title": "Pwned"}),
    "publishEvent": Case(lambda w: {"event_id": w.draft_event}),
    "cancelEvent": Case(lambda w: {"event_id": w.event}),
    "createTicketType": Case(
        lambda w: {"event_id": w.event},
        body=lambda w, e: {"name": "Free", "price_minor": 0, "quantity_total": 99},
    ),
    "updateTicketType": Case(
        lambda w: {"ticket_type_id": w.ticket_type},
        body=lambda w, e: {"price_minor": 1, "quantity_total": 9999},
    ),
    "createQuota": Case(
        lambda w: {"event_id": w.event}, body=lambda w, e: {"name": "Mine", "size": 1}
    ),
    "createPromoCode": Case(
        lambda w: {"event_id": w.event},
        body=lambda w, e: {"code": "PWNED", "kind": "percent", "percent_bp": 10_000},
    ),
    "issueStaffCredential": Case(
        lambda w: {"event_id": w.event}, body=lambda w, e: {"label": "Rogue tablet"}
    ),
    "listStaffCredentials": Case(lambda w: {"event_id": w.event}),
    "revokeStaffCredential": Case(lambda w: {"credential_id": w.staff_credential}),
    "refundOrder": Case(lambda w: {"order_id": w.paid_order}, body=lambda w, e: {}),
    "revokeApiKey": Case(lambda w: {"key_id": w.api_key}, expect=USER_TOKEN_ONLY),
    # buyer routes: the order id alone is not enough
    "getOrder": Case(
        lambda w: {"order_id": w.paid_order}, query=lambda w, e: {"email": e}, expect=BY_EMAIL
    ),
    "cancelOrder": Case(
        lambda w: {"order_id": w.pending_order}, body=lambda w, e: {"email": e}, expect=BY_EMAIL
    ),
    # public pages: a draft is invisible to everyone
    "getEvent": Case(lambda w: {"slug": w.draft_slug}, expect=BY_EMAIL),
    # admin routes
    "disableUser": Case(lambda w: {"user_id": w.owner.user_id}, expect=ADMIN_ONLY),
    "approveOrganizerRequest": Case(
        lambda w: {"request_id": w.organizer_request}, expect=ADMIN_ONLY
    ),
    "rejectOrganizerRequest": Case(
        lambda w: {"request_id": w.organizer_request},
        body=lambda w, e: {"reason": "Not this time."},
        expect=ADMIN_ONLY,
    ),
    "adminRefundOrder": Case(
        lambda w: {"order_id": w.paid_order}, body=lambda w, e: {}, expect=ADMIN_ONLY
    ),
    # (the admin role is checked before the review is looked up: any id is refused alike)
    "resolvePaymentReview": Case(
        lambda w: {"review_id": UNKNOWN}, body=lambda w, e: {"note": "Mine now."}, expect=ADMIN_ONLY
    ),
}


def _document() -> dict[str, Any]:
    with TestClient(create_app(TickEx.in_memory())) as client:
        response = client.get("/schema/openapi.json")
        assert response.status_code == 200
        document: dict[str, Any] = response.json()
        return document


def _operations_with_path_ids() -> list[tuple[str, str, str]]:
    """(operation id, method, path template) of every operation with a path parameter."""
    found = []
    for path, item in _document()["paths"].items():
        for method, operation in item.items():
            params = [*item.get("parameters", []), *operation.get("parameters", [])]
            if any(p["in"] == "path" for p in params):
                found.append((operation["operationId"], method.upper(), path))
    return sorted(found)


OPERATIONS = _operations_with_path_ids()
ACTORS = ("second organizer", RIVAL_KEY, "customer")


def test_the_matrix_covers_every_operation_with_a_path_id() -> None:
    documented = {op for op, _, _ in OPERATIONS}
    assert documented - set(CASES) == set(), "add a Case for these operations"
    assert set(CASES) - documented == set(), "these cases name no documented operation"
    assert {"refundOrder", "getOrder", "disableUser", "updateTicketType"} <= documented


def snapshot(tickex: TickEx, world: World) -> str:
    """Everything of the first organizer's that a request could change, as text (so that
    objects shared with the storage cannot change under the comparison)."""

    def read(uow: Any) -> list[Any]:
        events = uow.events.list_by_organizer(world.owner.organizer_id)
        state: list[Any] = [events, uow.users.get(world.owner.user_id),
                            uow.organizer_requests.get(world.organizer_request)]  # fmt: skip
        for event in events:
            state += [uow.ticket_types.list_by_event(event.id), uow.quotas.list_by_event(event.id),
                      uow.promo_codes.list_by_event(event.id),
                      uow.staff_credentials.list_by_event(event.id)]  # fmt: skip
            for order in uow.orders.list_by_event(event.id):
                state += [order, uow.tickets.list_by_order(order.id)]
        return [*state, uow.api_keys.list_by_organizer(world.owner.organizer_id)]

    return repr((metrics(tickex, world.owner), tickex.services.read(read)))


def _call(client: Client, method: str, path: str, case: Case, world: World, actor: str,
          ids: dict[str, str]) -> Any:  # fmt: skip
    account, email = world.actors[actor]
    body = case.body(world, email)
    return client.request(
        method, path.format(**ids), params=case.query(world, email),
        headers=account.headers, **({"json": body} if body is not None else {}),
    )  # fmt: skip


def _comparable(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    body.pop("request_id")
    return body


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("operation_id", "method", "path"), OPERATIONS)
def test_nobody_reaches_the_first_organizers_data(
    client: Client, tickex: TickEx, operation_id: str, method: str, path: str, actor: str
) -> None:
    case = CASES.get(operation_id)
    if case is None:
        pytest.fail(f"{operation_id} ({method} {path}) has a path id but no Case in CASES")
    world = build_world(tickex, client)
    before = snapshot(tickex, world)
    foreign = case.path(world)
    status = case.expect[actor]
    code = "not_found" if status == 404 else "forbidden"

    refused = _call(client, method, path, case, world, actor, foreign)
    assert_problem(refused, status, code)
    unknown = _call(client, method, path, case, world, actor, dict.fromkeys(foreign, UNKNOWN))
    assert_problem(unknown, status, code)
    assert _comparable(refused) == _comparable(unknown)  # a foreign id tells nothing more
    assert snapshot(tickex, world) == before


def test_the_cases_are_real_requests_for_the_owner(client: Client, tickex: TickEx) -> None:
    """The owner's own calls go through (2xx), so each refusal above is access control, not a
    malformed request. The routes identified by a buyer's email are checked with it."""
    world = build_world(tickex, client)
    world.actors["owner"] = (world.owner, BUYER)
    last = {"cancelEvent": 1}  # it cancels the pending order the buyer cancels too
    for operation_id, method, path in sorted(OPERATIONS, key=lambda op: last.get(op[0], 0)):
        case = CASES[operation_id]
        if case.expect is ADMIN_ONLY or operation_id == "getEvent":
            continue  # admins only; drafts are never public
        response = _call(client, method, path, case, world, "owner", case.path(world))
        assert 200 <= response.status_code < 300, (operation_id, response.text)
