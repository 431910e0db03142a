"""How documents look in MongoDB, and how the storage is built and migrated."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_type_hints

import mongomock
import pytest

from tickex.adapters.mongo import MongoStorage, supports_transactions
from tickex.adapters.mongo.indexes import INDEXES, Collections
from tickex.adapters.mongo.mapping import SCHEMA_FIELD, SCHEMA_VERSION, SchemaTooNew
from tickex.adapters.mongo.repositories import REPOSITORIES
from tickex.domain.errors import ValidationFailed
from tickex.domain.money import Money
from tickex.ports.unit_of_work import UnitOfWork
from tickex.testing import builders as b
from tickex.testing.contracts import in_uow

PRECISE = datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def test_the_unit_of_work_has_every_repository_of_the_port_and_no_other(
    storage: MongoStorage,
) -> None:
    # the repositories are registered by area (repositories/<area>.py REPOSITORIES)
    ports = get_type_hints(UnitOfWork)
    assert set(REPOSITORIES) == set(ports)
    uow = storage.unit_of_work()
    for attribute, port in ports.items():
        assert type(getattr(uow, attribute)) is REPOSITORIES[attribute]
        assert isinstance(getattr(uow, attribute), port)


def test_datetimes_round_trip_to_the_microsecond_as_aware_utc(storage: MongoStorage) -> None:
    lisbon_summer = timezone(timedelta(hours=1))
    order = b.order(created_at=PRECISE.astimezone(lisbon_summer), paid_at=PRECISE)
    in_uow(storage, lambda uow: uow.orders.add(order))
    loaded = in_uow(storage, lambda uow: uow.orders.get(order.id))
    assert loaded is not None
    assert loaded.created_at == PRECISE
    assert loaded.created_at.tzinfo is UTC
    assert loaded.paid_at == PRECISE
    raw = storage.database.orders.find_one({"_id": order.id})
    assert raw is not None
    # a real BSON date (ms) in UTC, plus the microseconds below the millisecond
    assert raw["created_at"].replace(tzinfo=None) == datetime(2030, 5, 6, 7, 8, 9, 123000)
    assert raw["created_at_us"] == 456
    assert raw["paid_at_us"] == 456
    assert raw["refunded"] == {"amount": 0, "currency": "EUR"}
    assert raw["totals"]["total"] == {"amount": 5000, "currency": "EUR"}


def test_orders_created_in_one_millisecond_keep_their_microsecond_order(
    storage: MongoStorage,
) -> None:
    orders = [
        b.order(event_id="e1", id=f"o-{9 - i}", created_at=PRECISE + timedelta(microseconds=i))
        for i in range(5)
    ]
    in_uow(storage, lambda uow: [uow.orders.add(o) for o in orders])
    listed = in_uow(storage, lambda uow: uow.orders.list_by_event("e1"))
    assert [o.id for o in listed] == [o.id for o in reversed(orders)]


def test_naive_datetimes_are_refused(storage: MongoStorage) -> None:
    naive = b.organizer(created_at=datetime(2030, 1, 1))
    with pytest.raises(ValidationFailed, match="timezone-aware"):
        in_uow(storage, lambda uow: uow.organizers.add(naive))
    with pytest.raises(ValidationFailed, match="timezone-aware"):
        in_uow(storage, lambda uow: uow.outbox.due(datetime(2030, 1, 1), 5))


def test_amounts_beyond_int64_are_refused(storage: MongoStorage) -> None:
    huge = b.ticket(price_paid=Money(2**63, "EUR"))
    with pytest.raises(ValidationFailed, match="64-bit"):
        in_uow(storage, lambda uow: uow.tickets.add(huge))


def test_every_document_carries_the_schema_version(storage: MongoStorage) -> None:
    def fill(uow: Any) -> None:
        uow.organizers.add(b.organizer())
        uow.events.add(b.event())
        uow.ticket_types.add(b.ticket_type())
        uow.quotas.add(b.quota())
        uow.promo_codes.add(b.promo_code())
        uow.holds.add(b.hold())
        uow.orders.add(b.order())
        uow.tickets.add(b.ticket())
        uow.check_ins.add(b.check_in())
        uow.ledger.append(b.sale())
        uow.outbox.add(b.outbox_message())
        uow.processed_events.record("stripe", "evt_1", b.T0)
        uow.payment_reviews.add(b.payment_review())
        uow.users.add(b.user())
        uow.sessions.add(b.refresh_session())
        uow.one_time_tokens.add(b.one_time_token())
        uow.api_keys.add(b.api_key())
        uow.staff_credentials.add(b.staff_credential())
        uow.organizer_requests.add(b.organizer_request())
        uow.idempotency.claim(b.idempotency_record())

    in_uow(storage, fill)
    for name in Collections.ALL:
        if name == Collections.COUNTERS:
            continue
        docs = list(storage.database[name].find())
        assert docs, name
        assert all(d[SCHEMA_FIELD] == SCHEMA_VERSION for d in docs), name


def test_a_document_from_a_newer_schema_is_not_misread(storage: MongoStorage) -> None:
    org = b.organizer()
    in_uow(storage, lambda uow: uow.organizers.add(org))
    storage.database.organizers.update_one({"_id": org.id}, {"$set": {SCHEMA_FIELD: 99}})
    with pytest.raises(SchemaTooNew, match="upgrade TickEx"):
        in_uow(storage, lambda uow: uow.organizers.get(org.id))


def test_migrate_creates_every_index_and_is_idempotent(storage: MongoStorage) -> None:
    storage.migrate()  # the fixture migrated once already
    assert set(Collections.ALL) <= set(storage.database.list_collection_names())
    for index in INDEXES:
        info = storage.database[index.collection].index_information()
        assert index.name in info, index.name
        assert [k for k, _ in info[index.name]["key"]] == list(index.keys)
        assert bool(info[index.name].get("unique")) == index.unique
        assert info[index.name].get("partialFilterExpression") == index.partial
        assert info[index.name].get("expireAfterSeconds") == index.expire_after
    uniques = {(i.collection, i.keys) for i in INDEXES if i.unique}
    assert uniques == {
        ("events", ("slug",)),
        ("orders", ("code",)),
        ("tickets", ("secret",)),
        ("promo_codes", ("event_id", "code")),
        ("check_ins", ("event_id", "nonce")),
        ("outbox", ("idempotency_key",)),
        ("processed_events", ("provider", "event_id")),
        ("payment_reviews", ("provider", "event_id")),
        ("ledger", ("sequence",)),
        ("users", ("email",)),
        ("users", ("google_subject",)),
        ("refresh_sessions", ("token_hash",)),
        ("one_time_tokens", ("token_hash",)),
        ("api_keys", ("key_hash",)),
        ("staff_credentials", ("token_hash",)),
        ("organizer_requests", ("user_id",)),
        ("idempotency_keys", ("scope", "key_digest")),
    }
    ttl = {(i.collection, i.keys): i.expire_after for i in INDEXES if i.expire_after is not None}
    assert ttl == {("idempotency_keys", ("expires_at",)): 0}
    partial = {(i.collection, i.name): i.partial for i in INDEXES if i.partial is not None}
    assert partial == {
        ("users", "google_subject_unique"): {"google_subject": {"$type": "string"}},
        ("organizer_requests", "pending_user_unique"): {"status": "pending"},
    }
    assert storage.database.counters.find_one({"_id": "ledger_sequence"}) == {
        "_id": "ledger_sequence",
        "value": 0,
    }


def test_a_provider_and_event_id_that_concatenate_alike_stay_distinct(
    storage: MongoStorage,
) -> None:
    assert in_uow(storage, lambda uow: uow.processed_events.record("a:b", "c", b.T0))
    assert in_uow(storage, lambda uow: uow.processed_events.record("a", "b:c", b.T0))


def test_repositories_refuse_work_outside_a_unit(storage: MongoStorage) -> None:
    uow = storage.unit_of_work()  # no I/O, no session, no lock yet
    with pytest.raises(RuntimeError, match="context manager"):
        uow.organizers.get("x")
    with uow, pytest.raises(RuntimeError, match="twice"), uow:
        pass


def test_serialized_units_run_one_at_a_time(storage: MongoStorage) -> None:
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait()
        with storage.unit_of_work():
            order.append("second entered")

    thread = threading.Thread(target=second)
    thread.start()
    with storage.unit_of_work():
        inside.set()
        time.sleep(0.05)
        order.append("first leaving")
    thread.join()
    assert order == ["first leaving", "second entered"]


def test_from_url_picks_the_database() -> None:
    cases = {
        ("mongodb://127.0.0.1:1/shop?retryWrites=true", None): "shop",
        ("mongodb://127.0.0.1:1/shop", "override"): "override",
        ("mongodb://127.0.0.1:1", None): "tickex",
        ("mongodb://127.0.0.1:1/", None): "tickex",
    }
    for (url, database), expected in cases.items():
        s = MongoStorage.from_url(url, database, connect=False, mode="transactions")
        try:
            assert s.database.name == expected
            assert s.database.codec_options.tz_aware
            assert s.transactional
        finally:
            s.close()
    with pytest.raises(ValueError, match="mongodb"):
        MongoStorage.from_url("postgresql://localhost/tickex")


def test_the_topology_is_asked_once_with_hello() -> None:
    class HelloClient:
        """A mongomock client that answers ``hello`` as a given server would."""

        def __init__(self, hello: dict[str, Any]) -> None:
            self._mock = mongomock.MongoClient()
            self.hello, self.asked = hello, 0
            self.admin = self

        def command(self, name: str) -> dict[str, Any]:
            assert name == "hello"
            self.asked += 1
            return self.hello

        def get_database(self, name: str, **options: Any) -> Any:
            return self._mock.get_database(name, **options)

    replica = HelloClient({"setName": "rs0", "isWritablePrimary": True})
    s = MongoStorage(replica)
    assert s.transactional
    assert s.transactional  # cached: not asked again
    assert replica.asked == 1
    assert not MongoStorage(HelloClient({"isWritablePrimary": True})).transactional
    assert MongoStorage(HelloClient({"msg": "isdbgrid"})).transactional
    assert not MongoStorage(replica, mode="compensating").transactional
    assert supports_transactions({"setName": "atlas-xyz-shard-0"})
    with pytest.raises(ValueError, match="mode"):
        MongoStorage(replica, mode="optimistic")  # type: ignore[arg-type]


def test_ping_answers(storage: MongoStorage) -> None:
    assert storage.ping()


def test_ping_is_false_when_no_server_answers() -> None:
    s = MongoStorage.from_url("mongodb://127.0.0.1:1/", serverSelectionTimeoutMS=200)
    try:
        assert not s.ping()
    finally:
        s.close()
