"""Commands built from Python follow the HTTP bodies' rules: their text is plain text
(``tickex.application.command.PlainText``), and they are strict about types -- ``"2"`` is
not a number, ``"true"`` not a boolean, RFC 3339 text not a ``datetime``; enumerations are
still given by member or by value."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from tickex.application import command
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import SettingsInput, VenueInput
from tickex.application.identity.issue_api_key import IssueApiKey
from tickex.application.identity.register_user import RegisterUser
from tickex.application.organizers.reject_organizer_request import RejectOrganizerRequest
from tickex.application.sales.cancel_order import CancelOrder
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.domain.event import TaxMode
from tickex.domain.identity import ApiScope, Principal, Role
from tickex.facade import TickEx

START = datetime(2031, 5, 1, 20, tzinfo=UTC)
VENUE = {"name": "Harbour Hall", "address": "1 Quay Street"}


def every_command() -> list[type[command.Command]]:
    TickEx.in_memory()  # the facade imports every use case, and so every command
    found, pending = [], [command.Command]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        found.append(model)
    return found


def errors(build: Any, **fields: Any) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as raised:
        build(**fields)
    return [(tuple(e["loc"]), e["type"]) for e in raised.value.errors()]


def order(**overrides: Any) -> dict[str, Any]:
    return {"event_slug": "nightjar-live", "customer_email": "ana@example.com",
            "items": [OrderItem(ticket_type_id="tt1", quantity=2)]} | overrides  # fmt: skip


def event(**overrides: Any) -> dict[str, Any]:
    return {"organizer_id": "o1", "title": "Harbour nights", "slug": "harbour-nights",
            "starts_at": START, "ends_at": START + timedelta(hours=4),
            "venue": VenueInput(**VENUE)} | overrides  # fmt: skip


# -- plain text ----------------------------------------------------------------------------
@pytest.mark.parametrize("character", ["\x00", "\x08", "\x1b", "\x7f", "\x85", "\x9f"])
def test_a_control_character_is_refused_in_any_text_field(character: str) -> None:
    text = f"Ana{character}Lee"
    assert errors(PlaceOrder, **order(customer_name=text)) == [
        (("customer_name",), "control_character")
    ]
    assert errors(CreateEvent, **event(description=text)) == [
        (("description",), "control_character")
    ]
    assert errors(CancelOrder, order_id="o1", organizer_id="o1", reason=text) == [
        (("reason",), "control_character")
    ]


def test_a_lone_surrogate_is_no_text_at_all() -> None:
    assert errors(CreateEvent, **event(description="a\ud800")) == [
        (("description",), "string_unicode")
    ]


@pytest.mark.parametrize("character", ["\n", "\r", "\t", "\u2028", "\u2029", "\u202e", "\u2067"])
def test_a_single_line_refuses_line_breaks_tabs_and_bidi_controls(character: str) -> None:
    assert errors(CreateEvent, **event(title=f"Harbour{character}nights")) == [
        (("title",), "control_character")
    ]
    assert errors(VenueInput, **(VENUE | {"city": f"Lis{character}bon"})) == [
        (("city",), "control_character")
    ]


def test_descriptions_reasons_and_notes_keep_newlines_tabs_and_bidi_text() -> None:
    text = "Doors at 8.\n\tTwo stages, \u202b\u0634\u0643\u0631\u0627\u202c."
    assert CreateEvent(**event(description=text)).description == text
    assert CancelOrder(order_id="o1", organizer_id="o1", reason=text).reason == text
    admin = Principal(user_id="u1", roles=frozenset({Role.ADMIN}))
    assert RejectOrganizerRequest(actor=admin, request_id="r1", reason=text).reason == text


def test_a_nested_field_is_named_by_its_path() -> None:
    venue = {"name": "Harbour\x00Hall", "address": "1 Quay Street"}
    assert errors(CreateEvent, **event(venue=venue)) == [(("venue", "name"), "control_character")]


def test_the_error_names_the_code_point_only() -> None:
    with pytest.raises(ValidationError) as raised:
        RegisterUser(email="a@example.com", password="secret\x00password", name="A")
    (error,) = raised.value.errors(include_input=False)
    assert error["loc"] == ("password",)
    assert error["msg"] == "a single line of text without control characters: U+0000 is not allowed"


def test_no_field_of_any_command_takes_text_with_a_nul() -> None:
    checked = 0
    for model in every_command():
        for name in model.model_fields:
            found = errors(model.model_validate, obj={name: "a\x00b"})
            assert any(loc[:1] == (name,) for loc, _ in found), (model, name, found)
            checked += 1
    assert checked > 150


# -- strict types ------------------------------------------------------------------------
def test_every_command_is_strict() -> None:
    for model in every_command():
        assert model.model_config.get("strict") is True, model


@pytest.mark.parametrize(
    ("build", "fields", "error"),
    [
        (OrderItem, {"ticket_type_id": "tt1", "quantity": "2"}, "int_type"),
        (OrderItem, {"ticket_type_id": "tt1", "quantity": 2.0}, "int_type"),
        (PlaceOrder, order(expected_total_minor="5150"), "int_type"),
        (CreateTicketType, {"organizer_id": "o1", "event_id": "e1", "name": "GA",
                            "price_minor": "2500", "quantity_total": 10}, "int_type"),
        (RegisterUser, {"email": "a@example.com", "password": "p" * 12, "name": "A",
                        "as_organizer": "true"}, "bool_type"),
        (CreateEvent, event(starts_at="2031-05-01T20:00:00Z"), "datetime_type"),
        (PlaceOrder, order(customer_name=7), "string_type"),
    ],
)  # fmt: skip
def test_a_command_does_not_coerce(build: Any, fields: dict[str, Any], error: str) -> None:
    assert [kind for _, kind in errors(build, **fields)] == [error]


def test_enumerations_are_given_by_member_or_value_and_collections_of_them_by_any() -> None:
    assert SettingsInput(tax_mode="exclusive").tax_mode is TaxMode.EXCLUSIVE
    assert SettingsInput(tax_mode=TaxMode.EXCLUSIVE).tax_mode is TaxMode.EXCLUSIVE
    key = IssueApiKey(organizer_id="o1", name="Sync", scopes=["events:read"])  # type: ignore[arg-type]
    assert key.scopes == frozenset({ApiScope.EVENTS_READ})


def test_every_enumeration_field_of_every_command_takes_its_value() -> None:
    """``Choice[...]`` on each: a strict command would otherwise refuse ``"entry"`` for
    ``ScanDirection.ENTRY`` (the HTTP layer passes members, a library caller may not)."""
    models = [*every_command(), SettingsInput]
    fields = [(model, name, field) for model in models
              for name, field in model.model_fields.items()
              if any(isinstance(t, type) and issubclass(t, enum.Enum)
                     for t in (field.annotation, *get_args(field.annotation)))]  # fmt: skip
    assert {(m.__name__, n) for m, n, _ in fields} >= {("CheckInTicket", "direction")}
    unstrict = [(m.__name__, n) for m, n, f in fields
                if not any(getattr(x, "strict", None) is False for x in f.metadata)]  # fmt: skip
    assert unstrict == []
