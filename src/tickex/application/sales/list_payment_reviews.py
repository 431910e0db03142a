"""list_payment_reviews: the admins' queue of payments taken but not fulfilled, by status
(open by default), newest first, one page at a time."""

from __future__ import annotations

from tickex.application.command import Choice, Command
from tickex.application.identity.admin import require_admin
from tickex.application.paging import Limit, Offset, Page, fetch_page
from tickex.application.services import Core
from tickex.domain.identity import Principal
from tickex.domain.payment_review import PaymentReview, PaymentReviewStatus
from tickex.ports.unit_of_work import UnitOfWork


class ListPaymentReviews(Command):
    actor: Principal
    status: Choice[PaymentReviewStatus] = PaymentReviewStatus.OPEN
    limit: Limit = 20
    offset: Offset = 0


PaymentReviewList = Page[PaymentReview]


def list_payment_reviews(services: Core, command: ListPaymentReviews) -> PaymentReviewList:
    require_admin(command.actor, "review flagged payments")

    def query(uow: UnitOfWork) -> PaymentReviewList:
        return fetch_page(
            lambda count, offset: uow.payment_reviews.list_by_status(
                command.status, count, offset
            ),
            command.limit, command.offset,
        )  # fmt: skip

    return services.read(query)
