"""``/v1/admin/payment-reviews``: the payments taken but not fulfilled (a paid checkout
that did not match its order), for admins to list by status and resolve with a note.
Every route is behind the bearer guard and the admin role (403 otherwise); the use cases
check the actor once more. The admin resolving is always the signed-in one."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import JSONBody, Parameter

from tickex.application.sales.list_payment_reviews import ListPaymentReviews
from tickex.application.sales.resolve_payment_review import ResolvePaymentReview
from tickex.domain.identity import Role
from tickex.domain.payment_review import PaymentReviewStatus
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.guards import BEARER, authenticated, require_role
from tickex.entrypoints.http.routes import (
    AdminController,
    PageLimit,
    PageOffset,
    PathId,
    operation,
)
from tickex.entrypoints.http.sales import schemas


class AdminPaymentReviewController(AdminController):
    path = "/v1/admin/payment-reviews"
    guards = [authenticated, require_role(Role.ADMIN)]
    security = BEARER

    @operation(
        get, "/", "listPaymentReviews",
        "Payments taken but not fulfilled, by status (open by default), newest first "
        "(admins only)", 401, 403, 422,
    )  # fmt: skip
    def list_payment_reviews(
        self,
        tickex: App,
        principal: CurrentPrincipal,
        status: Annotated[
            schemas.ReviewStatusName, Parameter(description="open (default) or resolved")
        ] = "open",
        limit: PageLimit = 20,
        offset: PageOffset = 0,
    ) -> schemas.PaymentReviewListOut:
        found = tickex.list_payment_reviews(
            ListPaymentReviews(actor=principal, status=PaymentReviewStatus(status), limit=limit,
                               offset=offset)
        )  # fmt: skip
        return schemas.payment_review_list(found)

    @operation(
        post, "/{review_id:str}/resolve", "resolvePaymentReview",
        "Resolve an open review with a note of what was done (admins only)", 401, 403, 404, 409,
        body=True, status_code=200,
    )  # fmt: skip
    def resolve_payment_review(
        self,
        data: JSONBody[schemas.ResolvePaymentReviewInput],
        tickex: App,
        principal: CurrentPrincipal,
        review_id: PathId,
    ) -> schemas.PaymentReviewOut:
        review = tickex.resolve_payment_review(
            ResolvePaymentReview(actor=principal, review_id=review_id, note=data.note)
        )
        return schemas.payment_review(review)
