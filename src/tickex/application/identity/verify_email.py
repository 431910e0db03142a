"""verify_email: the token of a verification link marks the user's email verified. The
token works once; an unknown, used or expired one is ``invalid_token``."""

from __future__ import annotations

from pydantic import Field

from tickex.application.command import Command
from tickex.application.identity.authenticate import Account
from tickex.application.identity.mailed_token import redeem
from tickex.application.identity.session import PresentedToken
from tickex.application.services import Core
from tickex.domain.identity import TokenPurpose
from tickex.ports.unit_of_work import UnitOfWork


class VerifyEmail(Command):
    token: PresentedToken = Field(repr=False)


def verify_email(services: Core, command: VerifyEmail) -> Account:
    def work(uow: UnitOfWork) -> Account:
        user = redeem(uow, services, command.token, TokenPurpose.VERIFY_EMAIL)
        user.verify_email()
        uow.users.save(user)
        return Account.of(user)

    return services.transaction(work)
