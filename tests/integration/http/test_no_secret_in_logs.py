"""No secret in any log, when the database refuses a statement full of them.

Through the HTTP API, on PostgreSQL, SQLite and (when ``TICKEX_TEST_MONGODB_URI`` names
one) a MongoDB wire server: the table or collection behind a registration, a login or an
API key's creation is made to refuse every new row (PostgreSQL: a ``CHECK (false)``
constraint, whose error quotes the failing row, hash and email included; SQLite: a
trigger; MongoDB: a validator, whose error quotes the value it refused). The request
answers 500 and the error is logged with its traceback -- and neither the records caplog
captures (SQLAlchemy's statements included) nor the JSON lines of ``JsonFormatter`` hold
the password, the email, the password's hash, a raw token or its hash. On PostgreSQL a
connection killed in the middle of the INSERT is retried, then answered 409: no secret in
the answer or the log either (that path was safe before; this keeps it so)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text

from tests.integration.http.conftest import assert_problem
from tests.integration.http.test_idempotency_storage import storage_on
from tests.integration.http.test_organizer import PASSWORD, sign_up
from tests.integration.sql.shop import database
from tickex.adapters.memory.identity import InMemoryPasswordHasher
from tickex.adapters.mongo import MongoStorage
from tickex.adapters.sql import SqlStorage
from tickex.application.identity.register_user import RegisterUser
from tickex.entrypoints.http import create_app
from tickex.entrypoints.logs import JsonFormatter
from tickex.facade import TickEx
from tickex.ports.identity import SecretToken
from tickex.ports.unit_of_work import Storage

Client = TestClient[Litestar]
ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.requires_postgres), "mongo"]
EMAIL = "ana.secret@example.com"
NEW_PASSWORD = "a new and secret password"


class RecordingHasher(InMemoryPasswordHasher):
    """The test hasher, keeping every hash it made (to look for them in the logs)."""

    def __init__(self) -> None:
        super().__init__()
        self.made: list[str] = []

    def hash(self, password: str) -> str:
        digest = super().hash(password)
        self.made.append(digest)
        return digest


@dataclass
class Secrets:
    hasher: RecordingHasher
    tokens: list[SecretToken] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # the caller's bearer header

    def all(self) -> list[str]:
        found = [*self.hasher.made, *self.others]
        for token in self.tokens:
            found += [token.value, token.digest]
        return found


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Secrets:
    """What the request's secrets will be: the hasher's hashes and every ``SecretToken``
    generated (the real generation, recorded)."""
    found = Secrets(RecordingHasher())
    generate = SecretToken.generate

    def recorded(*args: Any, **kwargs: Any) -> SecretToken:
        token = generate(*args, **kwargs)
        found.tokens.append(token)
        return token

    monkeypatch.setattr(SecretToken, "generate", staticmethod(recorded))
    return found


def refuse_new_rows(storage: Storage, table: str, field: str) -> None:
    """From now on, ``table`` refuses every new row (``field``: the secret the MongoDB
    validator refuses, and so quotes)."""
    if isinstance(storage, MongoStorage):
        rule = {"$jsonSchema": {"properties": {field: {"bsonType": "int"}}}}
        storage.database.command("collMod", table, validator=rule)
        return
    assert isinstance(storage, SqlStorage)
    with storage.engine.begin() as conn:
        if storage.dialect == "postgresql":
            conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT tickex_test_refuses_rows "
                              "CHECK (false) NOT VALID"))  # fmt: skip
        else:
            conn.execute(text(f"CREATE TRIGGER tickex_test_refuses_rows BEFORE INSERT ON {table} "
                              "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))  # fmt: skip


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every record, as the served application writes it (``JsonFormatter``)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def register(client: Client, secrets: Secrets) -> Any:
    secrets.others += [PASSWORD, EMAIL]
    body = {"email": EMAIL, "password": PASSWORD, "name": "Ana"}
    return client.post("/v1/auth/register", json=body)


def log_in(client: Client, secrets: Secrets) -> Any:
    secrets.others += [PASSWORD, EMAIL]
    return client.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})


def create_api_key(client: Client, secrets: Secrets) -> Any:
    secrets.others.append(secrets.headers["Authorization"].removeprefix("Bearer "))
    body = {"name": "Box office sync", "scopes": ["events:read"]}
    return client.post("/v1/organizer/api-keys", json=body, headers=secrets.headers)


Call = Callable[[Client, Secrets], Any]
# (the request, the table that refuses it, the secret field MongoDB's validator quotes)
CASES: dict[str, tuple[Call, str, str]] = {
    "register: the user": (register, "users", "password_hash"),
    "register: the verification token": (register, "one_time_tokens", "token_hash"),
    "register: the verification email": (register, "outbox", "payload"),
    "login: the refresh session": (log_in, "refresh_sessions", "token_hash"),
    "createApiKey: the key": (create_api_key, "api_keys", "key_hash"),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_statement_logs_no_secret(
    engine: str, case: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    json_lines: io.StringIO, secrets: Secrets,
) -> None:  # fmt: skip
    call, table, secret_field = CASES[case]
    with storage_on(engine, tmp_path) as storage:
        tickex = TickEx.in_memory(storage=storage, passwords=secrets.hasher)
        with TestClient(create_app(tickex, rate_policies={})) as client:
            if call is not register:  # the account exists before the table refuses rows
                tickex.register_user(RegisterUser(email=EMAIL, password=PASSWORD, name="Ana"))
            if call is create_api_key:
                secrets.headers = sign_up(tickex, "owner@nightjar.example").headers
            refuse_new_rows(storage, table, secret_field)
            caplog.set_level(logging.INFO)  # every logger (SQLAlchemy's statements too)
            caplog.set_level(logging.DEBUG, "tickex")
            caplog.clear()
            response = call(client, secrets)
    assert_problem(response, 500, "internal_error")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert errors, "the refused statement was logged"
    logged = caplog.text + "\n" + json_lines.getvalue()
    assert table in logged or "refused" in logged  # the log says what failed ...
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert any("exception" in line for line in lines)
    for secret in secrets.all():
        assert secret not in logged, f"{secret[:12]}... is in the log"  # ... and no secret


def kill_the_connection_on_insert(storage: SqlStorage, table: str) -> None:
    """From now on, an INSERT into ``table`` terminates its own connection (PostgreSQL)."""
    with storage.engine.begin() as conn:
        conn.execute(text("CREATE FUNCTION tickex_test_kill() RETURNS trigger LANGUAGE plpgsql "
                          "AS $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); "
                          "RETURN NEW; END $$"))  # fmt: skip
        conn.execute(text(f"CREATE TRIGGER tickex_test_kill BEFORE INSERT ON {table} "
                          "FOR EACH ROW EXECUTE FUNCTION tickex_test_kill()"))  # fmt: skip


@pytest.mark.requires_postgres
@pytest.mark.parametrize("case", ["register: the user", "createApiKey: the key"])
def test_a_connection_killed_mid_statement_logs_no_secret(
    case: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, json_lines: io.StringIO,
    secrets: Secrets,
) -> None:  # fmt: skip
    """The lost connection is retried (a ``ConcurrencyConflict``) until the retries run
    out: 409, and neither the answer nor the log holds a secret of the statement."""
    call, table, _ = CASES[case]
    with database("postgres", tmp_path) as (_, storage):
        tickex = TickEx.in_memory(storage=storage, passwords=secrets.hasher)
        with TestClient(create_app(tickex, rate_policies={})) as client:
            if call is create_api_key:
                secrets.headers = sign_up(tickex, "owner@nightjar.example").headers
            kill_the_connection_on_insert(storage, table)
            caplog.set_level(logging.INFO)
            caplog.set_level(logging.DEBUG, "tickex")
            caplog.clear()
            response = call(client, secrets)
    assert_problem(response, 409, "concurrency_conflict")
    assert "connection was lost" in response.json()["detail"]
    logged = caplog.text + "\n" + json_lines.getvalue() + "\n" + response.text
    assert secrets.all()
    for secret in secrets.all():
        assert secret not in logged, f"{secret[:12]}... is in the log or the answer"


def test_the_json_lines_redact_secret_fields_at_any_depth_and_tickex_secrets() -> None:
    key = "tkx_ak_" + "A" * 43
    fields = {
        "request_id": "r-1", "api_key_id": "key-1", "status": 500, "keys_purged": 2,
        "password": "hunter2 hunter2", "Authorization": "Bearer abc.def",
        "user": {"email_verified": True, "password_hash": "$argon2id$x", "apiKey": key},
        "attempts": [{"refresh_token": "tkx_rt_x"}, {"token_hash": "ab12"}, ("Cookie", 1)],
        "set-cookie": "session=1", "client_secret": "s3", "idempotency_key": "k-1",
    }  # fmt: skip
    record = logging.makeLogRecord(
        {"name": "tickex.test", "levelno": logging.ERROR, "levelname": "ERROR",
         "msg": "refused %s", "args": (key,), "fields": fields}
    )  # fmt: skip
    line = JsonFormatter().format(record)
    logged = json.loads(line)
    for secret in ("hunter2", "abc.def", "$argon2id$x", key, "tkx_rt_x", "ab12", "session=1",
                   "s3", "k-1"):  # fmt: skip
        assert secret not in line, secret
    assert logged["message"] == "refused [redacted]"
    assert logged["user"] == {"email_verified": True, "password_hash": "[redacted]",
                              "apiKey": "[redacted]"}  # fmt: skip
    assert logged["attempts"] == [{"refresh_token": "[redacted]"}, {"token_hash": "[redacted]"},
                                  ["Cookie", 1]]  # fmt: skip
    # what names a thing, not its secret, stays
    assert (logged["request_id"], logged["api_key_id"], logged["status"]) == ("r-1", "key-1", 500)
    assert logged["keys_purged"] == 2
    assert fields["password"] == "hunter2 hunter2"  # the record's own fields are not changed
