"""reset_password: the token of a reset link and a new password. The token works once
(unknown, used or expired: ``invalid_token``); the new password replaces the old one and
every session ends (refresh tokens revoked, access tokens issued before refused). Having
opened the link proves the mailbox, so the email counts as verified too."""

from __future__ import annotations

from pydantic import Field

from tickex.application.command import Command, Password
from tickex.application.identity.mailed_token import INVALID_LINK, redeem
from tickex.application.identity.session import PresentedToken
from tickex.application.services import NeedsIdentity
from tickex.domain.identity import TokenPurpose
from tickex.ports.identity import InvalidToken, SecretPurpose, SecretToken
from tickex.ports.unit_of_work import UnitOfWork


class ResetPassword(Command):
    token: PresentedToken = Field(repr=False)
    new_password: Password = Field(repr=False)


def reset_password(services: NeedsIdentity, command: ResetPassword) -> None:
    if SecretToken.purpose_of(command.token) is not SecretPurpose.RESET_PASSWORD:
        raise InvalidToken("malformed", INVALID_LINK)  # before the slow hash
    new_hash = services.identity.passwords.hash(command.new_password)  # slow: outside the unit

    def work(uow: UnitOfWork) -> None:
        user = redeem(uow, services, command.token, TokenPurpose.RESET_PASSWORD)
        now = services.clock.now()
        user.change_password(new_hash, now)
        user.verify_email()
        uow.users.save(user)
        uow.sessions.revoke_user(user.id, now)

    services.transaction(work)
