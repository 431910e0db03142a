"""Request bodies are strict about JSON types: a string is never taken for a number or a
boolean, nor a float for an integer. Enumerations are still named by their value and
date-times by RFC 3339 text.

The first test walks every input model the application has, so a new body is covered
without anyone remembering to add it here."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pydantic import BaseModel, ValidationError

from tests.integration.http.conftest import Shop, assert_problem, order_body
from tests.integration.http.test_organizer import event_body, sign_up
from tickex.entrypoints.http import create_app, schemas
from tickex.facade import TickEx

Client = TestClient[Litestar]


def every_input() -> list[type[schemas.Input]]:
    create_app(TickEx.in_memory())  # imports every controller module, and so their inputs
    found: list[type[schemas.Input]] = []
    pending = [schemas.Input]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model is not schemas.Input:
            found.append(model)
    return found


def _scalar_fields(model: type[BaseModel]) -> dict[str, str]:
    """Top-level fields whose JSON type is integer, number or boolean (nullable or not)."""
    properties = model.model_json_schema()["properties"]
    found = {}
    for name, spec in properties.items():
        types = {spec.get("type")} | {option.get("type") for option in spec.get("anyOf", [])}
        for kind in ("integer", "number", "boolean"):
            if kind in types:
                found[name] = kind
    return found


WRONG: dict[str, list[Any]] = {"integer": ["2", 2.0, True], "number": ["2"], "boolean": ["true", 1]}
ERROR_TYPES = {"integer": "int_type", "number": "float_type", "boolean": "bool_type"}


def test_every_scalar_field_of_every_input_refuses_the_wrong_json_type() -> None:
    checked = 0
    for model in every_input():
        for name, kind in _scalar_fields(model).items():
            for value in WRONG[kind]:
                with pytest.raises(ValidationError) as raised:
                    model.model_validate({name: value}, strict=False)  # as Litestar calls it
                errors = [e for e in raised.value.errors() if e["loc"][:1] == (name,)]
                assert errors, f"{model.__name__}.{name} took {value!r}"
                assert any(e["type"] == ERROR_TYPES[kind] for e in errors), (model, name, errors)
                checked += 1
    assert checked >= 40  # the walk found the inputs (orders, accounts, organizer, door)


def test_every_input_is_strict_and_forbids_unknown_fields() -> None:
    for model in every_input():
        assert model.model_config.get("strict") is True, model
        assert model.model_config.get("extra") == "forbid", model


def _enum_nodes(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "enum":
            found.append((path, node))
        for key, value in node.items():
            found += _enum_nodes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _enum_nodes(value, f"{path}/{index}")
    return found


def test_every_enumeration_of_an_input_is_given_by_its_json_value() -> None:
    """A strict enum field wants an enum instance, which JSON cannot carry: every enum of an
    input must be declared ``Choice[...]`` (or be a ``Literal``)."""
    nodes = [(model.__name__ + path, node) for model in every_input()
             for path, node in _enum_nodes(model.__pydantic_core_schema__)]  # fmt: skip
    assert len(nodes) >= 4  # tax mode, fee policy, discount kind, API key scopes
    strict = [path for path, node in nodes if node.get("strict") is not False]
    assert not strict, strict


@pytest.mark.parametrize("quantity", ["2", 2.0, True, "two"])
def test_an_order_quantity_must_be_a_json_integer(
    client: Client, shop: Shop, tickex: TickEx, quantity: Any
) -> None:
    body = order_body(shop, items=[{"ticket_type_id": shop.ga, "quantity": quantity}])
    problem = assert_problem(client.post("/v1/orders", json=body), 422, "validation_failed")
    assert problem["errors"][0]["field"] == "items.0.quantity"
    assert tickex.services.read(lambda uow: uow.orders.list_by_event(shop.event_id)) == []


def test_an_expected_total_must_be_a_json_integer(client: Client, shop: Shop) -> None:
    body = order_body(shop, expected_total_minor="5150")
    assert_problem(client.post("/v1/orders", json=body), 422, "validation_failed")


def test_registering_takes_a_json_boolean_only(client: Client) -> None:
    body = {"email": "x@example.com", "password": "p" * 12, "name": "X", "as_organizer": "no"}
    assert_problem(client.post("/v1/auth/register", json=body), 422, "validation_failed")
    body["as_organizer"] = False
    assert client.post("/v1/auth/register", json=body).status_code == 201


def test_organizer_bodies_keep_enums_and_date_times_by_their_json_text(tickex: TickEx) -> None:
    with TestClient(create_app(tickex)) as client:
        owner = sign_up(tickex, "strict@nightjar.example")
        body = event_body(tickex, slug="strict-show")
        body["settings"] = {"tax_mode": "exclusive", "fee_policy": "absorb", "tax_rate_bp": 600}
        body["starts_at"] = body["starts_at"].replace("T", "t")
        created = client.post("/v1/organizer/events", headers=owner.headers, json=body)
        assert created.status_code == 201, created.text
        event = created.json()
        stored = tickex.services.read(lambda uow: uow.events.get(event["id"]))
        assert stored is not None
        assert (stored.settings.tax_mode, stored.settings.fee_policy) == ("exclusive", "absorb")

        bad = dict(body, slug="strict-show-2", settings={"tax_rate_bp": "600"})
        problem = assert_problem(
            client.post("/v1/organizer/events", headers=owner.headers, json=bad),
            422,
            "validation_failed",
        )
        assert problem["errors"][0]["field"] == "settings.tax_rate_bp"
        bad = dict(body, slug="strict-show-3", starts_at=1_900_000_000)
        assert_problem(
            client.post("/v1/organizer/events", headers=owner.headers, json=bad),
            422,
            "validation_failed",
        )

        path = f"/v1/organizer/events/{event['id']}/ticket-types"
        ticket = {"name": "GA", "price_minor": "2500", "quantity_total": 10}
        assert_problem(
            client.post(path, headers=owner.headers, json=ticket), 422, "validation_failed"
        )
        ticket["price_minor"] = 2500
        assert client.post(path, headers=owner.headers, json=ticket).status_code == 201
        promo = {"code": "TENOFF", "kind": "percent", "percent_bp": 1000}
        path = f"/v1/organizer/events/{event['id']}/promo-codes"
        assert client.post(path, headers=owner.headers, json=promo).status_code == 201
        promo = {"code": "ELEVEN", "kind": "percentage", "percent_bp": 1000}
        assert_problem(
            client.post(path, headers=owner.headers, json=promo), 422, "validation_failed"
        )
