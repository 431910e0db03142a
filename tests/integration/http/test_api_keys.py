"""Organizer API keys over HTTP: an organizer creates a scoped key with their own access
token, an integration calls the organizer routes with ``Authorization: Bearer tkx_ak_...``
inside the key's scopes (403 outside them), and a revoked key is 401 at once. A key never
manages keys and is no account (403 on /v1/me and friends); the door takes staff
credentials only."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem
from tests.integration.http.test_organizer import Account, event_body, sign_up
from tickex.application.identity.issue_api_key import MAX_ACTIVE_API_KEYS, IssueApiKey
from tickex.domain.errors import Forbidden
from tickex.domain.identity import ApiScope, Principal, Role
from tickex.entrypoints.http.guards import API_KEY_SCHEME, API_SCOPE, require_api_scope
from tickex.facade import TickEx

Client = TestClient[Litestar]
KEYS = "/v1/organizer/api-keys"


def create_key(client: Client, owner: Account, *scopes: str, name: str = "Box office") -> Any:
    response = client.post(KEYS, headers=owner.headers,
                           json={"name": name, "scopes": list(scopes)})  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def owner(tickex: TickEx) -> Account:
    return sign_up(tickex, "owner@nightjar.example")


def test_a_key_is_shown_once_works_within_its_scopes_and_dies_when_revoked(
    client: Client, tickex: TickEx, owner: Account
) -> None:
    event = client.post("/v1/organizer/events", headers=owner.headers, json=event_body(tickex))
    assert event.status_code == 201, event.text
    created = client.post(KEYS, headers=owner.headers,
                          json={"name": "Box office sync", "scopes": ["events:read"]})  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    secret = created.json()["secret"]
    key = created.json()["api_key"]
    assert secret.startswith("tkx_ak_")
    assert key["prefix"] == secret[: len("tkx_ak_") + 8]
    assert (key["name"], key["scopes"], key["active"]) == ("Box office sync", ["events:read"], True)
    assert (key["last_used_at"], key["revoked_at"]) == (None, None)

    listed = client.get(KEYS, headers=owner.headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == [key]
    assert secret not in listed.text
    assert "secret" not in listed.json()["items"][0]

    events = client.get("/v1/organizer/events", headers=bearer(secret))
    assert events.status_code == 200, events.text
    assert [e["id"] for e in events.json()["items"]] == [event.json()["id"]]
    one = client.get(f"/v1/organizer/events/{event.json()['id']}", headers=bearer(secret))
    assert one.status_code == 200, one.text
    [used] = client.get(KEYS, headers=owner.headers).json()["items"]
    assert used["last_used_at"] is not None

    outside = client.get("/v1/organizer/metrics", headers=bearer(secret))
    assert "metrics:read" in assert_problem(outside, 403, "forbidden")["detail"]
    write = client.post("/v1/organizer/events", headers=bearer(secret),
                        json=event_body(tickex, slug="by-the-key"))  # fmt: skip
    assert "events:write" in assert_problem(write, 403, "forbidden")["detail"]
    mine = client.get("/v1/organizer/events", headers=owner.headers).json()["items"]
    assert [e["slug"] for e in mine] == ["harbour-nights"]  # the refused write wrote nothing

    revoked = client.post(f"{KEYS}/{key['id']}/revoke", headers=owner.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["active"] is False
    assert revoked.json()["revoked_at"]
    again = client.post(f"{KEYS}/{key['id']}/revoke", headers=owner.headers)
    assert again.status_code == 200, again.text
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    refused = client.get("/v1/organizer/events", headers=bearer(secret))
    assert_problem(refused, 401, "invalid_token")
    assert refused.headers["www-authenticate"].startswith("Bearer")


def test_a_user_token_is_not_limited_by_scopes(
    client: Client, tickex: TickEx, owner: Account
) -> None:
    create_key(client, owner, "events:read")
    assert client.get("/v1/organizer/metrics", headers=owner.headers).status_code == 200


def test_a_key_cannot_manage_keys_even_with_every_scope(
    client: Client, tickex: TickEx, owner: Account
) -> None:
    issued = create_key(client, owner, *[s.value for s in ApiScope])
    key = bearer(issued["secret"])
    minted = client.post(KEYS, headers=key, json={"name": "Child", "scopes": ["events:read"]})
    assert_problem(minted, 403, "forbidden")
    assert_problem(client.get(KEYS, headers=key), 403, "forbidden")
    revoked = client.post(f"{KEYS}/{issued['api_key']['id']}/revoke", headers=key)
    assert_problem(revoked, 403, "forbidden")
    [only] = client.get(KEYS, headers=owner.headers).json()["items"]
    assert only["active"] is True


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/me", None),
        ("POST", "/v1/auth/logout-everywhere", None),
        ("POST", "/v1/auth/change-password",
         {"current_password": "organizer password", "new_password": "a brand new password"}),
    ],
)  # fmt: skip
def test_a_key_is_no_account(
    client: Client, owner: Account, method: str, path: str, body: dict[str, str] | None
) -> None:
    issued = create_key(client, owner, *[s.value for s in ApiScope])
    response = client.request(method, path, headers=bearer(issued["secret"]),
                              **({"json": body} if body is not None else {}))  # fmt: skip
    assert_problem(response, 403, "forbidden")
    assert client.get("/v1/me", headers=owner.headers).status_code == 200  # nothing ended


def test_the_door_takes_staff_credentials_only(client: Client, owner: Account) -> None:
    issued = create_key(client, owner, *[s.value for s in ApiScope])
    scan = client.post("/v1/scan", headers=bearer(issued["secret"]),
                       json={"token": "x" * 20, "nonce": "nonce-0001"})  # fmt: skip
    assert_problem(scan, 401, "invalid_token")


def test_a_key_reaches_only_its_own_organizers_events(
    client: Client, tickex: TickEx, owner: Account
) -> None:
    rival = sign_up(tickex, "rival@other.example")
    theirs = client.post("/v1/organizer/events", headers=rival.headers,
                         json=event_body(tickex, slug="rivals-show")).json()["id"]  # fmt: skip
    key = bearer(create_key(client, owner, *[s.value for s in ApiScope])["secret"])
    for method, path in [("GET", f"/v1/organizer/events/{theirs}"),
                         ("POST", f"/v1/organizer/events/{theirs}/publish"),
                         ("GET", f"/v1/organizer/events/{theirs}/staff-credentials")]:  # fmt: skip
        assert_problem(client.request(method, path, headers=key), 404, "not_found")
    assert client.get("/v1/organizer/events", headers=key).json()["items"] == []


def test_customers_get_no_keys(client: Client, tickex: TickEx) -> None:
    customer = sign_up(tickex, "cy@example.com", organizer=False)
    body = {"name": "Mine", "scopes": ["events:read"]}
    assert_problem(client.post(KEYS, headers=customer.headers, json=body), 403, "forbidden")
    assert_problem(client.get(KEYS, headers=customer.headers), 403, "forbidden")
    assert_problem(client.post(KEYS, json=body), 401, "invalid_token")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Sync", "scopes": ["events:read"], "organizer_id": "org-000001"},
        {"name": "Sync", "scopes": ["events:read"], "secret": "tkx_ak_" + "A" * 43},
        {"name": "Sync", "scopes": ["events:delete"]},
        {"name": "Sync", "scopes": ["EVENTS:READ"]},
        {"name": "Sync", "scopes": []},
        {"name": "Sync", "scopes": "events:read"},
        {"name": "Sync", "scopes": ["events:read"] * 7},
        {"name": "", "scopes": ["events:read"]},
        {"name": "x" * 101, "scopes": ["events:read"]},
        {"name": 7, "scopes": ["events:read"]},
        {"scopes": ["events:read"]},
    ],
)
def test_a_bad_body_is_refused(client: Client, owner: Account, body: dict[str, Any]) -> None:
    response = client.post(KEYS, headers=owner.headers, json=body)
    assert_problem(response, 422, "validation_failed")
    assert client.get(KEYS, headers=owner.headers).json()["items"] == []


def test_an_organizer_holds_a_bounded_number_of_active_keys(
    client: Client, tickex: TickEx, owner: Account
) -> None:
    assert owner.organizer_id is not None
    for n in range(MAX_ACTIVE_API_KEYS):
        tickex.issue_api_key(
            IssueApiKey(organizer_id=owner.organizer_id, name=f"Key {n}",
                        scopes={ApiScope.EVENTS_READ})
        )  # fmt: skip
    refused = client.post(KEYS, headers=owner.headers,
                          json={"name": "One too many", "scopes": ["events:read"]})  # fmt: skip
    assert str(MAX_ACTIVE_API_KEYS) in assert_problem(refused, 409, "conflict")["detail"]
    first = client.get(KEYS, headers=owner.headers).json()["items"][0]["id"]
    assert client.post(f"{KEYS}/{first}/revoke", headers=owner.headers).status_code == 200
    create_key(client, owner, "events:read", name="In its place")


def test_every_organizer_route_names_one_scope_in_the_document(client: Client) -> None:
    document = client.get("/schema/openapi.json").json()
    assert document["components"]["securitySchemes"][API_KEY_SCHEME]["scheme"] == "bearer"
    names = {s.value for s in ApiScope}
    used = set()
    for path, item in document["paths"].items():
        for operation in item.values():
            security = operation.get("security", [])
            keyed = [s[API_KEY_SCHEME] for s in security if API_KEY_SCHEME in s]
            # the key-management routes, and the payment onboarding (a person goes through
            # the provider's pages), take a user's access token only
            user_only = path.startswith(("/v1/organizer/api-keys",
                                         "/v1/organizer/payment-account/onboarding"))  # fmt: skip
            if user_only or not path.startswith("/v1/organizer"):
                assert keyed == [], (path, operation["operationId"])  # no key here
                continue
            assert security[0] == {"bearerAuth": []}
            [[scope]] = keyed
            assert scope in names
            used.add(scope)
    assert used == names  # every scope opens some route: the set is no bigger than needed


@get("/x", sync_to_thread=False, opt={API_SCOPE: ApiScope.EVENTS_READ})
def scoped_handler() -> None:
    return None


@get("/y", sync_to_thread=False)
def unscoped_handler() -> None:
    return None


def test_the_scope_guard_lets_a_key_through_only_within_its_scopes() -> None:
    # the handlers' opt is complete once they are registered with an app
    Litestar(route_handlers=[scoped_handler, unscoped_handler])
    user = Principal("u-1", frozenset({Role.ORGANIZER}), organizer_id="org-1")
    key = Principal(None, frozenset({Role.ORGANIZER}), organizer_id="org-1",
                    scopes=frozenset({ApiScope.EVENTS_READ}), api_key_id="key-1")  # fmt: skip
    narrow = Principal(None, frozenset({Role.ORGANIZER}), organizer_id="org-1",
                       scopes=frozenset({ApiScope.METRICS_READ}), api_key_id="key-2")  # fmt: skip
    empty = Principal(None, frozenset({Role.ORGANIZER}), organizer_id="org-1",
                      scopes=frozenset(), api_key_id="key-3")  # fmt: skip
    for handler in (scoped_handler, unscoped_handler):
        require_api_scope(user, handler)
    require_api_scope(key, scoped_handler)
    for principal, handler in [(key, unscoped_handler), (narrow, scoped_handler),
                               (empty, scoped_handler)]:  # fmt: skip
        with pytest.raises(Forbidden):
            require_api_scope(principal, handler)


def test_the_access_log_names_the_key_never_its_secret(
    client: Client, owner: Account, caplog: pytest.LogCaptureFixture
) -> None:
    created = create_key(client, owner, "events:read")
    caplog.set_level(logging.INFO, "tickex.http.access")
    assert client.get("/v1/organizer/events", headers=bearer(created["secret"])).status_code == 200
    access = [getattr(r, "fields", {}) for r in caplog.records if r.name == "tickex.http.access"]
    (entry,) = [fields for fields in access if fields.get("route") == "/v1/organizer/events"]
    assert entry["api_key_id"] == created["api_key"]["id"]
    assert "user_id" not in entry
    assert created["secret"] not in caplog.text
