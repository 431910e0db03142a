"""User input never becomes a query document.

Each hostile value is first shown to be dangerous when handed to MongoDB raw (the
negative control), then shown to be harmless through the repositories: refused when it is
not a string, matched literally when it is.
"""

from __future__ import annotations

from typing import Any

import pytest

from tickex.adapters.mongo import MongoStorage
from tickex.adapters.mongo.mapping import escape_key, unescape_key
from tickex.domain.errors import ValidationFailed
from tickex.testing import builders as b
from tickex.testing.contracts import in_uow

OPERATORS: list[Any] = [{"$ne": None}, {"$gt": ""}, {"$regex": ".*"}, {"$exists": True}]
DOLLAR_STRINGS = ["$where", "$ne", "$gt", "this.slug == 'x' || true", "a.b", "$$ROOT"]


@pytest.mark.parametrize("hostile", OPERATORS, ids=str)
def test_an_operator_as_slug_is_refused_though_raw_it_would_match(
    storage: MongoStorage, hostile: Any
) -> None:
    in_uow(storage, lambda uow: uow.events.add(b.event(slug="private-show")))
    # negative control: handed to MongoDB raw, the value is an operator and matches
    assert storage.database.events.find_one({"slug": hostile}) is not None
    with pytest.raises(ValidationFailed):
        in_uow(storage, lambda uow: uow.events.get_by_slug(hostile))


@pytest.mark.parametrize("hostile", OPERATORS, ids=str)
def test_operators_are_refused_by_every_lookup(storage: MongoStorage, hostile: Any) -> None:
    order = b.order(customer_email="ann@example.com", payment_reference="cs_1")
    in_uow(storage, lambda uow: uow.orders.add(order))
    in_uow(storage, lambda uow: uow.promo_codes.add(b.promo_code(event_id="e1")))
    in_uow(storage, lambda uow: uow.tickets.add(b.ticket()))
    lookups = [
        lambda uow: uow.orders.get(hostile),
        lambda uow: uow.orders.get_by_code(hostile),
        lambda uow: uow.orders.get_by_payment_reference(hostile),
        lambda uow: uow.orders.list_by_customer(order.event_id, hostile),
        lambda uow: uow.orders.list_by_event(hostile),
        lambda uow: uow.promo_codes.get_by_code("e1", hostile),
        lambda uow: uow.promo_codes.get_by_code(hostile, "SAVE10"),
        lambda uow: uow.tickets.get_by_secret(hostile),
        lambda uow: uow.check_ins.get_by_nonce("e1", hostile),
        lambda uow: uow.quotas.reserve(hostile, 1),
        lambda uow: uow.promo_codes.try_use(hostile),
        lambda uow: uow.holds.end(hostile, "released"),
        lambda uow: uow.ledger.account_totals(hostile),
        lambda uow: uow.processed_events.record("stripe", hostile, b.T0),
    ]
    for lookup in lookups:
        with pytest.raises(ValidationFailed):
            in_uow(storage, lookup)


@pytest.mark.parametrize("hostile", OPERATORS, ids=str)
def test_an_operator_as_email_or_digest_is_refused_though_raw_it_would_match(
    storage: MongoStorage, hostile: Any
) -> None:
    user = b.user(google_subject="g-1")
    session = b.refresh_session(user_id=user.id)
    in_uow(storage, lambda uow: [uow.users.add(user), uow.sessions.add(session)])
    in_uow(storage, lambda uow: uow.one_time_tokens.add(b.one_time_token(user_id=user.id)))
    in_uow(storage, lambda uow: uow.api_keys.add(b.api_key()))
    in_uow(storage, lambda uow: uow.staff_credentials.add(b.staff_credential()))
    in_uow(storage, lambda uow: uow.organizer_requests.add(b.organizer_request(user_id=user.id)))
    # negative controls: handed to MongoDB raw, the value is an operator and matches
    db = storage.database
    assert db.users.find_one({"email": hostile}) is not None
    assert db.refresh_sessions.find_one({"token_hash": hostile}) is not None
    lookups = [
        lambda uow: uow.users.get(hostile),
        lambda uow: uow.users.get_by_email(hostile),
        lambda uow: uow.users.get_by_google_subject(hostile),
        lambda uow: uow.sessions.get_by_token_hash(hostile),
        lambda uow: uow.sessions.rotate(hostile, b.T0),
        lambda uow: uow.sessions.revoke_family(hostile, b.T0),
        lambda uow: uow.sessions.revoke_user(hostile, b.T0),
        lambda uow: uow.one_time_tokens.get_by_hash(hostile),
        lambda uow: uow.one_time_tokens.use(hostile, b.T0),
        lambda uow: uow.api_keys.get_by_hash(hostile),
        lambda uow: uow.api_keys.list_by_organizer(hostile),
        lambda uow: uow.api_keys.revoke(hostile, b.T0),
        lambda uow: uow.api_keys.touch(hostile, b.T0),
        lambda uow: uow.staff_credentials.get_by_hash(hostile),
        lambda uow: uow.staff_credentials.list_by_event(hostile),
        lambda uow: uow.staff_credentials.revoke(hostile, b.T0),
        lambda uow: uow.staff_credentials.touch(hostile, b.T0),
        lambda uow: uow.staff_credentials.get(hostile),
        lambda uow: uow.organizer_requests.get(hostile),
        lambda uow: uow.organizer_requests.list_by_user(hostile),
        lambda uow: uow.payment_reviews.get(hostile),
    ]
    for lookup in lookups:
        with pytest.raises(ValidationFailed):
            in_uow(storage, lookup)
    untouched = in_uow(storage, lambda uow: uow.sessions.get_by_token_hash(session.token_hash))
    assert untouched == session


def test_hostile_values_cannot_be_stored_as_lookup_keys(storage: MongoStorage) -> None:
    hostile: Any = {"$ne": None}
    with pytest.raises(ValidationFailed):
        in_uow(storage, lambda uow: uow.sessions.add(b.refresh_session(token_hash=hostile)))
    with pytest.raises(ValidationFailed):
        in_uow(storage, lambda uow: uow.users.add(b.user(google_subject=hostile)))
    with pytest.raises(ValidationFailed):
        in_uow(storage, lambda uow: uow.api_keys.add(b.api_key(key_hash=hostile)))
    with pytest.raises(ValidationFailed):
        in_uow(
            storage, lambda uow: uow.organizer_requests.add(b.organizer_request(user_id=hostile))
        )
    assert storage.database.organizer_requests.count_documents({}) == 0
    assert storage.database.refresh_sessions.count_documents({}) == 0
    assert storage.database.users.count_documents({}) == 0


@pytest.mark.parametrize("value", DOLLAR_STRINGS)
def test_dollar_strings_as_emails_subjects_and_digests_are_literal(
    storage: MongoStorage, value: str
) -> None:
    in_uow(storage, lambda uow: uow.users.add(b.user(google_subject="g-1")))
    in_uow(storage, lambda uow: uow.sessions.add(b.refresh_session()))
    in_uow(storage, lambda uow: uow.api_keys.add(b.api_key()))
    # nothing is stored under these values: a literal match finds nothing
    assert in_uow(storage, lambda uow: uow.users.get_by_email(value)) is None
    assert in_uow(storage, lambda uow: uow.users.get_by_google_subject(value)) is None
    assert in_uow(storage, lambda uow: uow.sessions.get_by_token_hash(value)) is None
    assert in_uow(storage, lambda uow: uow.api_keys.get_by_hash(value)) is None
    assert in_uow(storage, lambda uow: uow.sessions.revoke_user(value, b.T0)) == 0
    # and once stored, they match exactly themselves
    session = b.refresh_session(token_hash=value)
    in_uow(storage, lambda uow: uow.sessions.add(session))
    assert in_uow(storage, lambda uow: uow.sessions.get_by_token_hash(value)) == session
    assert in_uow(storage, lambda uow: uow.sessions.get_by_token_hash(value + "x")) is None


@pytest.mark.parametrize("value", DOLLAR_STRINGS)
def test_dollar_strings_are_stored_and_matched_literally(storage: MongoStorage, value: str) -> None:
    evt = b.event(slug=value)
    order = b.order(code=value, customer_email=value, payment_reference=value)
    in_uow(storage, lambda uow: uow.events.add(evt))
    in_uow(storage, lambda uow: uow.orders.add(order))
    in_uow(storage, lambda uow: uow.events.add(b.event(slug="other")))
    assert in_uow(storage, lambda uow: uow.events.get_by_slug(value)) == evt
    assert in_uow(storage, lambda uow: uow.orders.get_by_code(value)) == order
    assert in_uow(storage, lambda uow: uow.orders.get_by_payment_reference(value)) == order
    mine = in_uow(storage, lambda uow: uow.orders.list_by_customer(order.event_id, value))
    assert [o.id for o in mine] == [order.id]
    assert storage.database.events.find_one({"_id": evt.id})["slug"] == value  # type: ignore[index]
    # a different dollar string finds nothing
    assert in_uow(storage, lambda uow: uow.events.get_by_slug(value + "x")) is None
    assert in_uow(storage, lambda uow: uow.orders.get_by_code("$exists")) is None


def test_a_promo_code_lookup_with_dollar_text_finds_nothing(storage: MongoStorage) -> None:
    in_uow(storage, lambda uow: uow.promo_codes.add(b.promo_code(event_id="e1", code="VIP-1")))
    for code in ("$where", "$ne", "$regex"):
        assert in_uow(storage, lambda uow, c=code: uow.promo_codes.get_by_code("e1", c)) is None


def test_payload_keys_with_dollars_and_dots_round_trip_and_are_escaped_in_storage(
    storage: MongoStorage,
) -> None:
    payload: dict[str, Any] = {
        "$where": "sleep(1000)",
        "a.b": {"$gt": "", "c.d": [{"$in": [1, 2]}, "$ne"]},
        "~7E": "looks escaped already",
        "~": "~24",
        "nul\x00key": None,
        "plain": "¡olé!",
        "n": 2**62,
    }
    message = b.outbox_message(payload=payload)
    in_uow(storage, lambda uow: uow.outbox.add(message))
    loaded = in_uow(storage, lambda uow: uow.outbox.get(message.id))
    assert loaded is not None
    assert loaded.payload == payload

    raw = storage.database.outbox.find_one({"_id": message.id})
    assert raw is not None

    def keys(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [k for key, item in value.items() for k in (key, *keys(item))]
        if isinstance(value, list):
            return [k for item in value for k in keys(item)]
        return []

    stored = keys(raw["payload"])
    assert stored
    assert not [k for k in stored if k.startswith("$") or "." in k or "\x00" in k]


@pytest.mark.parametrize(
    "bad",
    [{1: "int key"}, {"nested": {("a",): 1}}, {"when": b.T0}, {"big": 2**64}, {"s": {1, 2}}],
    ids=["int-key", "tuple-key", "datetime", "too-big", "set"],
)
def test_payloads_that_are_not_json_compatible_are_refused(
    storage: MongoStorage, bad: dict[Any, Any]
) -> None:
    message = b.outbox_message(payload=bad)
    with pytest.raises(ValidationFailed, match="payload"):
        in_uow(storage, lambda uow: uow.outbox.add(message))
    assert in_uow(storage, lambda uow: uow.outbox.get(message.id)) is None


@pytest.mark.parametrize("key", ["", "$", ".", "~", "~24", "a.$b.~c", "\x00", "~7", "é$.~"])
def test_key_escaping_is_lossless(key: str) -> None:
    escaped = escape_key(key)
    assert not {"$", ".", "\x00"} & set(escaped)
    assert unescape_key(escaped) == key
