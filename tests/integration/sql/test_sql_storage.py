"""What the SQL adapter promises beyond the storage contract: migrations, the schema's
own integrity rules, the append-only ledger, datetimes, URLs, and crash safety."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from sqlalchemy import MetaData, Table, UniqueConstraint, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.integration.sql.harness import hold_and_die, kill_when_ready
from tests.integration.sql.shop import TypeSpec, counters, database, open_shop, orders
from tests.integration.sql.support import (
    POSTGRES_URL,
    drop_schema,
    new_schema_name,
    require_postgres,
)
from tests.integration.sql.unguarded import UnguardedSqlStorage
from tickex.adapters.sql import SqlStorage, SqlUnitOfWork, migrations, normalize_url
from tickex.adapters.sql import schema as s
from tickex.adapters.sql.migrations import LATEST_VERSION, current_version
from tickex.adapters.sql.migrations import migrate as run_migrations
from tickex.adapters.sql.repositories import REPOSITORIES
from tickex.domain.check_in import CheckInResult, RejectionReason, ScanDirection
from tickex.domain.errors import ConcurrencyConflict, Conflict
from tickex.entrypoints.demo import run_demo
from tickex.facade import TickEx
from tickex.ports.unit_of_work import UnitOfWork
from tickex.testing import builders as b

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.requires_postgres)]


@pytest.fixture(params=ENGINES)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    with database(request.param, tmp_path) as (_, st):
        yield st


# -- migrations ---------------------------------------------------------------------------
def test_migrate_records_every_version_and_is_idempotent(storage: SqlStorage) -> None:
    with storage.engine.connect() as conn:
        assert current_version(conn) == LATEST_VERSION
        conn.rollback()
    storage.migrate()  # again: nothing to do, nothing breaks
    assert run_migrations(storage.engine) == []
    with storage.engine.connect() as conn:
        versions = conn.execute(select(s.schema_version.c.version)).scalars().all()
        names = set(inspect(conn).get_table_names())
        conn.rollback()
    assert sorted(versions) == [m.version for m in migrations.MIGRATIONS]
    assert set(s.metadata.tables) <= names


@contextmanager
def _unmigrated(engine: str, tmp_path: Path) -> Iterator[SqlStorage]:
    """A storage on an empty database (PostgreSQL: a schema of its own, dropped after)."""
    if engine == "sqlite":
        storage = SqlStorage(f"sqlite:///{tmp_path}/upgraded.db")
        try:
            yield storage
        finally:
            storage.close()
        return
    require_postgres()
    name = new_schema_name()
    storage = SqlStorage(POSTGRES_URL, schema=name)
    try:
        yield storage
    finally:
        storage.close()
        drop_schema(name)


def _version_3_metadata() -> MetaData:
    """What ``schema.py`` described when version 3 shipped: no identity tables yet."""
    return _without(_version_4_metadata(), s.IDENTITY_TABLES)


def _version_4_metadata() -> MetaData:
    """What ``schema.py`` described when version 4 shipped: no organizer requests, no
    idempotency keys yet. (Organizers keep their payment columns, so that this version's
    repositories can write them; version 5's test checks the step that adds them.)"""
    md = _without(s.build_metadata(), (*s.IDEMPOTENCY_TABLES, *s.PAYMENT_REVIEW_TABLES))
    return _without(md, s.ORGANIZER_REQUEST_TABLES)


def _without(md: MetaData, names: Sequence[str]) -> MetaData:
    for name in names:
        md.remove(md.tables[name])
    return md


def _version_5_metadata() -> MetaData:
    """What ``schema.py`` described when version 5 shipped: no idempotency keys yet, and
    organizers without their payment account's state (nor its index)."""
    md = _without(s.build_metadata(), (*s.IDEMPOTENCY_TABLES, *s.PAYMENT_REVIEW_TABLES))
    old = md.tables["organizers"]
    md.remove(old)
    kept = [c._copy() for c in old.columns if c.name not in s.PAYMENT_ACCOUNT_COLUMNS]
    Table("organizers", md, *kept)
    return md


def _version_7_metadata() -> MetaData:
    """What ``schema.py`` described when version 7 shipped: no payment reviews yet."""
    return _without(s.build_metadata(), s.PAYMENT_REVIEW_TABLES)


def _migrate_as_shipped(
    storage: SqlStorage,
    monkeypatch: pytest.MonkeyPatch,
    version: int,
    metadata: Callable[[], MetaData],
    missing: Sequence[str],
) -> None:
    """Migrate an empty database with the runner and schema as ``version`` shipped them,
    and check that the tables the next steps add are not there yet."""
    with monkeypatch.context() as m:
        m.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:version])
        m.setattr(migrations, "build_metadata", metadata)
        storage.migrate()
    with storage.engine.connect() as conn:
        assert current_version(conn) == version
        assert not set(missing) & set(inspect(conn).get_table_names())
        conn.rollback()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_at_version_3_upgrades_to_the_identity_tables(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = b.organizer()
    with _unmigrated(engine, tmp_path) as storage:
        _migrate_as_shipped(storage, monkeypatch, 3, _version_3_metadata, s.IDENTITY_TABLES)
        with storage.unit_of_work() as uow:
            uow.organizers.add(org)
            uow.commit()

        assert run_migrations(storage.engine) == [m.version for m in migrations.MIGRATIONS[3:]]
        assert run_migrations(storage.engine) == []
        with storage.engine.connect() as conn:
            assert current_version(conn) == LATEST_VERSION
            found = inspect(conn)
            for name in s.IDENTITY_TABLES:
                table = s.metadata.tables[name]
                uniques = {u["name"] for u in found.get_unique_constraints(name)}
                indexes = {i["name"] for i in found.get_indexes(name)}
                named = {c.name for c in table.constraints if isinstance(c, UniqueConstraint)}
                assert named <= uniques
                assert {i.name for i in table.indexes} <= indexes
            conn.rollback()
        user = b.user(google_subject="g-1")
        with storage.unit_of_work() as uow:
            uow.users.add(user)
            uow.sessions.add(b.refresh_session(user_id=user.id))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.organizers.get(org.id) == org
            assert uow.users.get_by_google_subject("g-1") == user
            assert uow.sessions.revoke_user(user.id, b.T0) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_at_version_4_upgrades_to_organizer_requests(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = b.user()
    with _unmigrated(engine, tmp_path) as storage:
        _migrate_as_shipped(
            storage, monkeypatch, 4, _version_4_metadata, s.ORGANIZER_REQUEST_TABLES
        )
        with storage.unit_of_work() as uow:
            uow.users.add(user)
            uow.commit()

        assert run_migrations(storage.engine) == [m.version for m in migrations.MIGRATIONS[4:]]
        assert run_migrations(storage.engine) == []
        with storage.engine.connect() as conn:
            assert current_version(conn) == LATEST_VERSION
            indexes = {i["name"] for i in inspect(conn).get_indexes("organizer_requests")}
            assert {i.name for i in s.organizer_requests.indexes} <= indexes
            conn.rollback()
        with storage.unit_of_work() as uow:
            assert uow.users.get(user.id) == user
            uow.organizer_requests.add(b.organizer_request(user_id=user.id))
            uow.commit()
        with pytest.raises(Conflict), storage.unit_of_work() as uow:  # the index is there
            uow.organizer_requests.add(b.organizer_request(user_id=user.id))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_at_version_5_upgrades_to_the_organizers_payment_account_state(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = b.organizer(payment_account_id="acct_old")
    with _unmigrated(engine, tmp_path) as storage:
        with monkeypatch.context() as m:  # the runner as version 5 shipped it
            m.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:5])
            m.setattr(migrations, "build_metadata", _version_5_metadata)
            storage.migrate()
        with storage.engine.begin() as conn:  # a row as version 5 wrote it
            assert "charges_enabled" not in {c["name"] for c in inspect(conn).get_columns(
                "organizers")}  # fmt: skip
            conn.execute(insert(_version_5_metadata().tables["organizers"]).values(
                id=org.id, name=org.name, email=org.email, created_at=org.created_at,
                payment_account_id="acct_old", version=0))  # fmt: skip

        assert run_migrations(storage.engine) == [m.version for m in migrations.MIGRATIONS[5:]]
        assert run_migrations(storage.engine) == []
        with storage.engine.connect() as conn:
            indexes = {i["name"] for i in inspect(conn).get_indexes("organizers")}
            assert "ix_organizers_payment_account" in indexes
            conn.rollback()
        with storage.unit_of_work() as uow:
            found = uow.organizers.get_by_payment_account("acct_old")
            assert found == org  # disabled, nothing due, never reported
            assert found is not None
            assert found.update_payment_account(
                "acct_old", charges_enabled=True, payouts_enabled=False,
                requirements_due=("external_account",), disabled_reason=None, as_of=b.T0,
            )  # fmt: skip
            uow.organizers.save(found)
            uow.commit()
        with storage.unit_of_work() as uow:
            again = uow.organizers.get(org.id)
            assert again is not None
            assert (again.charges_enabled, again.requirements_due) == (True, ("external_account",))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_at_version_5_upgrades_to_idempotency_keys(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = b.organizer_request()
    with _unmigrated(engine, tmp_path) as storage:
        _migrate_as_shipped(storage, monkeypatch, 5, _version_5_metadata, s.IDEMPOTENCY_TABLES)
        with storage.unit_of_work() as uow:
            uow.organizer_requests.add(request)
            uow.commit()

        assert run_migrations(storage.engine) == [m.version for m in migrations.MIGRATIONS[5:]]
        assert run_migrations(storage.engine) == []
        with storage.engine.connect() as conn:
            found = inspect(conn)
            uniques = {u["name"] for u in found.get_unique_constraints("idempotency_keys")}
            indexes = {i["name"] for i in found.get_indexes("idempotency_keys")}
            conn.rollback()
        assert "uq_idempotency_keys_scope_key" in uniques
        assert {i.name for i in s.idempotency_keys.indexes} <= indexes
        record = b.idempotency_record()
        with storage.unit_of_work() as uow:
            assert uow.organizer_requests.get(request.id) == request
            assert uow.idempotency.claim(record)
            assert not uow.idempotency.claim(b.idempotency_record(key_digest=record.key_digest))
            uow.commit()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_at_version_7_upgrades_to_payment_reviews(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = b.order()
    with _unmigrated(engine, tmp_path) as storage:
        _migrate_as_shipped(storage, monkeypatch, 7, _version_7_metadata, s.PAYMENT_REVIEW_TABLES)
        with storage.unit_of_work() as uow:
            uow.orders.add(order)
            uow.commit()

        assert run_migrations(storage.engine) == [m.version for m in migrations.MIGRATIONS[7:]]
        assert run_migrations(storage.engine) == []
        with storage.engine.connect() as conn:
            found = inspect(conn)
            uniques = {u["name"] for u in found.get_unique_constraints("payment_reviews")}
            indexes = {i["name"] for i in found.get_indexes("payment_reviews")}
            conn.rollback()
        assert "uq_payment_reviews_provider_event" in uniques
        assert {i.name for i in s.payment_reviews.indexes} <= indexes
        review = b.payment_review(order_id=order.id)
        with storage.unit_of_work() as uow:
            assert uow.orders.get(order.id) == order
            uow.payment_reviews.add(review)
            uow.commit()
        with pytest.raises(Conflict), storage.unit_of_work() as uow:  # the constraint is there
            uow.payment_reviews.add(b.payment_review(event_id=review.event_id))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_step_missing_below_the_latest_is_still_applied(engine: str, tmp_path: Path) -> None:
    """Migration 7 (payment accounts) landed before 6 (idempotency keys): a database
    migrated in between has 7 and not 6, and must still get 6."""
    with _unmigrated(engine, tmp_path) as storage:
        storage.migrate()
        with storage.engine.begin() as conn:
            s.idempotency_keys.drop(conn)
            conn.execute(s.schema_version.delete().where(s.schema_version.c.version == 6))
        assert run_migrations(storage.engine) == [6]
        assert run_migrations(storage.engine) == []
        with storage.unit_of_work() as uow:
            assert uow.idempotency.claim(b.idempotency_record())
            uow.commit()


@pytest.mark.parametrize("engine", ENGINES)
def test_version_11_zero_pads_the_years_sqlite_stored_without(engine: str, tmp_path: Path) -> None:
    """Before version 11, SQLite stored a year below 1000 as strftime wrote it ('999-...',
    which does not read back): the step pads every datetime column; PostgreSQL has nothing
    to fix. A padded value is left as it is."""
    evt = b.event(starts_at=datetime(999, 1, 1, tzinfo=UTC),
                  ends_at=datetime(999, 1, 1, 3, 0, 0, 7, tzinfo=UTC),
                  created_at=datetime(5, 6, 7, tzinfo=UTC))  # fmt: skip
    hold = b.hold(expires_at=datetime(1000, 1, 1, tzinfo=UTC))
    with _unmigrated(engine, tmp_path) as storage:
        storage.migrate()
        with storage.unit_of_work() as uow:
            uow.events.add(evt)
            uow.holds.add(hold)
            uow.commit()
        with storage.engine.begin() as conn:
            if engine == "sqlite":  # as version 10 wrote them
                conn.execute(text("UPDATE events SET starts_at = '999-01-01T00:00:00.000000"
                                  "+00:00', ends_at = '999-01-01T03:00:00.000007+00:00', "
                                  "created_at = '5-06-07T00:00:00.000000+00:00'"))  # fmt: skip
            conn.execute(s.schema_version.delete().where(s.schema_version.c.version == 11))
        if engine == "sqlite":
            with pytest.raises(ValueError, match="isoformat"), storage.unit_of_work() as uow:
                uow.events.get(evt.id)
        assert run_migrations(storage.engine) == [11]
        assert run_migrations(storage.engine) == []
        with storage.unit_of_work() as uow:
            back = uow.events.get(evt.id)
            kept = uow.holds.get(hold.id)
        assert back is not None
        assert kept is not None
        assert (back.starts_at, back.ends_at, back.created_at) == (
            evt.starts_at, evt.ends_at, evt.created_at)  # fmt: skip
        assert kept.expires_at == hold.expires_at


def test_a_second_pending_organizer_request_is_refused_by_the_database_itself(
    storage: SqlStorage,
) -> None:
    """The partial unique index holds even for a statement that skips the repository."""
    request = b.organizer_request(user_id="u1")
    with storage.unit_of_work() as uow:
        uow.organizer_requests.add(request)
        uow.commit()
    values = {**_row(request), "id": "oreq-raw"}
    with pytest.raises(IntegrityError), storage.engine.begin() as conn:
        conn.execute(insert(s.organizer_requests).values(values))
    values["status"] = "rejected"  # a decided request is not in the index
    with storage.engine.begin() as conn:
        conn.execute(insert(s.organizer_requests).values(values))


def _row(request: Any) -> dict[str, Any]:
    return {
        "id": request.id, "user_id": request.user_id, "organizer_name": request.organizer_name,
        "note": None, "status": str(request.status), "created_at": request.created_at,
        "version": request.version,
    }  # fmt: skip


def test_ping_and_close(storage: SqlStorage) -> None:
    assert storage.ping()


def test_ping_is_false_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    unreachable = SqlStorage("postgresql://nobody@127.0.0.1:1/none")
    assert not unreachable.ping()
    unreachable.close()


# -- integrity in the schema --------------------------------------------------------------
def test_an_oversold_quota_is_refused_by_the_database_itself(storage: SqlStorage) -> None:
    q = b.quota(size=2)
    with storage.unit_of_work() as uow:
        uow.quotas.add(q)
        uow.commit()
    with pytest.raises(IntegrityError), storage.engine.begin() as conn:
        conn.execute(s.quotas.update().where(s.quotas.c.id == q.id).values(held=3))
    with pytest.raises(IntegrityError), storage.engine.begin() as conn:
        conn.execute(s.quotas.update().where(s.quotas.c.id == q.id).values(sold=-1))
    assert counters(storage, q.id) == (0, 0)


def test_promo_uses_above_the_cap_are_refused_by_the_database(storage: SqlStorage) -> None:
    p = b.promo_code(max_uses=1)
    with storage.unit_of_work() as uow:
        uow.promo_codes.add(p)
        uow.commit()
    with pytest.raises(IntegrityError), storage.engine.begin() as conn:
        conn.execute(s.promo_codes.update().where(s.promo_codes.c.id == p.id).values(uses=2))


def test_the_negative_control_schema_has_no_counter_checks(tmp_path: Path) -> None:
    with database("sqlite", tmp_path, unguarded=True) as (_, st), st.engine.begin() as conn:
        conn.execute(s.quotas.insert().values(id="q", event_id="e", name="Q", size=1, sold=5,
                                              held=-3, version=0))  # fmt: skip
    with database("sqlite", tmp_path) as (_, st):
        checks = {c["name"] for c in inspect(st.engine).get_check_constraints("quotas")}
        assert "ck_quotas_not_oversold" in checks


def test_every_repository_of_the_port_is_attached(storage: SqlStorage) -> None:
    """The unit of work attaches its repositories from one mapping: each attribute the
    port declares is there, and implements that attribute's port."""
    declared = get_type_hints(UnitOfWork)
    assert set(REPOSITORIES) == set(declared)
    uow = storage.unit_of_work()
    for name, port in declared.items():
        assert isinstance(getattr(uow, name), port), name


def test_the_production_storage_cannot_turn_its_guards_off(tmp_path: Path) -> None:
    """The negative control is a test-side subclass; the adapter itself has no switch."""
    with pytest.raises(TypeError):
        SqlStorage(f"sqlite:///{tmp_path}/x.db", unsafe_unguarded_inventory=True)  # type: ignore[call-arg]
    assert SqlStorage.unit_of_work_class is SqlUnitOfWork
    assert SqlUnitOfWork.repositories is REPOSITORIES
    swapped = {
        name
        for name, cls in UnguardedSqlStorage.unit_of_work_class.repositories.items()
        if cls is not REPOSITORIES[name]
    }
    assert swapped == {"quotas", "promo_codes", "holds"}


def test_a_conflict_leaves_the_unit_of_work_usable(storage: SqlStorage) -> None:
    """On PostgreSQL an error aborts the transaction; conflicts must not raise one."""
    first = b.event(slug="taken")
    with storage.unit_of_work() as uow:
        uow.events.add(first)
        uow.commit()
    org = b.organizer()
    with storage.unit_of_work() as uow:
        uow.organizers.add(org)
        with pytest.raises(Exception, match="taken"):
            uow.events.add(b.event(slug="taken"))
        uow.organizers.save(org)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.organizers.get(org.id) is not None


# -- the ledger is append-only ------------------------------------------------------------
@pytest.mark.parametrize("statement", ["UPDATE {t} SET description = 'x'", "DELETE FROM {t}"])
def test_the_database_rejects_updates_and_deletes_of_the_ledger(
    storage: SqlStorage, statement: str
) -> None:
    tx = b.sale(amount=700, order_id="o-led")
    with storage.unit_of_work() as uow:
        uow.ledger.append(tx)
        uow.commit()
    for table in s.LEDGER_TABLES:
        sql = statement.format(t=table).replace("description = 'x'", _set_clause(table))
        with pytest.raises(DBAPIError, match="append-only"), storage.engine.begin() as conn:
            conn.execute(text(sql))
    with storage.unit_of_work() as uow:
        assert uow.ledger.list_all() == [tx]


def _set_clause(table: str) -> str:
    return "description = 'x'" if table == "ledger_transactions" else "account = 'x'"


@pytest.mark.requires_postgres
def test_postgres_also_rejects_truncating_the_ledger(tmp_path: Path) -> None:
    with (
        database("postgres", tmp_path) as (_, st),
        pytest.raises(DBAPIError, match="append-only"),
        st.engine.begin() as conn,
    ):
        conn.execute(text("TRUNCATE ledger_entries"))


# -- enums, datetimes and URLs ---------------------------------------------------------------
def test_enums_come_back_as_their_enum_also_where_the_field_is_optional(
    storage: SqlStorage,
) -> None:
    """A StrEnum equals its value, so only the type tells a rebuilt enum from the text."""
    rejected = b.check_in(
        direction=ScanDirection.EXIT,
        result=CheckInResult.REJECTED,
        reason=RejectionReason.REVOKED,
    )
    accepted = b.check_in()
    with storage.unit_of_work() as uow:
        uow.check_ins.add(rejected)
        uow.check_ins.add(accepted)
        uow.commit()
    with storage.unit_of_work(read_only=True) as uow:
        loaded = uow.check_ins.get_by_nonce(rejected.event_id, rejected.nonce)
        plain = uow.check_ins.get_by_nonce(accepted.event_id, accepted.nonce)
    assert loaded == rejected
    assert plain == accepted
    assert loaded is not None
    assert plain is not None
    assert type(loaded.direction) is ScanDirection
    assert type(loaded.result) is CheckInResult
    assert type(loaded.reason) is RejectionReason
    assert plain.reason is None


def test_datetimes_come_back_aware_utc_and_ordered_by_instant(storage: SqlStorage) -> None:
    plus_two = timezone(timedelta(hours=2))
    early = b.hold(expires_at=datetime(2030, 1, 1, 13, 30, tzinfo=plus_two))  # 11:30 UTC
    late = b.hold(expires_at=datetime(2030, 1, 1, 12, 0, tzinfo=UTC))
    with storage.unit_of_work() as uow:
        uow.holds.add(late)
        uow.holds.add(early)
        uow.commit()
    with storage.unit_of_work() as uow:
        found = uow.holds.list_expired(datetime(2030, 1, 1, 12, 0, tzinfo=UTC), 10)
    assert [h.id for h in found] == [early.id, late.id]
    assert found[0].expires_at == datetime(2030, 1, 1, 11, 30, tzinfo=UTC)
    assert found[0].expires_at.utcoffset() == timedelta(0)


@pytest.mark.requires_postgres
def test_postgres_reads_datetimes_in_utc_whatever_the_url_sets() -> None:
    """psycopg reads a timestamptz in the session's time zone: east of UTC, the last
    moment of the range is beyond year 9999. The storage's sessions are UTC, after any
    options the URL gives."""
    require_postgres()
    name = new_schema_name()
    url = f"{POSTGRES_URL}?options=-c%20TimeZone%3DPacific/Kiritimati"
    storage = SqlStorage(url, schema=name)
    last = b.hold(expires_at=datetime.max.replace(tzinfo=UTC))
    try:
        storage.migrate()
        with storage.unit_of_work() as uow:
            uow.holds.add(last)
            uow.commit()
        with storage.unit_of_work() as uow:
            kept = uow.holds.get(last.id)
        assert kept is not None
        assert kept.expires_at == last.expires_at
        with storage.engine.connect() as conn:
            assert conn.execute(text("SHOW TimeZone")).scalar() == "UTC"
            assert conn.execute(text("SHOW search_path")).scalar() == name
            conn.rollback()
    finally:
        storage.close()
        drop_schema(name)


def test_naive_datetimes_are_refused(storage: SqlStorage) -> None:
    naive = b.hold()
    naive.expires_at = datetime(2030, 1, 1, 12, 0)
    with pytest.raises(Exception, match="naive"), storage.unit_of_work() as uow:
        uow.holds.add(naive)


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///var/tickex.db", "sqlite+pysqlite"),
    ],
)
def test_urls_are_pinned_to_the_supported_drivers(given: str, driver: str) -> None:
    assert normalize_url(given).drivername == driver


@pytest.mark.parametrize("bad", ["sqlite://", "sqlite:///:memory:", "mysql://h/db",
                                 "postgresql+psycopg2://h/db"])  # fmt: skip
def test_unsupported_urls_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"SQLite|unsupported"):
        normalize_url(bad)


def test_sqlite_runs_in_wal_mode_with_a_long_busy_timeout(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as (_, st), st.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        busy_timeout_ms = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert busy_timeout_ms is not None
        assert busy_timeout_ms >= 10_000
        conn.rollback()


def test_the_sqlite_file_directory_is_created(tmp_path: Path) -> None:
    st = SqlStorage(f"sqlite:///{tmp_path}/nested/dir/tickex.db")
    st.migrate()
    assert (tmp_path / "nested" / "dir" / "tickex.db").exists()
    st.close()


# -- crash safety -------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_a_process_killed_inside_a_unit_of_work_leaves_no_partial_order(
    engine: str, tmp_path: Path
) -> None:
    ctx = mp.get_context("spawn")
    with database(engine, tmp_path) as (db, st):
        shop = open_shop(st, [TypeSpec("tt-kill", 5)])
        ready = ctx.Event()
        child = ctx.Process(target=hold_and_die, args=(db, shop.event_id, "tt-kill", ready))
        kill_when_ready(child, ready, "reached the middle of its unit of work")
        # Nothing of the killed unit of work is visible, and the lock it held is gone:
        # a new unit of work can take the same capacity at once.
        assert orders(st, shop.event_id) == []
        assert counters(st, "q-tt-kill") == (0, 0)
        with st.unit_of_work() as uow:
            assert uow.orders.get_by_code("KILLED01") is None
            assert uow.quotas.reserve("q-tt-kill", 5)
            uow.commit()
        assert counters(st, "q-tt-kill") == (0, 5)


def test_sqlite_units_of_work_take_the_write_lock_at_their_first_statement(
    tmp_path: Path,
) -> None:
    """BEGIN IMMEDIATE: a unit of work that has only read already excludes other writers
    (a deferred transaction would fail later, at its first write, without waiting). The
    writer that waited past its busy timeout gets a ConcurrencyConflict: retry the unit."""
    with database("sqlite", tmp_path) as (db, st):
        impatient = SqlStorage(db.url, busy_timeout_s=0.05)
        try:
            with st.unit_of_work() as uow:
                assert uow.organizers.get("nobody") is None
                with (
                    pytest.raises(ConcurrencyConflict, match="locked"),
                    impatient.unit_of_work() as other,
                ):
                    other.organizers.get("nobody")
        finally:
            impatient.close()


# -- end to end -----------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_the_demo_tells_the_same_story_on_sql_as_in_memory(engine: str, tmp_path: Path) -> None:
    """The whole product flow (orders, late payment, check-in, refund, payout, metrics,
    ledger) through the facade, deterministic adapters: SQL must match the reference."""
    reference: list[str] = []
    run_demo(TickEx.in_memory(), reference.append)
    story: list[str] = []
    with database(engine, tmp_path) as (_, st):
        run_demo(TickEx.in_memory(storage=st), story.append)
    assert story == reference
