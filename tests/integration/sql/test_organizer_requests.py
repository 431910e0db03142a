"""Deciding an organizer request under contention, on SQLite and PostgreSQL: several
admins approve (or reject) one request at the same time, each in a thread with its own
connection. Exactly one decision wins; the others find it decided (``InvalidTransition``),
and their units of work -- the organizer each one created included -- leave nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.integration.sql.support import postgres_storage, sqlite_storage
from tickex.adapters.sql import SqlStorage
from tickex.adapters.sql import schema as s
from tickex.application.identity.create_admin import CreateAdmin
from tickex.application.identity.register_user import RegisterUser
from tickex.application.organizers.approve_organizer_request import ApproveOrganizerRequest
from tickex.application.organizers.reject_organizer_request import RejectOrganizerRequest
from tickex.application.organizers.request_organizer_role import RequestOrganizerRole
from tickex.domain.errors import DomainError, InvalidTransition
from tickex.domain.identity import Principal, Role
from tickex.domain.organizer_request import OrganizerRequestStatus
from tickex.facade import TickEx

PASSWORD = "correct horse battery"
ADMINS = 4


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.requires_postgres)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    make = sqlite_storage(tmp_path) if request.param == "sqlite" else postgres_storage()
    with make as st:
        yield st


def _race(app: TickEx, decide: list[object]) -> list[str]:
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(decide))

    def run(command: object) -> None:
        barrier.wait()
        try:
            if isinstance(command, ApproveOrganizerRequest):
                app.approve_organizer_request(command)
            else:
                assert isinstance(command, RejectOrganizerRequest)
                app.reject_organizer_request(command)
            result = "won"
        except InvalidTransition:
            result = "decided already"
        except DomainError as exc:  # pragma: no cover - shown in the assertion
            result = repr(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(c,)) for c in decide]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_admins_deciding_one_request_at_once_make_exactly_one_decision(
    storage: SqlStorage,
) -> None:
    app = TickEx.in_memory(storage=storage)
    ana = app.register_user(RegisterUser(email="ana@example.com", password=PASSWORD, name="Ana"))
    asked = app.request_organizer_role(
        RequestOrganizerRole(actor=Principal(ana.id, ana.roles), organizer_name="Nightjar")
    )
    admins = []
    for n in range(ADMINS):
        user = app.create_admin(CreateAdmin(email=f"admin{n}@tickex.example", name=f"A{n}",
                                            password=PASSWORD))  # fmt: skip
        admins.append(Principal(user.id, user.roles))
    commands: list[object] = [
        ApproveOrganizerRequest(actor=a, request_id=asked.id) for a in admins[:-1]
    ]
    commands.append(RejectOrganizerRequest(actor=admins[-1], request_id=asked.id, reason="no"))

    outcomes = _race(app, commands)

    assert outcomes == ["decided already"] * (ADMINS - 1) + ["won"]
    request = app.services.read(lambda uow: uow.organizer_requests.get(asked.id))
    user = app.services.read(lambda uow: uow.users.get(ana.id))
    assert request is not None
    assert user is not None
    with storage.engine.connect() as conn:
        organizers = conn.execute(select(func.count()).select_from(s.organizers)).scalar()
        mails = conn.execute(select(func.count()).select_from(s.outbox).where(
            s.outbox.c.idempotency_key.like("organizer-request-%"))).scalar()  # fmt: skip
        conn.rollback()
    assert mails == 1
    if request.status is OrganizerRequestStatus.APPROVED:
        assert organizers == 1
        assert (Role.ORGANIZER in user.roles, user.organizer_id) == (True, request.organizer_id)
    else:
        assert request.status is OrganizerRequestStatus.REJECTED
        assert organizers == 0
        assert Role.ORGANIZER not in user.roles
