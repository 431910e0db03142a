"""An ordered, idempotent migration runner with a ``schema_version`` table.

Why not Alembic: TickEx ships as a library whose schema is small and changes rarely; a
list of numbered steps in code needs no configuration files, runs identically on SQLite
and PostgreSQL, and is easy to audit. Rules for adding a step:

1. Append a :class:`Migration` with the next number; never edit or reorder shipped ones.
2. Make it idempotent (``IF NOT EXISTS``, or inspect first): the runner records each step
   in ``schema_version`` in the same transaction as its DDL, but a step must still be
   safe to re-run against a database that already has its effect (step 1 creates tables
   from the current ``schema.py``, so a fresh database already has later columns).
3. Keep ``schema.py`` describing the end state.

Concurrency: every step runs in its own transaction under a lock (a transaction-scoped
advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so several processes that
start at once (rolling deploys, test workers) migrate exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Connection,
    DefaultClause,
    Engine,
    MetaData,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
    update,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.sql.elements import TextClause

from tickex.adapters.sql.schema import (
    IDEMPOTENCY_TABLES,
    IDENTITY_TABLES,
    LEDGER_TABLES,
    ORGANIZER_REQUEST_TABLES,
    PAYMENT_ACCOUNT_COLUMNS,
    PAYMENT_REVIEW_TABLES,
    SQLITE_WIDTH,
    UtcDateTime,
    build_metadata,
    schema_version,
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection, MetaData], None]


def _create_tables(conn: Connection, md: MetaData) -> None:
    md.create_all(conn, checkfirst=True)


_PG_APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION tickex_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""


def _ledger_append_only(conn: Connection, _md: MetaData) -> None:
    """Reject UPDATE, DELETE (and TRUNCATE on PostgreSQL) on the ledger tables: corrections
    are new reversing transactions, never edits. Enforced by the database so that no code
    path, script or console session can rewrite history by accident."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(_PG_APPEND_ONLY_FUNCTION))
        for table in LEDGER_TABLES:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
            conn.execute(
                text(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION tickex_ledger_append_only()"
                )
            )
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"))
            conn.execute(
                text(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION tickex_ledger_append_only()"
                )
            )
    elif conn.dialect.name == "sqlite":
        for table in LEDGER_TABLES:
            for op in ("UPDATE", "DELETE"):
                conn.execute(
                    text(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} "
                        f"BEFORE {op} ON {table} BEGIN "
                        f"SELECT RAISE(ABORT, 'the ledger is append-only: {op} on {table} "
                        "is not allowed'); END"
                    )
                )


def _catalogue_index(conn: Connection, md: MetaData) -> None:
    """The public catalogue lists published events by start time."""
    for index in md.tables["events"].indexes:
        if index.name == "ix_events_catalogue":
            index.create(conn, checkfirst=True)


def _identity_tables(conn: Connection, md: MetaData) -> None:
    """Users, refresh sessions, one-time tokens, API keys and staff credentials, with their
    unique constraints and lookup indexes. A database created by step 1 of this version
    already has them: then nothing happens (indexes are checked one by one as well)."""
    _create_with_indexes(conn, md, IDENTITY_TABLES)


def _organizer_requests(conn: Connection, md: MetaData) -> None:
    """Requests for the organizer role, with the partial unique index that allows one
    pending request per user (``WHERE status = 'pending'``, on SQLite and PostgreSQL).
    Idempotent like step 4: a table or index that exists is left as it is."""
    _create_with_indexes(conn, md, ORGANIZER_REQUEST_TABLES)


def _idempotency_keys(conn: Connection, md: MetaData) -> None:
    """Requests made with an Idempotency-Key (the key as a digest, unique per caller) and
    the index the purge of expired ones reads. Idempotent like step 4."""
    _create_with_indexes(conn, md, IDEMPOTENCY_TABLES)


def _organizer_payment_accounts(conn: Connection, md: MetaData) -> None:
    """The connected account's state on each organizer (charges and payouts enabled, the
    requirements due, why it is disabled, as of when) and the index a webhook finds the
    organizer by. Existing organizers start disabled until their provider reports (a
    local-provider deployment never looks at these columns). Idempotent: a column or
    index that exists is left as it is."""
    table = md.tables["organizers"]
    have = {column["name"] for column in inspect(conn).get_columns("organizers")}
    for name in PAYMENT_ACCOUNT_COLUMNS:
        if name in have:
            continue
        column = table.c[name]
        ddl = f"ALTER TABLE organizers ADD COLUMN {name} {column.type.compile(conn.dialect)}"
        default = column.server_default
        if isinstance(default, DefaultClause) and isinstance(default.arg, TextClause):
            ddl += f" DEFAULT {default.arg.text}"
        if not column.nullable:
            ddl += " NOT NULL"
        conn.execute(text(ddl))
    for index in table.indexes:
        index.create(conn, checkfirst=True)


def _payment_reviews(conn: Connection, md: MetaData) -> None:
    """Payments taken but not fulfilled, kept for an admin's review (one per provider
    event: a unique constraint), with the index the admins' listing reads. Idempotent like
    step 4."""
    _create_with_indexes(conn, md, PAYMENT_REVIEW_TABLES)


def _index(table: str, name: str) -> Callable[[Connection, MetaData], None]:
    """A step that creates one index ``schema.py`` declares on ``table``. Idempotent: an
    index that exists is left as it is."""

    def apply(conn: Connection, md: MetaData) -> None:
        for index in md.tables[table].indexes:
            if index.name == name:
                index.create(conn, checkfirst=True)

    return apply


def _zero_padded_years(conn: Connection, md: MetaData) -> None:
    """SQLite stored a datetime before year 1000 without its leading zeros (``999-01-01T...``),
    which neither reads back nor sorts; pad every such value to the fixed width. PostgreSQL
    stores ``timestamptz`` and has nothing to fix. Idempotent: a padded value is left as it
    is."""
    if conn.dialect.name != "sqlite":
        return
    have = set(inspect(conn).get_table_names())
    for table in md.tables.values():
        if table.name not in have:
            continue
        names = [c.name for c in table.columns if isinstance(c.type, UtcDateTime)]
        for name in names:  # as text, untyped: the column type would parse the value
            raw = sql_table(table.name, sql_column(name))
            value = raw.c[name]
            conn.execute(
                update(raw)
                .where(func.length(value) < SQLITE_WIDTH)
                .values({name: func.substr(literal("000").concat(value), -SQLITE_WIDTH)})
            )


def _create_with_indexes(conn: Connection, md: MetaData, names: Sequence[str]) -> None:
    for name in names:
        table = md.tables[name]
        table.create(conn, checkfirst=True)
        for index in table.indexes:
            index.create(conn, checkfirst=True)


MIGRATIONS: Sequence[Migration] = (
    Migration(1, "initial schema", _create_tables),
    Migration(2, "ledger tables are append-only (triggers)", _ledger_append_only),
    Migration(3, "index for the public catalogue of events", _catalogue_index),
    Migration(4, "identity: users, sessions, one-time tokens, API keys, staff", _identity_tables),
    Migration(5, "organizer requests (one pending per user)", _organizer_requests),
    Migration(6, "idempotency keys (one record per caller and key)", _idempotency_keys),
    Migration(7, "organizers: the payment account's state", _organizer_payment_accounts),
    Migration(8, "payment reviews (payments flagged, not fulfilled)", _payment_reviews),
    # the accounts acting for an organizer: every use of an API key reads them (a key stops
    # working when they are disabled)
    Migration(9, "users: index by organizer", _index("users", "ix_users_organizer")),
    # what every worker's set of revoked sessions is refreshed from (the families revoked in
    # the last access-token lifetime, read every second or so)
    Migration(
        10,
        "refresh sessions: index of revocations",
        _index("refresh_sessions", "ix_refresh_sessions_revoked"),
    ),
    Migration(11, "SQLite: datetimes before year 1000 zero-padded", _zero_padded_years),
)
LATEST_VERSION = MIGRATIONS[-1].version


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        # One migrator per schema at a time; released at the end of the transaction.
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('tickex-migrate:' || current_schema()))")
        )


def current_version(conn: Connection) -> int:
    """The highest version applied; 0 for an empty database."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    latest = conn.execute(
        select(schema_version.c.version).order_by(schema_version.c.version.desc())
    )
    value = latest.scalar()
    return int(value) if value is not None else 0


def applied_versions(conn: Connection) -> set[int]:
    """Every version recorded in ``schema_version``."""
    if not inspect(conn).has_table("schema_version"):
        return set()
    return {int(v) for v in conn.execute(select(schema_version.c.version)).scalars()}


def migrate(engine: Engine) -> list[int]:
    """Apply every migration not recorded yet, in order; return the versions applied (empty
    when the database is up to date, so running it twice is harmless). A step is skipped by
    its record, not by the highest version: a database that took a later step first (two
    branches numbered theirs 6 and 7, and 7 landed first) still gets the missing one."""
    md = build_metadata()
    applied: list[int] = []
    for migration in MIGRATIONS:
        with engine.begin() as conn:
            _lock(conn)
            md.tables["schema_version"].create(conn, checkfirst=True)
            if migration.version in applied_versions(conn):
                continue
            migration.apply(conn, md)
            conn.execute(
                insert(schema_version).values(
                    version=migration.version, name=migration.name, applied_at=datetime.now(UTC)
                )
            )
            applied.append(migration.version)
    return applied
