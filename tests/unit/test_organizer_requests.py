"""Organizer role by request: the aggregate's transitions, and the use cases end to end
through ``TickEx.in_memory()`` (fixed clock, in-memory storage and mailer).

Assertions are on state: the request, the user's roles, the organizer, the outbox and the
mail that the worker sends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from tickex.adapters.memory.mail import InMemoryMailer
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.application.catalog.organizer_events import ListOrganizerEvents
from tickex.application.identity.admin import SelfDecision
from tickex.application.identity.authenticate import Authenticate
from tickex.application.identity.create_admin import CreateAdmin
from tickex.application.identity.disable_user import DisableUser
from tickex.application.identity.log_in import LogIn
from tickex.application.identity.register_user import RegisterUser
from tickex.application.organizers.approve_organizer_request import ApproveOrganizerRequest
from tickex.application.organizers.get_organizer_request import GetOrganizerRequest
from tickex.application.organizers.list_organizer_requests import ListOrganizerRequests
from tickex.application.organizers.reject_organizer_request import RejectOrganizerRequest
from tickex.application.organizers.request_organizer_role import RequestOrganizerRole
from tickex.domain.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from tickex.domain.identity import Principal, Role
from tickex.domain.organizer_request import OrganizerRequestStatus
from tickex.facade import TickEx
from tickex.testing import builders as b

PASSWORD = "correct horse battery"


# -- the aggregate ---------------------------------------------------------------------------
def test_a_new_request_is_pending_with_its_text_trimmed_and_bounded() -> None:
    request = b.organizer_request(organizer_name="  Nightjar  ", note="  ")
    assert request.is_pending
    assert request.status is OrganizerRequestStatus.PENDING
    assert (request.organizer_name, request.note) == ("Nightjar", None)
    with pytest.raises(ValidationFailed):
        b.organizer_request(organizer_name=" ")
    with pytest.raises(ValidationFailed):
        b.organizer_request(note="x" * 1001)
    with pytest.raises(ValidationFailed):
        b.organizer_request(created_at=b.T0.replace(tzinfo=None))


def test_approving_records_the_admin_the_time_and_the_organizer() -> None:
    request = b.organizer_request()
    request.approve("admin-1", "org-7", b.T0 + timedelta(hours=1))
    assert request.status is OrganizerRequestStatus.APPROVED
    assert (request.decided_by, request.decided_at, request.organizer_id, request.reason) == (
        "admin-1", b.T0 + timedelta(hours=1), "org-7", None
    )  # fmt: skip


def test_rejecting_records_the_reason() -> None:
    request = b.organizer_request()
    request.reject("admin-1", "  Tell us about your events.  ", b.T0)
    assert request.status is OrganizerRequestStatus.REJECTED
    assert (request.reason, request.organizer_id) == ("Tell us about your events.", None)


@pytest.mark.parametrize("first", ["approve", "reject"])
def test_a_decided_request_cannot_be_decided_again(first: str) -> None:
    request = b.organizer_request()
    if first == "approve":
        request.approve("admin-1", "org-1", b.T0)
    else:
        request.reject("admin-1", "no", b.T0)
    decided = (request.status, request.decided_by, request.organizer_id, request.reason)
    with pytest.raises(InvalidTransition):
        request.approve("admin-2", "org-2", b.T0)
    with pytest.raises(InvalidTransition):
        request.reject("admin-2", "changed my mind", b.T0)
    assert (request.status, request.decided_by, request.organizer_id, request.reason) == decided


def test_a_decision_needs_its_admin_its_organizer_and_its_reason() -> None:
    request = b.organizer_request()
    with pytest.raises(ValidationFailed):
        request.approve("", "org-1", b.T0)
    with pytest.raises(ValidationFailed):
        request.approve("admin-1", "", b.T0)
    with pytest.raises(ValidationFailed):
        request.reject("admin-1", "   ", b.T0)
    with pytest.raises(ValidationFailed):
        request.reject("admin-1", "x" * 1001, b.T0)
    assert request.is_pending


# -- the use cases ---------------------------------------------------------------------------
@pytest.fixture
def app() -> TickEx:
    return TickEx.in_memory()


def customer(app: TickEx, email: str = "ana@example.com", name: str = "Ana") -> Principal:
    """A registered customer, as ``authenticate`` sees them from a fresh access token."""
    app.register_user(RegisterUser(email=email, password=PASSWORD, name=name))
    return signed_in(app, email)


def signed_in(app: TickEx, email: str) -> Principal:
    token = app.log_in(LogIn(email=email, password=PASSWORD)).access_token
    return app.authenticate(Authenticate(access_token=token))


def admin(app: TickEx) -> Principal:
    app.create_admin(CreateAdmin(email="boss@tickex.example", name="Boss", password=PASSWORD))
    return signed_in(app, "boss@tickex.example")


def ask(app: TickEx, actor: Principal, **kw: object) -> str:
    return app.request_organizer_role(RequestOrganizerRole(actor=actor, **kw)).id  # type: ignore[arg-type]


def sent_to(app: TickEx, email: str) -> list[str]:
    app.process_outbox()
    mailer = app.services.delivery.mailer
    assert isinstance(mailer, InMemoryMailer)
    return [f"{m.subject}\n{m.text}" for m in mailer.sent if m.to == email]


def test_an_approved_customer_becomes_an_organizer_in_their_current_session(app: TickEx) -> None:
    ana = customer(app)
    boss = admin(app)
    token = app.log_in(LogIn(email="ana@example.com", password=PASSWORD)).access_token
    request_id = ask(app, ana, organizer_name="Nightjar", note="Jazz by the river.")
    mine = app.get_organizer_request(GetOrganizerRequest(actor=ana))
    assert (mine.id, mine.status, mine.note) == (request_id, OrganizerRequestStatus.PENDING,
                                                "Jazz by the river.")  # fmt: skip

    queue = app.list_organizer_requests(ListOrganizerRequests(actor=boss))
    assert [(v.request.id, v.applicant_email, v.applicant_name) for v in queue.items] == [
        (request_id, "ana@example.com", "Ana")
    ]
    approved = app.approve_organizer_request(
        ApproveOrganizerRequest(actor=boss, request_id=request_id)
    ).request
    assert approved.status is OrganizerRequestStatus.APPROVED
    assert approved.decided_by == boss.user_id
    assert approved.organizer_id is not None

    now = app.authenticate(Authenticate(access_token=token))  # the token from before
    assert Role.ORGANIZER in now.roles
    assert now.organizer_id == approved.organizer_id
    organizer = app.services.read(lambda uow: uow.organizers.get(approved.organizer_id))
    assert organizer is not None
    assert (organizer.name, organizer.email) == ("Nightjar", "ana@example.com")
    assert app.list_organizer_events(ListOrganizerEvents(organizer_id=organizer.id)) == ()
    assert app.list_organizer_requests(ListOrganizerRequests(actor=boss)).items == ()
    mail = sent_to(app, "ana@example.com")
    assert any("approved" in m and "Nightjar" in m for m in mail), mail


def test_approving_twice_is_an_invalid_transition_and_creates_one_organizer(app: TickEx) -> None:
    ana, boss = customer(app), admin(app)
    request_id = ask(app, ana)
    command = ApproveOrganizerRequest(actor=boss, request_id=request_id)
    app.approve_organizer_request(command)
    with pytest.raises(InvalidTransition):
        app.approve_organizer_request(command)
    with pytest.raises(InvalidTransition):
        app.reject_organizer_request(
            RejectOrganizerRequest(actor=boss, request_id=request_id, reason="too late")
        )
    storage = app.services.storage
    assert isinstance(storage, InMemoryStorage)
    assert len(storage.tables["organizers"]) == 1
    stored = app.services.read(lambda uow: uow.organizer_requests.get(request_id))
    assert stored is not None
    assert stored.status is OrganizerRequestStatus.APPROVED
    assert signed_in(app, "ana@example.com").organizer_id == stored.organizer_id


def test_a_rejected_customer_is_told_why_and_may_ask_again(app: TickEx) -> None:
    ana, boss = customer(app), admin(app)
    first = ask(app, ana, organizer_name="Nightjar")
    rejected = app.reject_organizer_request(
        RejectOrganizerRequest(actor=boss, request_id=first, reason="Tell us about your events.")
    ).request
    assert (rejected.status, rejected.reason) == (OrganizerRequestStatus.REJECTED,
                                                  "Tell us about your events.")  # fmt: skip
    assert Role.ORGANIZER not in signed_in(app, "ana@example.com").roles
    mail = sent_to(app, "ana@example.com")
    assert any("Tell us about your events." in m for m in mail), mail
    listed = app.list_organizer_requests(
        ListOrganizerRequests(actor=boss, status=OrganizerRequestStatus.REJECTED)
    )
    assert [v.request.id for v in listed.items] == [first]

    app.services.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    second = ask(app, ana, organizer_name="Nightjar Live")
    assert app.get_organizer_request(GetOrganizerRequest(actor=ana)).id == second  # the latest


def test_a_second_request_while_one_is_pending_is_a_conflict(app: TickEx) -> None:
    ana = customer(app)
    ask(app, ana)
    with pytest.raises(Conflict):
        ask(app, ana)


def test_an_organizer_cannot_ask_again(app: TickEx) -> None:
    ana, boss = customer(app), admin(app)
    app.approve_organizer_request(ApproveOrganizerRequest(actor=boss, request_id=ask(app, ana)))
    with pytest.raises(Conflict):
        ask(app, signed_in(app, "ana@example.com"))


def test_a_disabled_account_cannot_ask_and_cannot_be_approved(app: TickEx) -> None:
    ana, bob, boss = customer(app), customer(app, "bob@example.com", "Bob"), admin(app)
    pending = ask(app, bob)
    for user in (ana, bob):
        assert user.user_id is not None
        app.disable_user(DisableUser(actor=boss, user_id=user.user_id))
    with pytest.raises(Forbidden):
        ask(app, ana)
    with pytest.raises(InvalidTransition):
        app.approve_organizer_request(ApproveOrganizerRequest(actor=boss, request_id=pending))
    assert app.services.read(lambda uow: uow.organizer_requests.get(pending)).is_pending  # type: ignore[union-attr]


def test_an_admin_does_not_approve_their_own_request(app: TickEx) -> None:
    boss = admin(app)
    own = ask(app, boss, organizer_name="Boss events")
    with pytest.raises(SelfDecision) as refused:
        app.approve_organizer_request(ApproveOrganizerRequest(actor=boss, request_id=own))
    assert (refused.value.code, isinstance(refused.value, Forbidden)) == ("self_decision", True)
    assert app.services.read(lambda uow: uow.organizer_requests.get(own)).is_pending  # type: ignore[union-attr]
    assert Role.ORGANIZER not in signed_in(app, "boss@tickex.example").roles
    app.create_admin(CreateAdmin(email="other@tickex.example", name="Other", password=PASSWORD))
    other = signed_in(app, "other@tickex.example")
    approved = app.approve_organizer_request(ApproveOrganizerRequest(actor=other, request_id=own))
    assert (approved.request.status, approved.request.decided_by) == (
        OrganizerRequestStatus.APPROVED, other.user_id
    )  # fmt: skip


def test_only_admins_review_requests(app: TickEx) -> None:
    ana, bob = customer(app), customer(app, "bob@example.com", "Bob")
    request_id = ask(app, ana)
    staff_device = Principal(user_id=None, roles=frozenset({Role.ADMIN}))
    for actor in (ana, bob, staff_device):
        with pytest.raises(Forbidden):
            app.list_organizer_requests(ListOrganizerRequests(actor=actor))
        with pytest.raises(Forbidden):
            app.approve_organizer_request(
                ApproveOrganizerRequest(actor=actor, request_id=request_id)
            )
        with pytest.raises(Forbidden):
            app.reject_organizer_request(
                RejectOrganizerRequest(actor=actor, request_id=request_id, reason="no")
            )
    assert app.get_organizer_request(GetOrganizerRequest(actor=ana)).is_pending


def test_unknown_requests_are_not_found(app: TickEx) -> None:
    boss, ana = admin(app), customer(app)
    with pytest.raises(NotFound):
        app.approve_organizer_request(ApproveOrganizerRequest(actor=boss, request_id="nope"))
    with pytest.raises(NotFound):
        app.reject_organizer_request(
            RejectOrganizerRequest(actor=boss, request_id="nope", reason="no")
        )
    with pytest.raises(NotFound):
        app.get_organizer_request(GetOrganizerRequest(actor=ana))


def test_the_queue_is_oldest_first_one_page_at_a_time(app: TickEx) -> None:
    boss = admin(app)
    ids = []
    for n in range(3):
        app.services.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
        ids.append(ask(app, customer(app, f"user{n}@example.com", f"User {n}")))
    first = app.list_organizer_requests(ListOrganizerRequests(actor=boss, limit=2))
    rest = app.list_organizer_requests(ListOrganizerRequests(actor=boss, limit=2, offset=2))
    assert [v.request.id for v in first.items] == ids[:2]
    assert first.has_more
    assert [v.request.id for v in rest.items] == ids[2:]
    assert not rest.has_more


def test_commands_are_strict_and_bounded(app: TickEx) -> None:
    ana = customer(app)
    with pytest.raises(ValidationError):
        RequestOrganizerRole(actor=ana, note="x" * 1001)
    with pytest.raises(ValidationError):
        RequestOrganizerRole(actor=ana, organizer_id="org-1")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        RejectOrganizerRequest(actor=ana, request_id="r-1", reason="")
    with pytest.raises(ValidationError):
        ListOrganizerRequests(actor=ana, limit=101)
    with pytest.raises(ValidationError):
        ListOrganizerRequests(actor=ana, status="maybe")  # type: ignore[arg-type]


# -- the first admin -------------------------------------------------------------------------
def test_create_admin_opens_a_verified_admin_account_once(app: TickEx) -> None:
    created = app.create_admin(
        CreateAdmin(email="Boss@TickEx.example", name="Boss", password=PASSWORD)
    )
    assert created.roles == frozenset({Role.CUSTOMER, Role.ADMIN})
    assert (created.email, created.email_verified) == ("boss@tickex.example", True)
    assert created.password_hash is not None
    assert PASSWORD not in created.password_hash
    assert Role.ADMIN in signed_in(app, "boss@tickex.example").roles
    with pytest.raises(Conflict):
        app.create_admin(CreateAdmin(email="boss@tickex.example", name="Boss", password=PASSWORD))
    with pytest.raises(ValidationError):
        CreateAdmin(email="x@tickex.example", name="X", password="short")
