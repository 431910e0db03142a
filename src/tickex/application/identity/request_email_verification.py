"""request_email_verification: email the signed-in user a new verification link (valid
48 hours, once). Nothing is sent when the address is already verified."""

from __future__ import annotations

from tickex.application.command import Command, Id
from tickex.application.identity.mailed_token import enqueue_verification_email
from tickex.application.services import NeedsDelivery
from tickex.domain.errors import NotFound
from tickex.ports.unit_of_work import UnitOfWork


class RequestEmailVerification(Command):
    user_id: Id


def request_email_verification(services: NeedsDelivery, command: RequestEmailVerification) -> None:
    def work(uow: UnitOfWork) -> None:
        user = uow.users.get(command.user_id)
        if user is None:
            raise NotFound("user not found", user_id=command.user_id)
        if user.email_verified or not user.is_active:
            return
        enqueue_verification_email(services, uow, user)

    services.transaction(work)
