"""Payments flagged for review: taken by the provider but not fulfilled by TickEx.

``receive_payment_webhook`` calls ``flag_payment`` for a paid checkout that does not match
its order (another amount, another currency, another order named, or a session that
claims one of our orders without being its checkout). Nothing is issued for such a
payment; what happened is kept as a ``PaymentReview`` so that an admin sees it (the
listing and the resolution are ``list_payment_reviews`` and ``resolve_payment_review``)
instead of it living only in a log line.

The review and the provider's event id go into one unit of work: a redelivered (or
concurrent) duplicate of the event finds it processed and makes no second review. The
warning on ``tickex.payments`` names ids and amounts only, never an email or a secret;
it is written once, after the commit, for the delivery that recorded the review.
"""

from __future__ import annotations

import logging

from tickex.application.services import Core
from tickex.domain.money import Money
from tickex.domain.payment_review import MAX_EVENT_TYPE, MAX_PROBLEM, PaymentReview, clip
from tickex.ports.payment import PaymentNotification
from tickex.ports.unit_of_work import UnitOfWork

logger = logging.getLogger("tickex.payments")


def flag_payment(
    services: Core,
    event: PaymentNotification,
    order_id: str | None,
    reference: str | None,
    amount: Money | None,
    problem: str,
) -> bool:
    """Keep a review of the payment ``event`` reported (for ``order_id``, paid through the
    session ``reference``, ``amount`` as the provider said) with ``problem``: why it was
    not fulfilled. False when the event was processed before (nothing is added)."""

    def work(uow: UnitOfWork) -> bool:
        now = services.clock.now()
        if not uow.processed_events.record(event.provider, event.event_id, now):
            return False
        uow.payment_reviews.add(
            PaymentReview(
                id=services.ids.new_id(), provider=event.provider, event_id=event.event_id,
                event_type=clip(event.event_type, MAX_EVENT_TYPE),
                problem=clip(problem, MAX_PROBLEM), flagged_at=now, order_id=order_id,
                payment_reference=reference, amount_paid=amount,
            )
        )  # fmt: skip
        return True

    flagged = services.transaction(work)
    if flagged:
        logger.warning(
            "payment flagged for review, not fulfilled: %s event %s (%s) for order %s, "
            "session %s, paid %s: %s",
            event.provider, event.event_id, event.event_type, order_id or "-", reference or "-",
            amount if amount is not None else "-", problem,
        )  # fmt: skip
    return flagged
