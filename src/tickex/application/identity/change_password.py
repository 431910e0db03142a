"""change_password: the current password and a new one; every session ends (the client
logs in again with the new password)."""

from __future__ import annotations

from pydantic import Field

from tickex.application.command import Command, Id, Password, PresentedPassword
from tickex.application.services import NeedsIdentity
from tickex.domain.errors import InvalidCredentials, NotFound
from tickex.ports.unit_of_work import UnitOfWork


class ChangePassword(Command):
    user_id: Id
    current_password: PresentedPassword = Field(repr=False)
    new_password: Password = Field(repr=False)


def change_password(services: NeedsIdentity, command: ChangePassword) -> None:
    user = services.read(lambda uow: uow.users.get(command.user_id))
    if user is None:
        raise NotFound("user not found", user_id=command.user_id)
    old_hash = user.password_hash
    if old_hash is None or not services.identity.passwords.verify(
        old_hash, command.current_password
    ):
        raise InvalidCredentials("the current password is wrong")
    new_hash = services.identity.passwords.hash(command.new_password)  # slow: outside the unit

    def work(uow: UnitOfWork) -> None:
        current = uow.users.get(command.user_id)
        if current is None or current.password_hash != old_hash:  # changed meanwhile
            raise InvalidCredentials("the current password is wrong")
        now = services.clock.now()
        current.change_password(new_hash, now)
        uow.users.save(current)
        uow.sessions.revoke_user(current.id, now)

    services.transaction(work)
