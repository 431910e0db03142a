"""resolve_payment_review: an admin closes the review of a flagged payment with a note of
what was done about it (refunded at the provider, the buyer called, ...). Once: a review
already resolved is refused (``InvalidTransition``), also when two admins race (the save
is versioned and the unit retries, finding it resolved)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from tickex.application.command import MULTILINE, Command, Id
from tickex.application.identity.admin import require_admin
from tickex.application.services import Core
from tickex.domain.errors import NotFound
from tickex.domain.identity import Principal
from tickex.domain.payment_review import MAX_RESOLUTION_NOTE, PaymentReview
from tickex.ports.unit_of_work import UnitOfWork

Note = Annotated[str, StringConstraints(min_length=1, max_length=MAX_RESOLUTION_NOTE), MULTILINE]


class ResolvePaymentReview(Command):
    actor: Principal
    review_id: Id
    note: Note


def resolve_payment_review(services: Core, command: ResolvePaymentReview) -> PaymentReview:
    admin_id = require_admin(command.actor, "resolve flagged payments")

    def work(uow: UnitOfWork) -> PaymentReview:
        review = uow.payment_reviews.get(command.review_id)
        if review is None:
            raise NotFound("payment review not found")
        review.resolve(services.clock.now(), admin_id, command.note)  # only when open
        uow.payment_reviews.save(review)
        return review

    return services.transaction(work)
