"""Validation messages are for people, on SQLite and PostgreSQL: a value that does not match
a field's pattern is a 422 naming the field with what the field asks for in words ("must
be an email address like name@example.com"), never the regular expression, which stays in
the OpenAPI document for clients to check with.

The fields are found by walking the document's body schemas (``test_plain_text`` holds a
valid body of each operation and the callers), so a new pattern is covered at once; one
without words in ``PATTERN_MESSAGES`` still answers without its regular expression."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http import test_plain_text as plain
from tests.integration.http.test_plain_text import BODIES, _resolve, bodies_of, dotted, with_text
from tickex.application.command import PATTERN_MESSAGES
from tickex.entrypoints.http.problems import human_message

Client = TestClient[Litestar]
Body = dict[str, Any]
# the engines (SQLite, PostgreSQL), the client and each role's bearer header, as there
sql, tickex, client, headers = plain.sql, plain.tickex, plain.client, plain.headers
#: what a regular expression is written with, and no sentence of ours needs
SOUP = ("^", "$", "[", "]", "\\", "(?", "{", "}", "+", "*", "pattern", "regex", "`")


def pattern_fields(document: Body, schema: Body, path: tuple[str | int, ...] = ()) -> dict[
    tuple[str | int, ...], Body
]:  # fmt: skip
    """The string schemas with a ``pattern`` that a body schema holds, by path."""
    schema = _resolve(document, schema)
    found: dict[tuple[str | int, ...], Body] = {}
    for option in schema.get("anyOf", schema.get("oneOf", [])):
        found |= pattern_fields(document, option, path)
    if schema.get("type") == "string" and "pattern" in schema:
        found[path] = schema
    elif schema.get("type") == "array":
        found |= pattern_fields(document, schema["items"], (*path, 0))
    for name, spec in schema.get("properties", {}).items():
        found |= pattern_fields(document, spec, (*path, name))
    return found


def not_matching(schema: Body) -> str:
    """A value no pattern of ours takes, within the field's length bounds."""
    return "!" * max(schema.get("minLength", 1), min(3, schema.get("maxLength", 3)))


def assert_for_people(message: str) -> None:
    assert message
    assert not [piece for piece in SOUP if piece in message], message


def test_a_value_not_matching_a_pattern_is_told_in_words_naming_the_field(
    client: Client, headers: dict[str, dict[str, str]]
) -> None:
    document = client.get("/schema/openapi.json").json()
    checked = set()
    for operation, schema in bodies_of(document).items():
        role, method, path, body = BODIES[operation]
        for field, spec in pattern_fields(document, schema).items():
            bad = with_text(body, field, not_matching(spec))
            response = client.request(method, path, json=bad, headers=headers[role])
            assert response.status_code == 422, (operation, field, response.text)
            problem = response.json()
            assert problem["code"] == "validation_failed"
            messages = {e["field"]: e["message"] for e in problem["errors"]}
            assert dotted(field) in messages, (operation, field, problem)
            assert_for_people(messages[dotted(field)])
            assert messages[dotted(field)] == PATTERN_MESSAGES[spec["pattern"]]
            checked.add(str(field[-1]))
    assert {"email", "customer_email", "slug", "ticket_type_id", "currency", "country",
            "code"} <= checked, checked  # fmt: skip


def test_an_invalid_email_says_what_an_email_address_looks_like(
    client: Client, headers: dict[str, dict[str, str]]
) -> None:
    response = client.post("/v1/auth/login", json={"email": "ana", "password": "p" * 12})
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "email", "source": "body",
        "message": "must be an email address like name@example.com"}]  # fmt: skip


ORDER = {"event_slug": "nightjar-live", "customer_email": "ana@example.com",
         "customer_name": "Ana", "items": [{"ticket_type_id": "tt1", "quantity": 1}]}  # fmt: skip


def test_a_parameter_not_matching_its_pattern_is_told_in_words(
    client: Client, headers: dict[str, dict[str, str]]
) -> None:
    cases = [  # query, path and header parameters (msgspec words these)
        ("GET", "/v1/orders/o1?email=ana", {}, ("email", "query")),
        ("GET", "/v1/orders/o%20o?email=ana@example.com", {}, ("order_id", "path")),
        ("GET", "/v1/events/Not_A_Slug", {}, ("slug", "path")),
        ("POST", "/v1/orders", {"Idempotency-Key": "a key with spaces"},
         ("idempotency_key", "header")),
    ]  # fmt: skip
    for method, path, extra, named in cases:
        body = ORDER if method == "POST" else None
        response = client.request(method, path, json=body, headers=extra)
        assert response.status_code == 422, (path, response.text)
        errors = {(e["field"].lower(), e["source"]): e["message"]
                  for e in response.json()["errors"]}  # fmt: skip
        key = (named[0].lower(), named[1])
        assert key in errors, (path, errors)
        assert_for_people(errors[key])


def test_a_parameter_out_of_bounds_or_of_another_type_is_told_in_words(client: Client) -> None:
    cases = {"/v1/events?limit=0": ("limit", "must be an integer, at least 1"),
             "/v1/events?limit=many": ("limit", "must be an integer"),
             "/v1/events/ab": ("slug", "must have at least 3 characters")}  # fmt: skip
    for path, (field, message) in cases.items():
        response = client.get(path)
        assert response.status_code == 422, (path, response.text)
        assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [(field, message)]


def test_a_pattern_without_words_is_still_not_shown() -> None:
    for message in ("String should match pattern '^[a-f]{4}$'",
                    "Expected `str` matching regex '^[a-f]{4}\\\\d$'"):  # fmt: skip
        assert_for_people(human_message(message))
    assert human_message("Value error, an RFC 3339 date-time") == "an RFC 3339 date-time"
    assert human_message("Field required") == "Field required"


def test_the_scan_nonce_bounds_are_in_the_document_and_checked(
    client: Client, headers: dict[str, dict[str, str]]
) -> None:
    document = client.get("/schema/openapi.json").json()
    nonce = document["components"]["schemas"]["ScanInput"]["properties"]["nonce"]
    assert (nonce["minLength"], nonce["maxLength"]) == (8, 100)
    assert "new for each scan" in nonce["description"]
    response = client.post("/v1/scan", json={"token": "t", "nonce": "n" * 7},
                           headers=headers["staff"])  # fmt: skip
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["nonce"]
    assert_for_people(response.json()["errors"][0]["message"])
