"""Payments flagged for review: the aggregate's one transition, and the use cases end to
end through ``TickEx.in_memory()`` (fixed clock, in-memory storage): ``flag_payment``
keeps one review per provider event and logs ids and amounts only; admins list and
resolve reviews, once."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from pydantic import ValidationError

from tickex.application.identity.authenticate import Authenticate
from tickex.application.identity.create_admin import CreateAdmin
from tickex.application.identity.log_in import LogIn
from tickex.application.sales.list_payment_reviews import ListPaymentReviews
from tickex.application.sales.payment_review import flag_payment
from tickex.application.sales.resolve_payment_review import ResolvePaymentReview
from tickex.domain.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from tickex.domain.identity import Principal, Role
from tickex.domain.money import Money
from tickex.domain.payment_review import MAX_PROBLEM, PaymentReviewStatus, clip
from tickex.facade import TickEx
from tickex.ports.payment import NotificationKind, PaymentNotification
from tickex.testing import builders as b

PASSWORD = "correct horse battery"


# -- the aggregate ---------------------------------------------------------------------------
def test_a_new_review_is_open_with_its_text_trimmed() -> None:
    review = b.payment_review(problem="  paid in USD, the order is in EUR  ")
    assert review.is_open
    assert review.status is PaymentReviewStatus.OPEN
    assert review.problem == "paid in USD, the order is in EUR"
    assert (review.resolved_at, review.resolved_by, review.resolution_note) == (None, None, None)


@pytest.mark.parametrize(
    "change",
    [{"problem": " "}, {"problem": "x" * (MAX_PROBLEM + 1)}, {"event_id": ""},
     {"provider": ""}, {"event_type": " "}, {"payment_reference": "cs_" + "x" * 300},
     {"flagged_at": b.T0.replace(tzinfo=None)}],
)  # fmt: skip
def test_a_review_refuses_what_it_cannot_keep(change: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        b.payment_review(**change)


def test_resolving_records_the_admin_the_time_and_the_note_once() -> None:
    review = b.payment_review()
    later = b.T0 + timedelta(hours=3)
    review.resolve(later, "admin-1", "  Refunded at Stripe, buyer told.  ")
    assert review.status is PaymentReviewStatus.RESOLVED
    assert not review.is_open
    assert (review.resolved_at, review.resolved_by, review.resolution_note) == (
        later, "admin-1", "Refunded at Stripe, buyer told."
    )  # fmt: skip
    with pytest.raises(InvalidTransition):
        review.resolve(later + timedelta(hours=1), "admin-2", "Again.")
    assert (review.resolved_by, review.resolution_note) == (
        "admin-1",
        "Refunded at Stripe, buyer told.",
    )


@pytest.mark.parametrize(
    ("by", "note", "now"),
    [("", "Refunded.", b.T0), ("admin-1", " ", b.T0), ("admin-1", "x" * 1001, b.T0),
     ("admin-1", "Refunded.", b.T0.replace(tzinfo=None))],
)  # fmt: skip
def test_a_resolution_needs_an_admin_a_bounded_note_and_an_aware_time(
    by: str, note: str, now: object
) -> None:
    review = b.payment_review()
    with pytest.raises(ValidationFailed):
        review.resolve(now, by, note)  # type: ignore[arg-type]
    assert review.is_open


def test_clip_keeps_short_text_and_marks_a_cut() -> None:
    assert clip("  short  ") == "short"
    cut = clip("y" * 2000)
    assert len(cut) == MAX_PROBLEM
    assert cut.endswith("…")


# -- the use cases ---------------------------------------------------------------------------
@pytest.fixture
def app() -> TickEx:
    return TickEx.in_memory(start=b.T0)


@pytest.fixture
def admin(app: TickEx) -> Principal:
    app.create_admin(CreateAdmin(email="boss@tickex.example", name="Boss", password=PASSWORD))
    token = app.log_in(LogIn(email="boss@tickex.example", password=PASSWORD)).access_token
    return app.authenticate(Authenticate(access_token=token))


def notification(event_id: str = "evt_1", provider: str = "stripe") -> PaymentNotification:
    return PaymentNotification(
        provider=provider, event_id=event_id, event_type="checkout.session.completed",
        kind=NotificationKind.CHECKOUT_COMPLETED, occurred_at=b.T0,
    )  # fmt: skip


def flag(app: TickEx, event_id: str = "evt_1", problem: str = "paid 51.49 EUR") -> bool:
    return flag_payment(app.services, notification(event_id), "ord-1", "cs_1",
                        Money(5149, "EUR"), problem)  # fmt: skip


def test_a_flagged_payment_is_kept_once_per_event_and_logged_once(
    app: TickEx, admin: Principal, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tickex.payments"):
        assert flag(app, problem="paid 51.49 EUR, the order's total is 51.50 EUR")
        assert not flag(app)  # the same event again
    (record,) = [r for r in caplog.records if r.name == "tickex.payments"]
    message = record.getMessage()
    assert all(part in message for part in ("evt_1", "ord-1", "cs_1", "51.49 EUR"))
    found = app.list_payment_reviews(ListPaymentReviews(actor=admin))
    (review,) = found.items
    assert (review.event_id, review.order_id, review.payment_reference, review.amount_paid) == (
        "evt_1", "ord-1", "cs_1", Money(5149, "EUR")
    )  # fmt: skip
    assert review.problem == "paid 51.49 EUR, the order's total is 51.50 EUR"
    assert review.flagged_at == app.clock.now()
    assert (
        app.services.read(lambda uow: uow.processed_events.record("stripe", "evt_1", b.T0)) is False
    )


def test_a_problem_longer_than_a_review_keeps_is_cut_not_refused(
    app: TickEx, admin: Principal
) -> None:
    assert flag(app, problem="the session names order " + "o" * 5000)
    (review,) = app.list_payment_reviews(ListPaymentReviews(actor=admin)).items
    assert len(review.problem) == MAX_PROBLEM


def test_admins_list_reviews_by_status_newest_first_a_page_at_a_time(
    app: TickEx, admin: Principal
) -> None:
    for n in range(3):
        assert flag(app, event_id=f"evt_{n}")
        app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    first = app.list_payment_reviews(ListPaymentReviews(actor=admin, limit=2))
    assert [r.event_id for r in first.items] == ["evt_2", "evt_1"]
    assert first.has_more
    rest = app.list_payment_reviews(ListPaymentReviews(actor=admin, limit=2, offset=2))
    assert ([r.event_id for r in rest.items], rest.has_more) == (["evt_0"], False)
    resolved = app.resolve_payment_review(
        ResolvePaymentReview(actor=admin, review_id=first.items[0].id, note="Refunded.")
    )
    assert (resolved.status, resolved.resolved_by) == (PaymentReviewStatus.RESOLVED, admin.user_id)
    assert resolved.resolved_at == app.clock.now()
    still_open = app.list_payment_reviews(ListPaymentReviews(actor=admin))
    assert [r.event_id for r in still_open.items] == ["evt_1", "evt_0"]
    done = app.list_payment_reviews(
        ListPaymentReviews(actor=admin, status=PaymentReviewStatus.RESOLVED)
    )
    assert [(r.event_id, r.resolution_note) for r in done.items] == [("evt_2", "Refunded.")]


def test_a_review_is_resolved_once(app: TickEx, admin: Principal) -> None:
    assert flag(app)
    (review,) = app.list_payment_reviews(ListPaymentReviews(actor=admin)).items
    app.resolve_payment_review(ResolvePaymentReview(actor=admin, review_id=review.id, note="Ok."))
    with pytest.raises(InvalidTransition):
        app.resolve_payment_review(
            ResolvePaymentReview(actor=admin, review_id=review.id, note="Again.")
        )
    with pytest.raises(NotFound):
        app.resolve_payment_review(
            ResolvePaymentReview(actor=admin, review_id="prev-missing", note="Ok.")
        )
    stored = app.services.read(lambda uow: uow.payment_reviews.get(review.id))
    assert stored is not None
    assert (stored.resolution_note, stored.version) == ("Ok.", 1)


def test_only_admins_see_or_resolve_reviews(app: TickEx) -> None:
    assert flag(app)
    for roles in (frozenset({Role.CUSTOMER}), frozenset({Role.ORGANIZER})):
        someone = Principal(user_id="user-1", roles=roles)
        with pytest.raises(Forbidden):
            app.list_payment_reviews(ListPaymentReviews(actor=someone))
        with pytest.raises(Forbidden):
            app.resolve_payment_review(
                ResolvePaymentReview(actor=someone, review_id="any", note="Mine now.")
            )


@pytest.mark.parametrize("note", ["", "   ", "x" * 1001])
def test_a_resolution_note_is_needed_and_bounded(admin: Principal, note: str) -> None:
    with pytest.raises(ValidationError):
        ResolvePaymentReview(actor=admin, review_id="prev-1", note=note)
