"""disable_user: an admin disables an account; every session of it ends at once."""

from __future__ import annotations

from tickex.application.command import Command, Id
from tickex.application.services import Core
from tickex.domain.errors import Forbidden, NotFound
from tickex.domain.identity import Principal, Role, User
from tickex.ports.unit_of_work import UnitOfWork


class DisableUser(Command):
    actor: Principal
    user_id: Id


def disable_user(services: Core, command: DisableUser) -> User:
    if Role.ADMIN not in command.actor.roles:
        raise Forbidden("only an admin may disable accounts")

    def work(uow: UnitOfWork) -> User:
        user = uow.users.get(command.user_id)
        if user is None:
            raise NotFound("user not found", user_id=command.user_id)
        now = services.clock.now()
        user.disable(now)
        uow.users.save(user)
        uow.sessions.revoke_user(user.id, now)
        return user

    return services.transaction(work)
