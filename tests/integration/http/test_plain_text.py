"""Every text field of every request body is plain text, on every engine: a control
character (NUL, which PostgreSQL cannot store, ESC, DEL, a C1 control), and in a
one-line field also a newline, a carriage return, a tab, U+2028 or a bidi
override, is a 422 that names the field; nothing is stored and nothing is logged at error
level. Descriptions, reasons and notes keep their newlines and tabs. A lone surrogate is
not even JSON the server reads: 400 ``malformed_request``.

The fields are found by walking the OpenAPI document, so a new body or field is covered
without anyone remembering to add it here; ``BODIES`` holds one valid body per operation
that takes one, and the first test proves that list complete against the document."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select

from tests.integration.http.conftest import ACCOUNT_PASSWORD, Shop, open_shop
from tests.integration.http.test_strict_types import every_input
from tests.integration.sql.support import postgres_storage, sqlite_storage
from tickex.adapters.sql import SqlStorage
from tickex.adapters.sql.schema import build_metadata
from tickex.application.door.issue_staff_credential import IssueStaffCredential
from tickex.application.identity.create_admin import CreateAdmin
from tickex.application.identity.log_in import LogIn
from tickex.application.identity.register_user import RegisterUser
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx

Client = TestClient[Litestar]
Body = dict[str, Any]

#: refused in any text field
NOT_TEXT = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f"]
#: refused in a one-line field, too
NOT_A_LINE = ["\n", "\r", "\t", "\u2028", "\u2029", "\u202e", "\u2066"]
#: the fields that may span lines (their types say ``MULTILINE``)
MULTILINE = {"description", "reason", "note"}

START = "2031-05-01T20:00:00Z"
#: a valid body of every operation that takes one, with every text field the document
#: names (the path ids are well formed: the 422 comes before any lookup)
BODIES: dict[str, tuple[str, str, str, Body]] = {
    # operation: (role, method, path, body)
    "register": ("nobody", "POST", "/v1/auth/register", {
        "email": "new@example.com", "password": "p" * 12, "name": "New",
        "organizer_name": "New org"}),
    "login": ("nobody", "POST", "/v1/auth/login", {
        "email": "new@example.com", "password": "p" * 12}),
    "refreshToken": ("nobody", "POST", "/v1/auth/refresh", {"refresh_token": "r" * 20}),
    "logout": ("nobody", "POST", "/v1/auth/logout", {"refresh_token": "r" * 20}),
    "changePassword": ("user", "POST", "/v1/auth/change-password", {
        "current_password": "p" * 12, "new_password": "q" * 12}),
    "verifyEmail": ("nobody", "POST", "/v1/auth/verify-email", {"token": "t" * 20}),
    "requestPasswordReset": ("nobody", "POST", "/v1/auth/password-reset/request", {
        "email": "new@example.com"}),
    "resetPassword": ("nobody", "POST", "/v1/auth/password-reset", {
        "token": "t" * 20, "new_password": "q" * 12}),
    "startGoogleSignIn": ("nobody", "POST", "/v1/auth/google/start", {
        "redirect_uri": "https://app.example.com/callback"}),
    "completeGoogleSignIn": ("nobody", "POST", "/v1/auth/google/complete", {
        "code": "c" * 10, "state": "s" * 10, "flow_token": "f" * 10}),
    "requestOrganizerRole": ("user", "POST", "/v1/me/organizer-request", {
        "organizer_name": "Gull", "note": "We run two festivals."}),
    "rejectOrganizerRequest": ("admin", "POST", "/v1/admin/organizer-requests/r1/reject", {
        "reason": "Not yet."}),
    "resolvePaymentReview": ("admin", "POST", "/v1/admin/payment-reviews/p1/resolve", {
        "note": "Refunded at the provider."}),
    "adminRefundOrder": ("admin", "POST", "/v1/admin/orders/o1/refund", {
        "ticket_ids": ["t1"], "reason": "Asked by phone."}),
    "placeOrder": ("nobody", "POST", "/v1/orders", {
        "event_slug": "nightjar-live", "event_id": "e1",
        "items": [{"ticket_type_id": "tt1", "quantity": 1}],
        "customer_email": "ana@example.com", "customer_name": "Ana", "promo_code": "CREW"}),
    "cancelOrder": ("nobody", "POST", "/v1/orders/o1/cancel", {
        "email": "ana@example.com", "reason": "Cannot come."}),
    "findOrder": ("nobody", "POST", "/v1/orders/lookup", {
        "order_code": "ABCDEFGH", "email": "ana@example.com"}),
    "createApiKey": ("organizer", "POST", "/v1/organizer/api-keys", {
        "name": "Sync", "scopes": ["events:read"]}),
    "createEvent": ("organizer", "POST", "/v1/organizer/events", {
        "title": "Harbour nights", "slug": "harbour-nights", "starts_at": START,
        "ends_at": "2031-05-01T23:00:00Z", "description": "Two stages.",
        "venue": {"name": "Harbour Hall", "address": "1 Quay Street", "city": "Lisbon",
                  "country": "PT"},
        "settings": {"currency": "EUR", "tax_mode": "inclusive", "fee_policy": "pass_on"}}),
    "updateEvent": ("organizer", "PATCH", "/v1/organizer/events/e1", {
        "title": "Harbour nights", "description": "Two stages.", "starts_at": START,
        "ends_at": "2031-05-01T23:00:00Z",
        "venue": {"name": "Harbour Hall", "address": "1 Quay Street", "city": "Lisbon",
                  "country": "PT"},
        "settings": {"currency": "EUR", "tax_mode": "inclusive", "fee_policy": "pass_on"}}),
    "createTicketType": ("organizer", "POST", "/v1/organizer/events/e1/ticket-types", {
        "name": "GA", "price_minor": 2500, "quantity_total": 10, "description": "Standing.",
        "shared_quota_ids": ["q1"], "sales_start": START, "sales_end": START}),
    "updateTicketType": ("organizer", "PATCH", "/v1/organizer/ticket-types/tt1", {
        "name": "GA", "description": "Standing.", "sales_start": START, "sales_end": START}),
    "createQuota": ("organizer", "POST", "/v1/organizer/events/e1/quotas", {
        "name": "Floor", "size": 10}),
    "createPromoCode": ("organizer", "POST", "/v1/organizer/events/e1/promo-codes", {
        "code": "TENOFF", "kind": "percent", "percent_bp": 1000, "valid_from": START,
        "valid_until": START, "ticket_type_ids": ["tt1"]}),
    "issueStaffCredential": ("organizer", "POST", "/v1/organizer/events/e1/staff-credentials",
                             {"label": "North door"}),
    "refundOrder": ("organizer", "POST", "/v1/organizer/orders/o1/refund", {
        "ticket_ids": ["t1"], "reason": "Asked by phone."}),
    "scanTicket": ("staff", "POST", "/v1/scan", {
        "token": "ticket-token", "nonce": "n" * 8, "gate": "north", "device": "phone-1",
        "direction": "entry", "scanned_at": START}),
}  # fmt: skip


# -- the document ------------------------------------------------------------------------
def _resolve(document: Body, schema: Body) -> Body:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def text_fields(
    document: Body, schema: Body, path: tuple[str | int, ...] = ()
) -> set[tuple[str | int, ...]]:
    """The paths of the string values a body schema holds (``0`` for an array's item)."""
    schema = _resolve(document, schema)
    found: set[tuple[str | int, ...]] = set()
    for option in schema.get("anyOf", schema.get("oneOf", [])):
        found |= text_fields(document, option, path)
    if schema.get("type") == "string":
        found.add(path)
    elif schema.get("type") == "array":
        found |= text_fields(document, schema["items"], (*path, 0))
    for name, spec in schema.get("properties", {}).items():
        found |= text_fields(document, spec, (*path, name))
    return found


def bodies_of(document: Body) -> dict[str, Body]:
    """The JSON body schema of every operation that takes one, by operation id."""
    found = {}
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                content = operation["requestBody"]["content"]["application/json"]
                found[operation["operationId"]] = content["schema"]
    return found


def with_text(body: Body, path: tuple[str | int, ...], value: str) -> Body:
    """``body`` with ``value`` at ``path`` (which the valid body gives: the first test)."""
    copy: Body = json.loads(json.dumps(body))
    node: Any = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copy


def dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(step) for step in path)


# -- the engines and the callers -----------------------------------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.requires_postgres)])
def sql(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[SqlStorage]:
    context = sqlite_storage(tmp_path) if request.param == "sqlite" else postgres_storage()
    with context as storage:
        yield storage


@pytest.fixture
def tickex(sql: SqlStorage) -> TickEx:
    return TickEx.in_memory(storage=sql)


@pytest.fixture
def client(tickex: TickEx) -> Iterator[Client]:
    with TestClient(create_app(tickex, rate_policies={})) as test_client:
        yield test_client


@pytest.fixture
def headers(tickex: TickEx) -> dict[str, dict[str, str]]:
    """The bearer header of each role a body-taking operation needs."""
    shop: Shop = open_shop(tickex)
    allowed = TickEx(tickex.services.with_ports(organizer_self_serve=True))
    for email, organizer in (("user@example.com", False), ("org@example.com", True)):
        allowed.register_user(RegisterUser(email=email, password=ACCOUNT_PASSWORD,
                                           name="Someone", as_organizer=organizer))  # fmt: skip
    tickex.create_admin(CreateAdmin(email="boss@example.com", name="Boss",
                                    password=ACCOUNT_PASSWORD))  # fmt: skip
    staff = tickex.issue_staff_credential(
        IssueStaffCredential(organizer_id=shop.organizer_id, event_id=shop.event_id,
                             label="Door")
    ).token  # fmt: skip

    def bearer(email: str) -> dict[str, str]:
        token = tickex.log_in(LogIn(email=email, password=ACCOUNT_PASSWORD)).access_token
        return {"Authorization": f"Bearer {token}"}

    return {"nobody": {}, "user": bearer("user@example.com"),
            "organizer": bearer("org@example.com"), "admin": bearer("boss@example.com"),
            "staff": {"Authorization": f"Bearer {staff}"}}  # fmt: skip


def row_counts(storage: SqlStorage) -> dict[str, int]:
    with storage.engine.connect() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in build_metadata().sorted_tables}  # fmt: skip


# -- the tests ---------------------------------------------------------------------------
def test_every_body_of_the_document_is_listed_with_every_text_field() -> None:
    with TestClient(create_app(TickEx.in_memory())) as client:
        document = client.get("/schema/openapi.json").json()
    schemas = bodies_of(document)
    assert set(BODIES) == set(schemas)
    for operation, schema in schemas.items():
        fields = text_fields(document, schema)
        assert fields, operation
        for path in fields:  # the valid body gives each field, so only it is wrong
            node: Any = BODIES[operation][3]
            for step in path:
                node = node[step]
            assert isinstance(node, str), (operation, path)


def test_the_multiline_fields_are_the_descriptions_reasons_and_notes() -> None:
    declared = {name for model in every_input() for name in model.multiline_fields}
    assert declared == MULTILINE


def test_a_control_character_in_any_text_field_is_a_422_naming_it(
    client: Client, sql: SqlStorage, headers: dict[str, dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    document = client.get("/schema/openapi.json").json()
    before = row_counts(sql)
    checked = 0
    with caplog.at_level(logging.ERROR):
        for operation, schema in bodies_of(document).items():
            role, method, path, body = BODIES[operation]
            for field in sorted(text_fields(document, schema), key=dotted):
                multiline = field[-1] in MULTILINE
                for character in NOT_TEXT + ([] if multiline else NOT_A_LINE):
                    bad = with_text(body, field, f"a{character}b")
                    response = client.request(  # JSON escapes: a lone surrogate too
                        method,
                        path,
                        content=json.dumps(bad),
                        headers={**headers[role], "Content-Type": "application/json"},
                    )
                    assert response.status_code == 422, (operation, field, character,
                                                          response.text)  # fmt: skip
                    problem = response.json()
                    assert problem["code"] == "validation_failed"
                    named = [e["field"] for e in problem["errors"]]
                    assert dotted(field) in named, (operation, field, character, problem)
                    checked += 1
    assert checked > 500
    lone = json.dumps(with_text(BODIES["placeOrder"][3], ("customer_name",), "a\ud800"))
    response = client.post("/v1/orders", content=lone,
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (400, "malformed_request")
    assert row_counts(sql) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


#: the fields taken exactly as typed (passwords, tokens): spaces at their ends are theirs
EXACT = {"password", "current_password", "new_password", "refresh_token", "token", "code",
         "state", "flow_token", "redirect_uri"}  # fmt: skip
PADDED = "must not start or end with spaces"


def test_the_exact_fields_are_the_passwords_and_tokens() -> None:
    assert {name for model in every_input() for name in model.exact_fields} == EXACT


def test_a_one_line_text_with_spaces_at_its_ends_is_a_422_naming_it(
    client: Client, sql: SqlStorage, headers: dict[str, dict[str, str]]
) -> None:
    """Text is taken as sent (never stripped), so the document's bounds are exact: a
    one-line value that starts or ends with whitespace is refused, in words."""
    document = client.get("/schema/openapi.json").json()
    before = row_counts(sql)
    checked = 0
    for operation, schema in bodies_of(document).items():
        role, method, path, body = BODIES[operation]
        for field in sorted(text_fields(document, schema), key=dotted):
            if field[-1] in MULTILINE or field[-1] in EXACT:
                continue
            node: Any = body
            for step in field:
                node = node[step]
            for padded in (f" {node}", f"{node}\u00a0", f"\u3000{node}"):
                response = client.request(
                    method, path, json=with_text(body, field, padded), headers=headers[role]
                )
                assert response.status_code == 422, (operation, field, response.text)
                messages = {e["field"]: e["message"] for e in response.json()["errors"]}
                assert dotted(field) in messages, (operation, field, messages)
                checked += 1
    assert checked > 100
    assert row_counts(sql) == before


def test_a_name_is_bounded_exactly_as_the_document_says(
    client: Client, headers: dict[str, dict[str, str]]
) -> None:
    role, method, path, body = BODIES["createTicketType"]
    spec = client.get("/schema/openapi.json").json()["components"]["schemas"]
    name = spec["CreateTicketTypeInput"]["properties"]["name"]
    assert (name["minLength"], name["maxLength"]) == (1, 200)
    for value, message in ((" " + "a" * 200, "at most 200 characters"), (" ", PADDED),
                           (" a", PADDED), ("a ", PADDED)):  # fmt: skip
        response = client.request(method, path, json={**body, "name": value}, headers=headers[role])
        assert response.status_code == 422, (value, response.text)
        assert [(e["field"], message in e["message"]) for e in response.json()["errors"]] == [
            ("name", True)
        ], response.json()


def test_a_description_keeps_its_newlines_and_tabs(
    client: Client, tickex: TickEx, headers: dict[str, dict[str, str]]
) -> None:
    start = tickex.services.clock.now() + timedelta(days=30)
    body = dict(BODIES["createEvent"][3], starts_at=start.isoformat(),
                ends_at=(start + timedelta(hours=3)).isoformat(),
                description="Doors at 8.\n\tTwo stages.\n")  # fmt: skip
    created = client.post("/v1/organizer/events", json=body, headers=headers["organizer"])
    assert created.status_code == 201, created.text
    stored = tickex.services.read(lambda uow: uow.events.get(created.json()["id"]))
    assert stored is not None
    assert stored.description == "Doors at 8.\n\tTwo stages."  # the ends stripped


def test_a_control_character_in_a_query_parameter_is_a_422_naming_it(client: Client) -> None:
    response = client.get("/v1/orders/o1", params={"email": "ana\x00@example.com"})
    assert response.status_code == 422, response.text
    assert [(e["field"], e["source"]) for e in response.json()["errors"]] == [("email", "query")]


@pytest.mark.parametrize("token", ["abc\tdef", "tx_ak_abc\x7fdef", "abc\x01def"])
def test_a_bearer_token_with_a_control_character_is_not_signed_in(
    client: Client, token: str
) -> None:
    for method, path in (("GET", "/v1/me"), ("POST", "/v1/scan")):
        response = client.request(method, path, headers={"Authorization": f"Bearer {token}"},
                                  json={"token": "t", "nonce": "n" * 8})  # fmt: skip
        assert (response.status_code, response.json()["code"]) == (401, "invalid_token")
