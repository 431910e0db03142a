"""Deeply nested JSON, on every operation of the OpenAPI document that takes a body, on the
reference storage, SQLite and PostgreSQL: arrays or objects nested 10,000 levels deep are
400 ``malformed_request`` (the decoder would raise ``RecursionError``: a 500), logged as
the client's error and never as ours; a body nested exactly ``MAX_JSON_DEPTH`` levels is
decoded and validated as usual (422 for the field it does not know), one level more is 400.

A new operation with a body is covered without anyone adding it here; one that needs a
caller this module does not know fails until ``caller`` says who may call it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import assert_problem, login
from tests.integration.http.test_organizer import event_body, sign_up
from tickex.application.identity.create_admin import CreateAdmin
from tickex.entrypoints.http import create_app
from tickex.entrypoints.http.app import MAX_BODY_BYTES
from tickex.entrypoints.http.bodies import MAX_JSON_DEPTH, json_depth_exceeds
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage

Client = TestClient[Litestar]
JSON = {"content-type": "application/json"}
DEEP = 10_000


def arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def objects(depth: int) -> bytes:
    return b'{"":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def in_a_field(depth: int) -> bytes:
    """An object whose one (unknown) field nests arrays: ``depth`` levels in all."""
    return b'{"nested":' + arrays(depth - 1) + b"}"


@pytest.fixture
def tickex(storage: Storage) -> TickEx:
    return TickEx.in_memory(storage=storage)


@pytest.fixture
def client(tickex: TickEx) -> Iterator[Client]:
    with TestClient(create_app(tickex, rate_policies={})) as test_client:
        yield test_client


def body_operations(client: Client) -> list[tuple[str, str, str]]:
    """(method, path with its parameters filled in, operation id) of every operation of
    the document that has a request body."""
    document = client.get("/schema/openapi.json").json()
    found = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                path = template
                for parameter in operation.get("parameters", []) + item.get("parameters", []):
                    if parameter["in"] == "path":
                        path = path.replace("{" + parameter["name"] + "}", "zz-unknown-id")
                found.append((method, path, operation["operationId"]))
    return found


def callers(client: Client, tickex: TickEx) -> dict[str, dict[str, str]]:
    """A bearer header for each kind of caller: the guards run before the body is read,
    so each route is called by someone it lets in."""
    tickex.create_admin(CreateAdmin(email="boss@tickex.example", name="Boss",
                                    password="correct horse battery"))  # fmt: skip
    organizer = sign_up(tickex, "owner@nightjar.example")
    event = client.post("/v1/organizer/events", headers=organizer.headers,
                        json=event_body(tickex)).json()["id"]  # fmt: skip
    staff = client.post(f"/v1/organizer/events/{event}/staff-credentials",
                        headers=organizer.headers, json={"label": "North gate"})  # fmt: skip
    assert staff.status_code == 201, staff.text
    return {
        "admin": login(client, "boss@tickex.example"),
        "organizer": organizer.headers,
        "staff": {"Authorization": f"Bearer {staff.json()['token']}"},
        "customer": sign_up(tickex, "cy@example.com", organizer=False).headers,
    }


def caller(path: str) -> str:
    if path.startswith("/v1/admin/"):
        return "admin"
    if path.startswith("/v1/organizer/"):
        return "organizer"
    if path == "/v1/scan":
        return "staff"
    return "customer"  # the buyer's and the account routes (public ones ignore the header)


def test_every_body_refuses_deep_nesting_as_a_client_error(
    client: Client, tickex: TickEx, caplog: pytest.LogCaptureFixture
) -> None:
    headers = callers(client, tickex)
    operations = body_operations(client)
    assert len(operations) >= 20  # the walk found the bodies (accounts, orders, organizer)
    caplog.set_level(logging.INFO, "tickex")
    caplog.clear()
    for method, path, operation_id in operations:
        sent = JSON | headers[caller(path)]
        for name, body in (("arrays", arrays(DEEP)), ("objects", objects(DEEP)),
                           ("one level too deep", in_a_field(MAX_JSON_DEPTH + 1))):  # fmt: skip
            assert len(body) <= MAX_BODY_BYTES  # not refused for its size
            response = client.request(method, path, content=body, headers=sent)
            assert response.status_code == 400, (operation_id, name, response.text)
            assert_problem(response, 400, "malformed_request")
        at_the_cap = client.request(method, path, content=in_a_field(MAX_JSON_DEPTH), headers=sent)
        problem = assert_problem(at_the_cap, 422, "validation_failed")
        assert "nested" in {e["field"] for e in problem["errors"]}, (operation_id, problem)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    access = [r for r in caplog.records if r.name == "tickex.http.access"]
    assert len(access) == 4 * len(operations)
    assert {getattr(r, "fields", {})["status"] for r in access} == {400, 422}


def _depth(schema: dict[str, Any], components: dict[str, Any], seen: frozenset[str]) -> int:
    """How many levels of arrays and objects a body of ``schema`` can nest."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        assert name not in seen, f"{name} is recursive: no depth would be enough"
        return _depth(components[name], components, seen | {name})
    inner = [_depth(option, components, seen)
             for key in ("anyOf", "oneOf", "allOf") for option in schema.get(key, [])]  # fmt: skip
    if schema.get("type") == "object" or "properties" in schema:
        values = list(schema.get("properties", {}).values())
        if isinstance(schema.get("additionalProperties"), dict):
            values.append(schema["additionalProperties"])
        inner.append(1 + max((_depth(v, components, seen) for v in values), default=0))
    if schema.get("type") == "array" or "items" in schema:
        inner.append(1 + _depth(schema.get("items", {}), components, seen))
    return max(inner, default=0)


@pytest.mark.parametrize("storage", ["memory"], indirect=True)
def test_the_cap_leaves_room_for_the_deepest_body_of_the_document(client: Client) -> None:
    document = client.get("/schema/openapi.json").json()
    components = document["components"]["schemas"]
    deepest = max(
        _depth(operation["requestBody"]["content"]["application/json"]["schema"],
               components, frozenset())
        for item in document["paths"].values() for operation in item.values()
        if isinstance(operation, dict) and "requestBody" in operation
    )  # fmt: skip
    assert 3 <= deepest <= MAX_JSON_DEPTH // 4


@pytest.mark.parametrize("storage", ["memory"], indirect=True)
def test_brackets_in_strings_do_not_count_and_the_scan_is_linear(client: Client) -> None:
    inside = b'{"customer_name": "' + b"[{" * 1000 + b'\\"]"}'  # one field, one level
    assert not json_depth_exceeds(inside)
    response = client.post("/v1/orders", content=inside, headers=JSON)
    assert_problem(response, 422, "validation_failed")
    # a string that never ends: the decoder refuses it; the scan must not go quadratic
    endless = b'{"a": "' + b'\\"' * 30_000 + b"[" * 100
    started = time.perf_counter()
    assert not json_depth_exceeds(endless)
    assert time.perf_counter() - started < 0.5
    assert_problem(client.post("/v1/orders", content=endless, headers=JSON), 400,
                   "malformed_request")  # fmt: skip
    # escapes end where the decoder says: a string ending in an escaped backslash
    assert json_depth_exceeds(b'["\\\\",' + arrays(MAX_JSON_DEPTH) + b"]")
    assert not json_depth_exceeds(b'["\\\\",' + arrays(MAX_JSON_DEPTH - 1) + b"]")
