"""disable_user: an admin disables an account; every session of it ends at once, and so
does every API key of the organizer it acts for once no active account acts for it
(``authenticate_api_key``).

Two rules keep the platform administered: an admin may not disable their own account
(``SelfDecision``, 403), and the last active admin may not be disabled (``LastAdmin``,
409). The second is a rule over several rows, so a check alone would let two admins
disabling each other at once both pass it (each sees the other still active) and leave
none. The guard: the unit that disables an admin also saves every other active admin it
counted (their versions), all in id order. Two such units write the same rows: on
PostgreSQL the second waits for the first's row locks, finds the versions moved, rolls
back, retries and counts again -- and then finds the last admin (the id order keeps them
from deadlocking); MongoDB in a transaction meets a write conflict or the moved versions
and retries the same way; on SQLite units that write run one at a time (``BEGIN
IMMEDIATE``), so the second counts after the first committed. On a standalone MongoDB
server (no transactions: the compensating mode) the same version checks decide, one
document at a time: the loser's save fails on a document the winner wrote, and what it
wrote before is undone. Either way one admin stays active."""

from __future__ import annotations

from tickex.application.command import Command, Id
from tickex.application.identity.admin import refuse_own_account, require_admin
from tickex.application.services import Core
from tickex.domain.errors import DomainError, NotFound
from tickex.domain.identity import Principal, Role, User
from tickex.ports.unit_of_work import UnitOfWork


class LastAdmin(DomainError):
    """Disabling this account would leave the platform without an active admin (code
    ``last_admin``, 409): make another admin first."""

    code = "last_admin"


class DisableUser(Command):
    actor: Principal
    user_id: Id


def disable_user(services: Core, command: DisableUser) -> User:
    admin_id = require_admin(command.actor, "disable accounts")
    refuse_own_account(admin_id, command.user_id, "disable")

    def work(uow: UnitOfWork) -> User:
        user = uow.users.get(command.user_id)
        if user is None:
            raise NotFound("user not found", user_id=command.user_id)
        now = services.clock.now()
        user.disable(now)
        guards = _admins_left(uow, user) if user.has_role(Role.ADMIN) else []
        for changed in sorted([user, *guards], key=lambda u: u.id):
            uow.users.save(changed)
        uow.sessions.revoke_user(user.id, now)
        return user

    return services.transaction(work)


def _admins_left(uow: UnitOfWork, leaving: User) -> list[User]:
    """The other active admins, saved with the one leaving as the guard (see the module);
    ``LastAdmin`` when there are none."""
    left = [u for u in uow.users.list_admins() if u.is_active and u.id != leaving.id]
    if not left:
        raise LastAdmin("this is the last active admin: make another admin before disabling it")
    return left
